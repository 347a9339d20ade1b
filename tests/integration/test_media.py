"""The image library over HTTP: uploads (real images, hostile files), serving, quota, limits,
deleting, posts that show library images, and avatars."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from werkzeug.datastructures import FileStorage
from werkzeug.test import TestResponse, stream_encode_multipart

from app.extensions import db
from app.models import MediaFile, MediaItem, Post, PostImage, User
from tests.factories import create_user
from tests.helpers import (
    AuthActions,
    csrf_token,
    send_form,
    set_cookie_headers,
    submission_token,
    submit,
)
from tests.images import (
    GPS_IFD,
    SVG,
    animated_gif,
    encode,
    html_in_gif,
    jpeg_with_gps_and_orientation,
    noise,
    photo,
    png_claiming,
    png_with_alpha,
    upload,
    uploaded_url,
)


@pytest.fixture
def member(app: Flask, auth: AuthActions) -> None:
    with app.app_context():
        create_user("writer")
    auth.login("writer")


def _items(app: Flask) -> list[MediaItem]:
    with app.app_context():
        return list(db.session.scalars(sa.select(MediaItem).order_by(MediaItem.id)))


def _served(client: FlaskClient, url: str) -> Image.Image:
    response = client.get(url)
    assert response.status_code == 200, url
    return Image.open(io.BytesIO(response.data))


# Uploading real images --------------------------------------------------------------------------


@pytest.mark.usefixtures("member")
def test_a_jpeg_is_served_upright_without_exif_gps_or_comment(client: FlaskClient) -> None:
    url = uploaded_url(client, jpeg_with_gps_and_orientation(600, 400))
    assert url.endswith(".jpg")
    raw = client.get(url).data
    served = Image.open(io.BytesIO(raw))
    assert served.format == "JPEG"
    assert served.size == (400, 600), "turned as the Orientation tag said"
    assert served.getexif() == {}
    assert GPS_IFD not in served.getexif()
    assert "exif" not in served.info
    assert "icc_profile" not in served.info
    assert b"secret camera note" not in raw
    assert b"Exif" not in raw
    # The white band that was on the left is at the top once turned clockwise.
    assert served.convert("RGB").getpixel((200, 20)) > (230, 230, 230)


@pytest.mark.usefixtures("member")
def test_a_png_keeps_its_transparency(client: FlaskClient) -> None:
    served = _served(client, uploaded_url(client, png_with_alpha(), "alpha.png"))
    assert served.format == "PNG"
    assert served.mode == "RGBA"
    assert served.getpixel((250, 100))[3] == 0
    assert served.getpixel((10, 100)) == (255, 0, 0, 255)


@pytest.mark.usefixtures("member")
def test_an_animated_gif_becomes_a_png_of_its_first_frame(client: FlaskClient) -> None:
    assert upload(client, animated_gif(), "moving.gif", "image/gif").status_code == 302
    library = client.get("/media").text
    assert "a still of its first frame: animations are not kept." in library
    match = re.search(r"/media/[0-9a-f]{32}\.png", library)
    assert match is not None
    served = _served(client, match.group(0))
    assert served.format == "PNG"
    assert getattr(served, "n_frames", 1) == 1
    assert served.size == (120, 80)


@pytest.mark.parametrize("image_format", ["WEBP", "AVIF"])
@pytest.mark.usefixtures("member")
def test_webp_and_avif_are_kept_as_webp(client: FlaskClient, image_format: str) -> None:
    data = photo(640, 480, image_format)
    served = _served(client, uploaded_url(client, data, f"photo.{image_format.lower()}"))
    assert served.format == "WEBP"
    assert served.size == (640, 480)


@pytest.mark.usefixtures("member")
def test_a_big_photo_is_capped_and_gets_narrower_copies(app: Flask, client: FlaskClient) -> None:
    url = uploaded_url(client, photo(3000, 2000))
    assert _served(client, url).size == (2400, 1600)
    stem, ext = url.rsplit(".", 1)
    for width, height in ((480, 320), (960, 640), (1600, 1067)):
        assert _served(client, f"{stem}-{width}.{ext}").size == (width, height)
    assert client.get(f"{stem}-2400.{ext}").status_code == 404
    [item] = _items(app)
    assert (item.width, item.height, item.variant_widths) == (2400, 1600, [480, 960, 1600])
    with app.app_context():
        stored = db.session.scalars(
            sa.select(sa.func.length(MediaFile.data)).where(MediaFile.item_id == item.id)
        ).all()
    assert item.stored_bytes == sum(stored)


@pytest.mark.usefixtures("member")
def test_a_small_image_keeps_its_size_and_has_no_copies(app: Flask, client: FlaskClient) -> None:
    url = uploaded_url(client, photo(400, 300))
    assert _served(client, url).size == (400, 300)
    assert _items(app)[0].variant_widths == []


@pytest.mark.usefixtures("member")
def test_the_library_shows_the_snippet_sizes_and_the_new_address(
    app: Flask, client: FlaskClient
) -> None:
    response = upload(client, photo(1200, 800))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/media#")
    page = client.get("/media").text
    [item] = _items(app)
    assert f"Image uploaded. Its address: /media/{item.filename}" in page
    assert f'value="![](/media/{item.filename})"' in page
    assert "1200 × 800 pixels" in page  # noqa: RUF001  (as the page writes it)
    assert f"{item.stored_bytes:,} bytes" in page
    assert "Not used in any of your posts." in page


@pytest.mark.usefixtures("member")
def test_the_same_image_twice_is_one_item_and_a_double_submit_stores_once(
    app: Flask, client: FlaskClient
) -> None:
    data = photo()
    page = client.get("/media").text
    tokens = {"csrf_token": csrf_token(page), "submission_token": submission_token(page)}

    def send() -> TestResponse:
        form = {**tokens, "image": (io.BytesIO(data), "a.jpg", "image/jpeg")}
        return client.post("/media", data=form, content_type="multipart/form-data")

    first, again = send(), send()
    assert first.status_code == again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"]
    assert uploaded_url(client, data, "b.jpg")
    assert len(_items(app)) == 1


# Refusals ---------------------------------------------------------------------------------------

REFUSED = [
    ("empty", b"", "x.jpg", "image/jpeg", "That file is empty."),
    ("svg", SVG, "x.svg", "image/svg+xml", "not an image this site can show"),
    ("svg-named-png", SVG, "x.png", "image/png", "not an image this site can show"),
    ("text-named-png", b"just some text\n" * 20, "x.png", "image/png", "not an image"),
    ("html", b"<!doctype html><script>alert(1)</script>", "x.gif", "image/gif", "not an image"),
    ("truncated-jpeg", photo()[:2000], "x.jpg", "image/jpeg", "damaged or incomplete"),
    ("bomb", png_claiming(30000, 30000), "x.png", "image/png", "too many pixels"),
]


@pytest.mark.parametrize(
    ("data", "filename", "content_type", "message"),
    [case[1:] for case in REFUSED],
    ids=[case[0] for case in REFUSED],
)
@pytest.mark.usefixtures("member")
def test_a_file_that_is_not_a_real_image_is_refused_with_a_message(
    app: Flask, client: FlaskClient, data: bytes, filename: str, content_type: str, message: str
) -> None:
    response = upload(client, data, filename, content_type)
    assert response.status_code == 422
    assert message in response.text
    assert 'aria-invalid="true"' in response.text
    assert _items(app) == []


@pytest.mark.usefixtures("member")
def test_a_form_without_a_file_asks_for_one(client: FlaskClient) -> None:
    response = upload(client, None)
    assert response.status_code == 422
    assert "Choose an image file to upload." in response.text


def test_too_many_pixels_by_the_setting_is_refused_before_decoding(
    make_app: object,
) -> None:
    app = make_app({"MEDIA_MAX_PIXELS": 1000 * 1000})  # type: ignore[operator]
    with app.app_context():
        create_user("writer")
    client = app.test_client()
    AuthActions(client).login("writer")
    response = upload(client, png_claiming(2000, 1000), "x.png", "image/png")
    assert response.status_code == 422
    assert "2,000 by 1,000 pixels" in response.text


@pytest.mark.usefixtures("member")
def test_a_polyglot_gif_loses_its_html(client: FlaskClient) -> None:
    url = uploaded_url(client, html_in_gif(), "x.gif")
    response = client.get(url)
    assert response.headers["Content-Type"] == "image/png"
    assert b"<script" not in response.data
    assert b"<html" not in response.data


def test_a_file_larger_than_the_upload_limit_gets_a_friendly_413(make_app: object) -> None:
    app = make_app({"MEDIA_MAX_UPLOAD_BYTES": 100_000})  # type: ignore[operator]
    with app.app_context():
        create_user("writer")
    client = app.test_client()
    AuthActions(client).login("writer")
    response = upload(client, photo(2000, 2000, "PNG") + b"\0" * 200_000, "x.png", "image/png")
    assert response.status_code == 413
    assert "That file is larger than this site accepts (100 KB at most)" in response.text
    assert "<h1" in response.text


@pytest.mark.usefixtures("member")
def test_uploads_take_bodies_larger_than_other_forms(client: FlaskClient) -> None:
    """Other forms stop at 1 MiB; a 2 MB image is fine on the upload form."""
    big = noise(800, 800)
    assert len(big) > 1024 * 1024
    assert upload(client, big, "big.png", "image/png").status_code == 302


def test_the_quota_counts_stored_bytes(make_app: object) -> None:
    app = make_app({"MEDIA_QUOTA_BYTES": 60_000})  # type: ignore[operator]
    with app.app_context():
        create_user("writer")
    client = app.test_client()
    AuthActions(client).login("writer")
    assert upload(client, noise(100, 100, seed=1), "a.png", "image/png").status_code == 302
    [first] = _items(app)
    assert 30_000 < first.stored_bytes <= 60_000
    response = upload(client, noise(100, 100, seed=2), "b.png", "image/png")
    assert response.status_code == 422
    assert "Your image library is full (60 KB in all)" in response.text
    assert len(_items(app)) == 1


def test_the_upload_rate_limit_counts_every_upload_that_is_decoded(make_app: object) -> None:
    """Decoding is the costly step: a refused file spends the budget as a kept one does; a form
    without a file costs nothing."""
    app = make_app({"RATELIMIT_ENABLED": True, "MEDIA_RATE_LIMIT": "2 per hour"})  # type: ignore[operator]
    with app.app_context():
        create_user("writer")
    client = app.test_client()
    AuthActions(client).login("writer")
    assert upload(client, None).status_code == 422
    assert upload(client, b"not an image", "x.png", "image/png").status_code == 422
    assert upload(client, photo(100, 100)).status_code == 302
    response = upload(client, photo(102, 100))
    assert response.status_code == 429
    assert len(_items(app)) == 1


def _send_again(client: FlaskClient, fields: dict[str, str], data: bytes) -> int:
    files = {"image": FileStorage(io.BytesIO(data), "again.png", content_type="image/png")}
    stream, _length, boundary = stream_encode_multipart({**fields, **files}, use_tempfile=False)
    response = client.post(
        "/media",
        data=stream.read(),
        content_type=f"multipart/form-data; boundary={boundary}",
        headers={"Referer": "/media"},
    )
    return response.status_code


def test_a_form_sent_again_or_to_a_full_library_is_refused_before_decoding(
    make_app: object,
) -> None:
    """Neither costs a decode, so neither spends the budget: sending one form many times, or
    uploading into a full library, cannot tie up the server past the rate limit."""
    app = make_app({"RATELIMIT_ENABLED": True, "MEDIA_RATE_LIMIT": "2 per hour"})  # type: ignore[operator]
    with app.app_context():
        create_user("writer")
    client = app.test_client()
    AuthActions(client).login("writer")
    page = client.get("/media").text
    fields = {"csrf_token": csrf_token(page), "submission_token": submission_token(page) or ""}
    big = noise(900, 900)
    assert _send_again(client, fields, big) == 302
    # Garbage bytes show nothing is decoded: the answer comes from the cheap checks first.
    for _ in range(3):
        assert _send_again(client, fields, b"not an image") == 302  # leads to the first
    [kept] = _items(app)
    app.config["MEDIA_QUOTA_BYTES"] = kept.stored_bytes  # the library is now full
    for _ in range(3):
        refused = upload(client, b"not an image", "x.png", "image/png")
        assert refused.status_code == 422
        assert "Your image library is full" in refused.text
    app.config["MEDIA_QUOTA_BYTES"] = 50_000_000
    assert upload(client, photo(120, 100)).status_code == 302  # the second of two
    assert upload(client, photo(121, 100)).status_code == 429


def test_the_library_needs_a_sign_in(client: FlaskClient) -> None:
    response = client.get("/media")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


# Serving ----------------------------------------------------------------------------------------


@pytest.mark.usefixtures("member")
def test_an_image_has_long_lived_safe_headers_and_answers_304(client: FlaskClient) -> None:
    url = uploaded_url(client, photo())
    response = client.get(url)
    assert response.headers["Content-Type"] == "image/jpeg"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    etag = response.headers["ETag"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200


@pytest.mark.usefixtures("member")
def test_a_wrong_extension_or_unknown_name_is_a_404(client: FlaskClient) -> None:
    url = uploaded_url(client, photo())
    stem = url.rsplit(".", 1)[0]
    for wrong in (f"{stem}.png", f"{stem}.webp", f"{stem}.JPG", f"{stem}-123.jpg", stem):
        assert client.get(wrong).status_code == 404, wrong
    assert client.get("/media/" + "0" * 32 + ".jpg").status_code == 404
    assert client.get("/media/../etc/passwd").status_code == 404


def test_an_image_never_restores_a_sign_in_sets_a_cookie_or_writes(app: Flask) -> None:
    """After a browser restart only the remember cookie is left: an image fetched beside the
    first page must not restore the sign-in (as a static file must not, docs/security.md L24)."""
    first = app.test_client()
    with app.app_context():
        create_user("writer")
    AuthActions(first).login("writer", remember=True)
    url = uploaded_url(first, photo())
    restarted = app.test_client()
    remember = app.config["REMEMBER_COOKIE_NAME"]
    restarted.set_cookie(remember, first.get_cookie(remember).value)  # type: ignore[union-attr]
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        response = restarted.get(url)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert response.status_code == 200
    assert set_cookie_headers(response) == {}
    assert len(statements) == 1, statements  # the image itself: no session or user lookup
    assert statements[0].lstrip().upper().startswith("SELECT")


# Deleting ---------------------------------------------------------------------------------------


def _delete(client: FlaskClient, item_id: int) -> object:
    return submit(client, f"/media/{item_id}/delete", {}, form_url="/media")


@pytest.mark.usefixtures("member")
def test_an_unused_image_can_be_deleted_and_then_404s(app: Flask, client: FlaskClient) -> None:
    url = uploaded_url(client, photo())
    [item] = _items(app)
    response = send_form(client, client.get("/media"), f"/media/{item.id}/delete")
    assert response.status_code == 302
    assert "Image deleted." in client.get("/media").text
    assert client.get(url).status_code == 404
    assert _items(app) == []
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(MediaFile)) == 0


def test_another_member_cannot_delete_yours(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        create_user("writer")
        create_user("other")
    AuthActions(client).login("writer")
    url = uploaded_url(client, photo())
    [item] = _items(app)
    AuthActions(client).logout()
    AuthActions(client).login("other")
    response = _delete(client, item.id)
    assert response.status_code == 404  # type: ignore[attr-defined]
    assert client.get(url).status_code == 200
    assert len(_items(app)) == 1


def _write(client: FlaskClient, title: str, body: str, status: str = "published") -> str:
    response = submit(
        client, "/posts/new", {"title": title, "body": body, "tags": "", "status": status}
    )
    assert response.status_code == 302, response.text
    return response.headers["Location"]


@pytest.mark.usefixtures("member")
def test_a_used_image_is_listed_with_its_posts_and_cannot_be_deleted(
    app: Flask, client: FlaskClient
) -> None:
    url = uploaded_url(client, photo())
    post_url = _write(client, "Holiday pictures", f"Look:\n\n![The sea]({url})\n")
    [item] = _items(app)
    page = client.get("/media").text
    assert "Used in:" in page
    assert "Holiday pictures" in page
    assert f"/media/{item.id}/delete" not in page
    response = _delete(client, item.id)
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert "This image is in your post “Holiday pictures”" in client.get("/media").text
    assert client.get(url).status_code == 200
    # Once the post no longer shows it, it can go.
    slug = post_url.rsplit("/", 1)[1]
    submit(
        client,
        f"/posts/{slug}/edit",
        {"title": "Holiday", "body": "No pictures.", "tags": "", "status": "published"},
    )
    assert "Not used in any of your posts." in client.get("/media").text
    _delete(client, item.id)
    assert client.get(url).status_code == 404


def test_two_members_with_the_same_image_each_own_a_copy(app: Flask) -> None:
    with app.app_context():
        create_user("first")
        create_user("second")
    one, two = app.test_client(), app.test_client()
    AuthActions(one).login("first")
    AuthActions(two).login("second")
    data = photo()
    url = uploaded_url(one, data)
    assert uploaded_url(two, data) == url
    _write(two, "Second's post", f"![]({url})")
    first_item, second_item = _items(app)
    assert first_item.owner_id != second_item.owner_id
    # First deletes theirs: second's post keeps its image.
    assert _delete(one, first_item.id).status_code == 302  # type: ignore[attr-defined]
    assert one.get(url).status_code == 200
    assert "Not used in any of your posts." not in one.get("/media").text  # first's is gone
    # Second's own copy is in use.
    _delete(two, second_item.id)
    assert "This image is in your post" in two.get("/media").text


def test_another_members_post_cannot_keep_an_image_from_its_owner(app: Flask) -> None:
    """An image is its owner's: a draft of someone else's that shows it by its address neither
    stops its deletion nor keeps it filling the owner's quota."""
    with app.app_context():
        create_user("first")
        create_user("second")
    one, two = app.test_client(), app.test_client()
    AuthActions(one).login("first")
    AuthActions(two).login("second")
    url = uploaded_url(one, photo())
    _write(two, "Borrowed", f"![]({url})", status="draft")
    [item] = _items(app)
    assert _delete(one, item.id).status_code == 302
    assert _items(app) == []
    assert two.get(url).status_code == 404


def test_a_replaced_avatar_is_deleted_even_if_a_post_shows_it(app: Flask) -> None:
    """Avatars are not in the library: one kept because a post named it could never be seen
    or deleted again, yet would count against the quota."""
    with app.app_context():
        create_user("first")
    client = app.test_client()
    AuthActions(client).login("first")
    upload(client, photo(300, 300), page="/account/avatar")
    [first] = _items(app)
    _write(client, "My old face", f"![](/media/{first.filename})")
    upload(client, png_with_alpha(), "b.png", "image/png", page="/account/avatar")
    assert [item.filename for item in _items(app)] != [first.filename]
    assert len(_items(app)) == 1


# Posts ------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("member")
def test_a_post_shows_a_library_image_with_srcset_and_its_size(
    app: Flask, client: FlaskClient
) -> None:
    url = uploaded_url(client, photo(3000, 2000))
    stem = url.removesuffix(".jpg")
    post_url = _write(client, "Big picture", f"![A field]({url})")
    html = client.get(post_url).text
    image = re.search(r"<img [^>]+>", html)
    assert image is not None
    tag = image.group(0)
    assert f'src="{url}"' in tag
    assert 'alt="A field"' in tag
    assert 'loading="lazy"' in tag
    assert 'width="2400" height="1600"' in tag
    assert (
        f'srcset="{stem}-480.jpg 480w, {stem}-960.jpg 960w, {stem}-1600.jpg 1600w, {url} 2400w"'
    ) in tag
    assert 'sizes="(max-width: 42rem) 100vw, 42rem"' in tag
    with app.app_context():
        links = db.session.scalars(sa.select(PostImage.filename)).all()
    assert links == [url.removeprefix("/media/")]


@pytest.mark.usefixtures("member")
def test_an_unknown_media_address_in_a_post_is_a_plain_lazy_image(
    app: Flask, client: FlaskClient
) -> None:
    missing = "/media/" + "a" * 32 + ".png"
    post_url = _write(client, "Missing", f"![x]({missing})")
    assert f'<img src="{missing}" alt="x" loading="lazy">' in client.get(post_url).text
    with app.app_context():
        assert db.session.scalars(sa.select(PostImage)).all() == []


def test_deleting_a_post_or_account_removes_its_links_and_images(
    app: Flask, client: FlaskClient
) -> None:
    with app.app_context():
        create_user("writer")
    AuthActions(client).login("writer")
    url = uploaded_url(client, photo())
    _write(client, "To go", f"![]({url})")
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "writer"))
        db.session.delete(user)
        db.session.commit()
        assert db.session.scalars(sa.select(PostImage)).all() == []
        assert db.session.scalars(sa.select(Post)).all() == []
        assert db.session.scalar(sa.select(sa.func.count()).select_from(MediaFile)) == 0
    assert app.test_client().get(url).status_code == 404


def test_the_content_security_policy_allows_https_images(client: FlaskClient) -> None:
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "img-src 'self' https:" in policy


@pytest.mark.usefixtures("member")
def test_the_editor_and_the_account_page_link_to_the_library(client: FlaskClient) -> None:
    editor = client.get("/posts/new").text
    assert 'href="/media" target="_blank">Image library</a>' in editor
    assert 'href="/media"' in client.get("/account/sessions").text
    assert 'name="picture"' in client.get("/account/profile").text


# Avatars ----------------------------------------------------------------------------------------


@pytest.mark.usefixtures("member")
def test_an_avatar_is_a_centred_square_in_two_sizes(app: Flask, client: FlaskClient) -> None:
    wide = Image.new("RGB", (900, 300), (0, 0, 255))
    wide.paste((255, 0, 0), (300, 0, 600, 300))  # the red middle square is what is kept
    response = upload(client, encode(wide, "JPEG"), page="/account/avatar")
    assert response.status_code == 302
    assert "Your picture is saved." in client.get("/account/avatar").text
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == "writer"))
        assert user is not None
        assert user.avatar is not None
        avatar = user.avatar
    large = _served(client, f"/media/{avatar}")
    name, ext = avatar.split(".")
    small = _served(client, f"/media/{name}-64.{ext}")
    assert large.size == (256, 256)
    assert small.size == (64, 64)
    red, _green, blue = large.convert("RGB").getpixel((10, 128))
    assert red > 200
    assert blue < 60
    assert f'src="/media/{avatar}"' in client.get("/account/avatar").text
    assert f"/media/{avatar}" not in client.get("/media").text  # not in the library list


@pytest.mark.usefixtures("member")
def test_a_new_avatar_replaces_the_old_and_remove_clears_it(
    app: Flask, client: FlaskClient
) -> None:
    upload(client, photo(300, 300), page="/account/avatar")
    [first] = _items(app)
    upload(client, png_with_alpha(), "b.png", "image/png", page="/account/avatar")
    [second] = _items(app)
    assert second.ext == "png"
    assert second.name != first.name
    assert client.get(f"/media/{first.filename}").status_code == 404
    response = send_form(client, client.get("/account/avatar"), "/account/avatar/remove")
    assert response.status_code == 302
    assert _items(app) == []
    assert "You have no picture yet." in client.get("/account/avatar").text


@pytest.mark.usefixtures("member")
def test_a_bad_avatar_file_is_refused_with_a_message(client: FlaskClient) -> None:
    response = upload(client, SVG, "me.svg", "image/svg+xml", page="/account/avatar")
    assert response.status_code == 422
    assert "not an image this site can show" in response.text


def test_a_new_avatar_makes_cached_public_pages_stale(app: Flask, client: FlaskClient) -> None:
    """``users.avatar`` is public: changing it bumps the page cache's version."""
    with app.app_context():
        create_user("writer")
        store = app.extensions["inkwell_page_cache"]
        before = store.version()
    AuthActions(client).login("writer")
    upload(client, photo(300, 300), page="/account/avatar")
    with app.app_context():
        assert store.version() != before


def test_the_library_page_costs_the_same_few_statements_with_more_images(
    app: Flask, client: FlaskClient
) -> None:
    with app.app_context():
        create_user("writer")
    AuthActions(client).login("writer")

    def statements_for_library() -> int:
        statements: list[str] = []

        def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
            statements.append(statement)

        with app.app_context():
            engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", record)
        try:
            assert client.get("/media").status_code == 200
        finally:
            sa.event.remove(engine, "before_cursor_execute", record)
        return len(statements)

    for width in (100, 101):
        _write(client, f"Post {width}", f"![]({uploaded_url(client, photo(width, 100))})")
    few = statements_for_library()
    for width in range(102, 108):
        _write(client, f"Post {width}", f"![]({uploaded_url(client, photo(width, 100))})")
    assert statements_for_library() == few <= 4


def test_templates_get_the_avatar_address_in_both_sizes(app: Flask) -> None:
    with app.app_context():
        user = create_user("writer")
        render = app.jinja_env.from_string("{{ avatar_url(user) }} {{ avatar_url(user, 64) }}")
        assert render.render(user=user) == "None None"
        user.avatar = "0123456789abcdef0123456789abcdef.png"
        assert render.render(user=user) == (
            "/media/0123456789abcdef0123456789abcdef.png "
            "/media/0123456789abcdef0123456789abcdef-64.png"
        )

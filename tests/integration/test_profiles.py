"""Profiles over HTTP: the form at /account/profile, the public page, bylines, cache, budget."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from html import unescape

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app.extensions import db
from app.models import User
from app.services import posts
from tests.factories import create_post, create_user
from tests.helpers import AuthActions, csrf_token, submit
from tests.images import photo
from tests.integration.test_reading import counted_statements

ATOM = "{http://www.w3.org/2005/Atom}"
FORM = "/account/profile"
PROFILE = {
    "display_name": "Émile Martin",
    "bio": "I write about *type* and [printing](https://example.org/press).",
    "website": "https://emile.example.com/about",
    "time_zone": "Europe/Paris",
}


@pytest.fixture
def writer(app: Flask, client: FlaskClient) -> FlaskClient:
    """A signed-in member "writer" with one published post tagged "type"."""
    with app.app_context():
        author = create_user("writer")
        post = create_post(author, title="On Garamond", tags=("type",))
        posts.add_comment(post, author, "A note of my own.")
    AuthActions(client).login("writer")
    return client


def _save(client: FlaskClient, **changes: str) -> TestResponse:
    return submit(client, FORM, {**PROFILE, **changes})


def _member(app: Flask, username: str) -> User:
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.username == username))
        assert user is not None
        db.session.expunge(user)
        return user


def _errors(html: str) -> list[str]:
    return [
        unescape(error)
        for error in re.findall(r'<ul class="errors" id="[^"]+">\s*<li>(.*?)</li>', html)
    ]


def test_the_form_needs_a_sign_in(client: FlaskClient) -> None:
    response = client.get(FORM)
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_the_account_page_and_the_header_link_to_the_form(writer: FlaskClient) -> None:
    page = writer.get("/account/sessions").text
    assert page.count(f'href="{FORM}"') == 2  # the header's "Profile" and "Edit profile"


def test_a_member_saves_a_profile_and_the_public_page_shows_it(
    app: Flask, writer: FlaskClient
) -> None:
    form = writer.get(FORM)
    assert form.status_code == 200
    assert '<option selected value="UTC">UTC</option>' in form.text, "new members are in UTC"
    response = _save(writer)
    assert response.status_code == 302
    assert response.headers["Location"] == FORM
    again = writer.get(FORM).text
    assert "Your profile is saved." in again
    assert 'value="Émile Martin"' in again
    assert '<option selected value="Europe/Paris">Europe/Paris</option>' in again

    profile = app.test_client().get("/users/writer").text
    assert "<title>Émile Martin (@writer) · Inkwell</title>" in profile
    assert '<h1 id="profile-heading"><bdi>Émile Martin</bdi></h1>' in profile
    assert '<p class="handle">@<bdi>writer</bdi></p>' in profile
    assert "I write about <em>type</em> and" in profile
    assert (
        '<a href="https://emile.example.com/about" rel="nofollow ugc noopener me">'
        "emile.example.com/about</a>"
    ) in profile
    assert '<span class="avatar avatar-96 avatar-hue-' in profile
    assert ">ÉM</span>" in profile
    assert "Member since" in profile
    assert "1 published post" in profile
    assert 'href="/posts/on-garamond"' in profile
    assert "Europe/Paris" not in profile, "the time zone is private"
    assert _member(app, "writer").time_zone == "Europe/Paris"


def test_an_empty_form_clears_the_profile(app: Flask, writer: FlaskClient) -> None:
    _save(writer)
    response = _save(writer, display_name="  ", bio="", website="", time_zone="UTC")
    assert response.status_code == 302
    member = _member(app, "writer")
    assert (member.display_name, member.bio, member.bio_html, member.website) == (
        None,
        "",
        "",
        None,
    )
    profile = app.test_client().get("/users/writer").text
    assert '<h1 id="profile-heading"><bdi>writer</bdi></h1>' in profile
    assert 'class="handle"' not in profile
    assert 'class="bio"' not in profile
    assert 'class="website"' not in profile


def test_errors_keep_every_field_and_nothing_is_saved(app: Flask, writer: FlaskClient) -> None:
    typed = {
        "display_name": "Ann @writer",
        "bio": "Some *words*\r\n" + "x" * 1000,
        "website": "javascript:alert(1)",
        "time_zone": "Mars/Olympus_Mons",
    }
    response = submit(writer, FORM, typed)
    assert response.status_code == 422
    assert _errors(response.text) == [
        "Leave out “@”: it marks usernames, and yours is shown beside it.",
        "Keep your bio to 1,000 characters (1,013 now).",
        "Use a web address starting with https:// or http://.",
        "Choose a time zone from the list.",
    ]
    assert 'value="Ann @writer"' in response.text
    assert "Some *words*\r\n" + "x" * 1000 + "</textarea>" in response.text
    assert 'value="javascript:alert(1)"' in response.text
    assert re.search(r'<input[^>]*autofocus[^>]*id="display_name"', response.text)
    member = _member(app, "writer")
    assert (member.display_name, member.bio, member.website) == (None, "", None)


@pytest.mark.parametrize(
    "website",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "ftp://files.example.com/",
        "https://paypal.com@evil.example.net/",
        "https://localhost/",
        "https://exa mple.com/",
        "https://example.com/\\evil",
        "https://example.com:port/",
        "https://" + "a" * 190 + ".com/",
    ],
)
def test_only_web_addresses_are_kept_as_websites(
    app: Flask, writer: FlaskClient, website: str
) -> None:
    response = _save(writer, website=website)
    assert response.status_code == 422
    assert len(_errors(response.text)) == 1
    assert _member(app, "writer").website is None


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("emile.example.com", "https://emile.example.com"),
        ("  http://example.org/a?b=1#c  ", "http://example.org/a?b=1#c"),
        ("HTTPS://Example.COM/", "HTTPS://Example.COM/"),
    ],
)
def test_a_website_without_a_scheme_is_https(
    app: Flask, writer: FlaskClient, typed: str, kept: str
) -> None:
    assert _save(writer, website=typed).status_code == 302
    assert _member(app, "writer").website == kept


def test_bio_markdown_is_sanitized_and_headings_stay_text(app: Flask, writer: FlaskClient) -> None:
    bio = (
        "# I am a heading\n\n"
        "<script>alert('bio')</script> <img src=x onerror=alert(1)>\n\n"
        "[click](javascript:alert(1)) [also](JAVASCRIPT:alert(1)) ![pic](https://example.com/p.png)"
        "\n\n[fine](https://example.com/)"
    )
    assert _save(writer, bio=bio).status_code == 302
    profile = app.test_client().get("/users/writer").text
    shown = profile[profile.index('<div class="bio">') : profile.index('<p class="website">')]
    assert "<p># I am a heading</p>" in shown
    for tag in ("<h2", "<img", "<script"):
        assert tag not in shown
    assert "onerror=" not in shown.replace("onerror=alert(1)&gt;", "")  # only escaped text
    assert "&lt;script&gt;" in shown
    assert 'href="javascript' not in shown.lower()
    assert '<a href="https://example.com/" rel="nofollow noopener">fine</a>' in shown


@pytest.mark.parametrize(
    "display_name",
    [
        "\u202eevil\u202c",  # a right-to-left override
        "Ann\u200bMarie",  # a zero-width space
        "Ann\x00",  # NUL
        "Ann\x07",  # a control character
        "\u2066Ann\u2069",  # an isolate
        "x" * 51,
        "\u200d\u200c",  # joiners alone: nothing visible
        "Za\u0301\u0300\u0302\u0303lgo",  # four accents on one letter
        "@writer",
    ],
)
def test_display_names_that_hide_or_fake_text_are_refused(
    app: Flask, writer: FlaskClient, display_name: str
) -> None:
    response = _save(writer, display_name=display_name)
    assert response.status_code == 422
    assert len(_errors(response.text)) == 1
    assert _member(app, "writer").display_name is None


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("  Mary   Ann\tSmith ", "Mary Ann Smith"),
        ("e\u0301mile", "\u00e9mile"),  # stored composed (NFC)
        ("李小龙", "李小龙"),
        ("\u0639\u0644\u06cc\u200c\u0631\u0636\u0627",)
        * 2,  # a Persian name keeps its zero-width non-joiner
        ("Tiếng Việt", "Tiếng Việt"),
        ("🎉", "🎉"),
        ("x" * 50, "x" * 50),
    ],
)
def test_display_names_of_every_script_are_kept(
    app: Flask, writer: FlaskClient, typed: str, kept: str
) -> None:
    assert _save(writer, display_name=typed).status_code == 302
    assert _member(app, "writer").display_name == kept


@pytest.mark.parametrize("display_name", ["admin", "ADMIN", "\u0391dmin", "adrnin", "ad min"])
def test_a_display_name_may_not_look_like_another_members_username(
    app: Flask, writer: FlaskClient, display_name: str
) -> None:
    with app.app_context():
        create_user("admin")
    response = _save(writer, display_name=display_name)
    assert response.status_code == 422
    assert _errors(response.text) == [
        "That looks like another member's username. Choose a name of your own."
    ]
    assert f'value="{display_name}"' in response.text
    assert _member(app, "writer").display_name is None


def test_a_display_name_may_be_ones_own_username(app: Flask, writer: FlaskClient) -> None:
    assert _save(writer, display_name="Writer").status_code == 302
    assert _member(app, "writer").display_name == "Writer"


def test_the_form_edits_only_the_signed_in_member(app: Flask, writer: FlaskClient) -> None:
    """Fields the form does not declare (whose profile, admin rights) are ignored."""
    with app.app_context():
        create_user("victim")
    victim_id = _member(app, "victim").id
    response = _save(
        writer,
        display_name="Not the victim",
        username="victim",
        user_id=str(victim_id),
        id=str(victim_id),
        is_admin="y",
    )
    assert response.status_code == 302
    victim, me = _member(app, "victim"), _member(app, "writer")
    assert (victim.display_name, victim.username) == (None, "victim")
    assert (me.display_name, me.username, me.is_admin) == ("Not the victim", "writer", False)

    other = app.test_client()
    AuthActions(other).login("victim")
    assert submit(other, FORM, {**PROFILE, "display_name": "Victim"}).status_code == 302
    assert _member(app, "writer").display_name == "Not the victim"


def test_a_post_without_the_csrf_token_changes_nothing(app: Flask, writer: FlaskClient) -> None:
    response = writer.post(FORM, data=PROFILE)
    assert response.status_code == 400
    assert _member(app, "writer").display_name is None


# Bylines ------------------------------------------------------------------------------------

BYLINE = (
    '<a class="byline" href="/users/writer"><span class="avatar avatar-32 avatar-hue-{hue}"'
    ' aria-hidden="true">ÉM</span><bdi>Émile Martin</bdi></a>'
    ' <span class="handle">@<bdi>writer</bdi></span>'
)


@pytest.mark.parametrize(
    "path", ["/", "/posts/on-garamond", "/tags/type", "/users/writer", "/search?q=garamond"]
)
def test_bylines_show_the_display_name_beside_the_username(
    app: Flask, writer: FlaskClient, path: str
) -> None:
    _save(writer)
    page = app.test_client().get(path).text
    hue = re.search(r"avatar-hue-(\d)", page)
    assert hue, page
    assert BYLINE.format(hue=hue.group(1)) in page


def test_comments_show_the_display_name_too(app: Flask, writer: FlaskClient) -> None:
    _save(writer)
    page = app.test_client().get("/posts/on-garamond").text
    assert 'aria-label="Comment by Émile Martin"' in page
    comment = page[page.index('<p class="comment-meta">') :]
    assert '<bdi>Émile Martin</bdi></a> <span class="handle">@<bdi>writer</bdi></span>' in comment


def test_without_a_display_name_bylines_show_the_username_alone(
    app: Flask, writer: FlaskClient
) -> None:
    page = app.test_client().get("/").text
    assert re.search(
        r'<a class="byline" href="/users/writer"><span class="avatar avatar-32 avatar-hue-\d"'
        r' aria-hidden="true">W</span><bdi>writer</bdi></a>\s',
        page,
    )
    assert 'class="handle"' not in page


def test_the_feed_names_the_author_by_display_name_and_username(
    app: Flask, writer: FlaskClient
) -> None:
    before = ET.fromstring(app.test_client().get("/feed.xml").data)  # noqa: S314  (our own)
    assert before.findtext(f"{ATOM}entry/{ATOM}author/{ATOM}name") == "writer"
    _save(writer)
    after = ET.fromstring(app.test_client().get("/feed.xml").data)  # noqa: S314  (our own)
    assert after.findtext(f"{ATOM}entry/{ATOM}author/{ATOM}name") == "Émile Martin (@writer)"


def test_a_new_display_name_reaches_anonymous_readers_at_once(
    app: Flask, writer: FlaskClient
) -> None:
    """Public pages are cached for anonymous readers; saving a profile makes them stale."""
    for path in ("/", "/users/writer", "/posts/on-garamond"):
        assert app.test_client().get(path).headers["X-Cache"] == "MISS"
        cached = app.test_client().get(path)
        assert cached.headers["X-Cache"] == "HIT"
        assert "Émile Martin" not in cached.text
    _save(writer)
    for path in ("/", "/users/writer", "/posts/on-garamond"):
        fresh = app.test_client().get(path)
        assert fresh.headers["X-Cache"] == "MISS", path
        assert "Émile Martin" in fresh.text


def test_saving_only_a_new_time_zone_keeps_the_cache(app: Flask, writer: FlaskClient) -> None:
    """The time zone is private: changing it alone leaves the public pages as they are."""
    _save(writer)
    app.test_client().get("/")
    _save(writer, time_zone="Asia/Tokyo")
    assert app.test_client().get("/").headers["X-Cache"] == "HIT"
    assert _member(app, "writer").time_zone == "Asia/Tokyo"


# SQL statements -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/users/writer", "/users/quiet"])
def test_a_full_profile_page_stays_within_the_query_budget(
    app: Flask, writer: FlaskClient, path: str
) -> None:
    """With a display name, bio and website, with posts or without: at most 3 statements."""
    with app.app_context():
        create_user("quiet")
    assert _save(writer).status_code == 302
    quiet = app.test_client()
    AuthActions(quiet).login("quiet")
    assert _save(quiet, display_name="Quiet One").status_code == 302
    reader = app.test_client()
    with counted_statements(app) as statements:
        assert reader.get(path).status_code == 200
    assert len(statements) <= 3, statements


def test_the_form_page_stays_within_the_query_budget(app: Flask, writer: FlaskClient) -> None:
    with counted_statements(app) as statements:
        assert writer.get(FORM).status_code == 200
    assert len(statements) <= 4, statements


def _save_with_picture(
    client: FlaskClient, picture: bytes | None, filename: str = "me.jpg", **changes: str
) -> TestResponse:
    """Press Save profile with ``picture`` chosen in the form's Picture field."""
    page = client.get(FORM).text
    data: dict[str, object] = {"csrf_token": csrf_token(page), **PROFILE, **changes}
    if picture is not None:
        data["picture"] = (io.BytesIO(picture), filename, "image/jpeg")
    return client.post(
        FORM, data=data, content_type="multipart/form-data", headers={"Referer": FORM}
    )


def test_one_save_keeps_the_profile_and_its_picture_and_bylines_show_it(
    app: Flask, writer: FlaskClient
) -> None:
    """The picture is a field of the profile form: one Save profile keeps both; then the
    profile, the public page and every byline show the picture (the small copy in bylines)."""
    page = writer.get(FORM).text
    assert 'enctype="multipart/form-data"' in page
    assert 'class="avatar avatar-96 avatar-hue-' in page  # initials until then
    sent = _save_with_picture(writer, photo(300, 200))
    assert sent.status_code == 302
    assert sent.headers["Location"] == FORM
    member = _member(app, "writer")
    assert member.display_name == PROFILE["display_name"]
    avatar = member.avatar
    assert avatar is not None
    name, ext = avatar.split(".")
    assert f'<img class="avatar avatar-96" src="/media/{avatar}"' in writer.get(FORM).text
    public = writer.get("/users/writer").text
    assert f'<img class="avatar avatar-96" src="/media/{avatar}"' in public
    assert f'<img class="avatar avatar-32" src="/media/{name}-64.{ext}"' in public
    assert f'src="/media/{name}-64.{ext}"' in writer.get("/").text
    assert writer.get(f"/media/{name}-64.{ext}").status_code == 200
    removed = _save_with_picture(writer, None, remove_picture="y")
    assert removed.status_code == 302
    assert _member(app, "writer").avatar is None


def test_a_profile_error_saves_nothing_and_asks_for_the_picture_again(
    app: Flask, writer: FlaskClient
) -> None:
    response = _save_with_picture(writer, photo(300, 200), website="javascript:alert(1)")
    assert response.status_code == 422
    assert "choose the picture again" in response.text
    member = _member(app, "writer")
    assert (member.display_name, member.avatar) == (None, None)


def test_a_refused_picture_says_the_rest_is_saved(app: Flask, writer: FlaskClient) -> None:
    response = _save_with_picture(writer, b"<svg xmlns='http://www.w3.org/2000/svg'/>", "x.svg")
    assert response.status_code == 422
    assert "The rest is saved, but not this picture" in response.text
    member = _member(app, "writer")
    assert (member.display_name, member.avatar) == (PROFILE["display_name"], None)


def test_the_upload_budget_never_blocks_saving_the_text(make_app: object) -> None:
    app = make_app({"RATELIMIT_ENABLED": True, "MEDIA_RATE_LIMIT": "1 per hour"})  # type: ignore[operator]
    with app.app_context():
        create_user("writer")
    client = app.test_client()
    AuthActions(client).login("writer")
    assert _save_with_picture(client, photo(300, 200)).status_code == 302
    assert _save_with_picture(client, photo(301, 200)).status_code == 429
    assert _save_with_picture(client, None, display_name="Only text").status_code == 302
    assert _member(app, "writer").display_name == "Only text"

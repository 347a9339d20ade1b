"""Every page a reader, a member or an administrator meets, read in Chinese over HTTP: no run of
three English words is left once user content is taken out (tests/i18n_text.py). The browser
walk (tests/browser/test_every_page.py) covers the same pages for layout and axe."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pyotp
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.models import MailStatus, OutboxMessage, Passkey, User, utcnow
from app.services import mfa, posts, tokens
from app.services.notifications import Topic
from tests.conftest import AppFactory
from tests.factories import create_post, create_user
from tests.helpers import PASSWORD, AuthActions, send_form, submit
from tests.i18n_text import english_runs, visible_text

USERS = ("chief", "writer", "keeper", "reader")
# User content that is English by nature; everything else on a page must be Chinese.
ALLOWED = ("Inkwell", "UTC", "Europe/Paris", "sleeper", "coder", *USERS)
USER_CONTENT = ("comment-body", "post-body", "prose")
SECURITY = "/account/security"


@pytest.fixture
def site(app: Flask) -> dict[str, str]:
    with app.test_request_context():
        create_user("chief", is_admin=True).locale = "zh-Hans"
        writer = create_user("writer")
        writer.locale = "zh-Hans"
        create_user("keeper")
        reader = create_user("reader")
        post = create_post(writer, title="风筝的历史", body="关于**风筝**的文章。", tags=("风筝",))
        create_post(writer, title="草稿", status="draft")
        posts.create_post(
            writer,
            title="以后",
            body="很快。",
            tags=[],
            status="published",
            publish_at=utcnow() + timedelta(days=3),
        )
        comment = posts.add_comment(post, reader, "一条评论。")
        posts.add_comment(post, writer, "一条回复。", reply_to=comment.id)
        passkey = Passkey(
            user=writer,
            credential_id=b"pages",
            public_key=b"unused",
            user_handle=b"handle",
            name="笔记本电脑",
            device_type="multi_device",
            backed_up=True,
        )
        db.session.add(passkey)
        db.session.commit()
        published = post.published_at
        assert published is not None
        return {
            "post": post.slug,
            "post_id": str(post.id),
            "year": str(published.year),
            "month": str(published.month),
            "passkey_id": str(passkey.id),
            "comment_id": str(comment.id),
            "writer_id": str(writer.id),
            "keeper_id": str(create_user("sleeper").id),
            "reset_token": tokens.make_reset_token(reader),
            "email_token": tokens.make_email_token(
                writer.id, tokens.account_state(writer), "wendy@example.org"
            ),
            "unsubscribe_token": tokens.make_unsubscribe_token(reader, Topic.REPLIES),
        }


VISITOR_PAGES = [
    ("/", 200),
    ("/posts/{post}", 200),
    ("/tags/风筝", 200),
    ("/users/writer", 200),
    ("/search?q=风筝", 200),
    ("/search?q=nothingatall", 200),
    ("/search", 200),
    ("/archive", 200),
    ("/archive/{year}/{month}", 200),
    ("/tags", 200),
    ("/auth/login", 200),
    ("/auth/register", 200),
    ("/auth/reset", 200),
    ("/auth/reset/{reset_token}", 200),
    ("/auth/reset/expired", 400),
    ("/account/email/confirm/{email_token}", 200),
    ("/notifications/unsubscribe/{unsubscribe_token}", 200),
    ("/no-such-page", 404),
    ("/auth/logout", 405),
    ("/search?q=%00", 400),
]
MEMBER_PAGES = [
    ("/", 200),
    ("/posts/{post}", 200),
    ("/posts/{post}?reply_to={comment_id}", 200),
    ("/posts/{post}?reply_to=99999", 200),
    ("/account/sessions", 200),
    ("/account/password", 200),
    ("/account/email", 200),
    ("/account/posts", 200),
    ("/account/profile", 200),
    ("/account/avatar", 200),
    ("/media", 200),
    ("/account/notifications", 200),
    ("/account/security", 200),
    ("/account/passkeys/{passkey_id}/remove", 200),
    ("/auth/reauthenticate", 200),
    ("/posts/new", 200),
    ("/posts/{post}/edit", 200),
    ("/posts/{post}/delete", 200),
    ("/comments/{comment_id}/delete", 200),
    ("/admin/", 403),
]
ADMIN_PAGES = [
    ("/admin/", 200),
    ("/admin/users", 200),
    ("/admin/users?sort=username&dir=asc", 200),
    ("/admin/users/{writer_id}/deactivate", 200),
    ("/admin/users/{keeper_id}/reset-two-factor", 200),
    ("/admin/posts", 200),
    ("/admin/posts?status=draft", 200),
    ("/admin/posts/{post_id}/unpublish", 200),
    ("/admin/posts/{post_id}/delete", 200),
    ("/admin/comments", 200),
    ("/admin/comments?show=hidden", 200),
    ("/admin/comments/{comment_id}/delete", 200),
    ("/admin/audit", 200),
    ("/admin/settings", 200),
]


# The time zone list is IANA's names (Europe/Paris, EST): chosen not to translate (README.md).
TIME_ZONES = re.compile(r'<select[^>]*name="time_zone".*?</select>', re.DOTALL)


def leftover_english(html: str) -> list[str]:
    return english_runs(visible_text(TIME_ZONES.sub("", html), USER_CONTENT), ALLOWED)


def _check(client: FlaskClient, pages: list[tuple[str, int]], site: dict[str, str]) -> list[str]:
    found: dict[str, str] = {}  # each run once, with the first page it is on
    for path, status in pages:
        url = path.format(**site)
        response = client.get(url)
        assert response.status_code == status, url
        assert '<html lang="zh-Hans"' in response.text, url
        for run in leftover_english(response.text):
            found.setdefault(" ".join(run.split()), url)
    return [f"{url}: {run}" for run, url in found.items()]


def _assert_none(found: list[str]) -> None:
    assert not found, "English left:\n" + "\n".join(found)


def test_a_visitor_reading_chinese_meets_no_english(
    client: FlaskClient, site: dict[str, str]
) -> None:
    client.set_cookie("lang", "zh-Hans")
    _assert_none(_check(client, VISITOR_PAGES, site))


def test_a_member_reading_chinese_meets_no_english(
    client: FlaskClient, auth: AuthActions, site: dict[str, str]
) -> None:
    auth.login("writer")
    _assert_none(_check(client, MEMBER_PAGES, site))


def test_an_administrator_reading_chinese_meets_no_english(
    client: FlaskClient, auth: AuthActions, site: dict[str, str]
) -> None:
    with client.application.app_context():
        for kind in ("post_comment", "comment_reply", "password_reset"):
            failed = OutboxMessage(kind=kind, recipient="x@example.com", payload={})
            failed.status = MailStatus.FAILED
            db.session.add(failed)
        db.session.commit()
    auth.login("chief")
    _assert_none(_check(client, ADMIN_PAGES, site))
    failed_mail = client.get("/admin/").text
    assert "文章的新评论" in failed_mail
    assert "{commenter}" not in failed_mail
    assert ">重试</button>" in failed_mail


# Forms sent with mistakes: every error (ours and WTForms' own) in Chinese ---------------------

LONG = "长" * 300
BAD_FORMS = [
    # (who, address of the form, what is typed, the status, an error in Chinese)
    (None, "/auth/login", {"username": "", "password": ""}, 422, "请输入密码"),
    (None, "/auth/login", {"username": "reader", "password": "wrong"}, 422, ""),
    (None, "/auth/register", {"username": "a b", "email": "x", "password": "1"}, 422, ""),
    (None, "/auth/register", {"username": "reader", "email": "reader@example.com"}, 422, ""),
    (None, "/auth/reset/{reset_token}", {"password": "short", "confirm": "other"}, 422, ""),
    ("writer", "/account/password", {"current_password": "wrong", "password": "x"}, 422, ""),
    ("writer", "/account/email", {"email": "bad", "current_password": ""}, 422, ""),
    ("writer", "/account/profile", {"time_zone": "Mars/Base", "website": "ftp://x"}, 422, ""),
    ("writer", "/account/profile", {"time_zone": "UTC", "display_name": LONG}, 422, ""),
    ("writer", "/posts/new", {"title": "", "body": ""}, 422, ""),
    ("writer", "/posts/new", {"title": "风", "body": "风", "status": "x"}, 422, ""),
    ("writer", "/posts/new", {"title": "风", "body": "风", "publish_at": "soon"}, 422, ""),
    (
        "writer",
        "/posts/new",
        {"title": "风", "body": "风", "status": "scheduled", "publish_at": "2030-03-31T02:30"},
        422,
        "2030年3月31日",
    ),
    ("writer", "/media", {}, 422, ""),
    ("writer", "/account/avatar", {}, 422, ""),
    ("writer", "/auth/reauthenticate", {"password": "wrong"}, 422, ""),
    ("chief", "/admin/settings", {"name": "", "tagline": LONG}, 422, ""),
]


@pytest.mark.parametrize(("who", "url", "typed", "status", "expected"), BAD_FORMS)
def test_form_errors_are_chinese(
    app: Flask,
    client: FlaskClient,
    site: dict[str, str],
    who: str | None,
    url: str,
    typed: dict[str, str],
    status: int,
    expected: str,
) -> None:
    if who is None:
        client.set_cookie("lang", "zh-Hans")
    else:
        AuthActions(client).login(who)
        if "publish_at" in typed:
            submit(client, "/account/profile", {"time_zone": "Europe/Paris", "locale": "zh-Hans"})
    response = submit(client, url.format(**site), typed)
    assert response.status_code == status, response.text
    assert expected in response.text
    assert 'class="error' in response.text or "error" in response.text
    _assert_none([f"{url}: {run}" for run in leftover_english(response.text)])


def test_an_admin_action_refused_says_why_in_a_whole_chinese_sentence(
    client: FlaskClient, auth: AuthActions, site: dict[str, str]
) -> None:
    """Each refusal is its own sentence: translators never get an English verb to place."""
    auth.login("chief")
    with client.application.app_context():
        chief_id = db.session.scalar(sa.select(User.id).where(User.username == "chief"))
    for action, sentence in (
        ("deactivate", "你不能停用自己的账号。"),
        ("remove-admin", "你不能撤销自己账号的管理员权限。"),
    ):
        refused = submit(client, f"/admin/users/{chief_id}/{action}", {}, "/admin/users")
        assert refused.status_code == 409
        assert sentence in refused.text
        assert leftover_english(refused.text) == []
    done = submit(client, f"/admin/users/{site['writer_id']}/unlock", {}, "/admin/users")
    assert "writer 可以再次尝试登录" in client.get(done.headers["Location"]).text


def test_an_action_kept_through_the_password_check_is_named_in_chinese(
    app: Flask, site: dict[str, str]
) -> None:
    """The button that finishes a POST kept for the password check (app/auth/replay.py) says
    what the member pressed, in their language: its label travels as the button's value."""
    first = app.test_client()
    AuthActions(first).login("writer", remember=True)
    restored = app.test_client()
    restored.set_cookie("inkwell_remember", first.get_cookie("inkwell_remember").value)
    AuthActions(app.test_client()).login("writer")  # another device to sign out
    sessions = restored.get("/account/sessions")
    sent = send_form(restored, sessions, "/account/sessions/revoke-others")
    assert sent.status_code == 302
    asked = restored.get(sent.headers["Location"])
    confirmed = send_form(restored, asked, "/auth/reauthenticate", password=PASSWORD)
    assert confirmed.status_code == 200
    assert ">在其他所有地方退出登录</button>" in confirmed.text
    assert leftover_english(confirmed.text) == []


def test_two_factor_pages_are_chinese(app: Flask, client: FlaskClient, auth: AuthActions) -> None:
    """The code page (half signed in), then the security and password pages with it on."""
    with app.test_request_context():
        user = create_user("coder")
        user.locale = "zh-Hans"
        enrolment = mfa.status(user).enrolment
        assert enrolment is not None
        codes = mfa.confirm_enrolment(user, pyotp.TOTP(enrolment.key.replace(" ", "")).now())
        assert codes
    client.set_cookie("lang", "zh-Hans")
    assert auth.login("coder").status_code == 302
    found = []
    code_page = client.get("/auth/two-factor")
    found += [f"/auth/two-factor: {run}" for run in leftover_english(code_page.text)]
    wrong = submit(client, "/auth/two-factor", {"code": "000000"})
    assert wrong.status_code == 422
    found += [f"/auth/two-factor (wrong code): {run}" for run in leftover_english(wrong.text)]
    assert submit(client, "/auth/two-factor", {"code": codes[0]}).status_code == 302
    for path in ("/account/security", "/auth/reauthenticate"):
        page = client.get(path)
        assert page.status_code == 200
        found += [f"{path}: {run}" for run in leftover_english(page.text)]
    off = submit(client, "/account/security/disable", {"password": "x", "code": ""}, SECURITY)
    assert off.status_code == 422
    found += [f"disable (mistakes): {run}" for run in leftover_english(off.text)]
    _assert_none(found)


def test_the_too_many_requests_page_is_chinese(make_app: AppFactory) -> None:
    app = make_app({"RATELIMIT_ENABLED": True, "RATELIMIT_KEY_PREFIX": uuid.uuid4().hex})
    client = app.test_client()
    client.set_cookie("lang", "zh-Hans")
    for _ in range(5):
        assert AuthActions(client).login("nobody").status_code == 422
    refused = AuthActions(client).login("nobody")
    assert refused.status_code == 429
    assert "请求过多" in refused.text
    assert re.search(r'<label for="kept-1">用户名', refused.text), "the kept field's label"
    _assert_none([f"429: {run}" for run in leftover_english(refused.text)])

"""Every kind of mail the app sends, to members who chose Chinese, caused through the site as
they would cause it: subject and body are Chinese, with no run of three English words left
once addresses, links, names and the site's name are taken out (tests/i18n_text.py)."""

from __future__ import annotations

import re
from email.message import EmailMessage
from urllib.parse import quote

import pyotp
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.models import OutboxMessage, User
from app.services import mail
from tests.conftest import Inbox
from tests.factories import create_post, create_user
from tests.helpers import PASSWORD, AuthActions, send_form, submit
from tests.i18n_text import english_runs, visible_text
from tests.integration.test_mfa import KEY, RECOVERY

NEW_PASSWORD = "a brand new passphrase for inkwell"
ALLOWED = ("Inkwell", "writer", "reader", "boss")
CHINESE = re.compile(r"[\u4e00-\u9fff]")
POST = quote("风筝")  # the post's address: its title, as the browser sends it
LINK = re.compile(r"https?://\S+/account/email/confirm/[^\s<>\"]+")


def _member(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    AuthActions(client).login(username)
    return client


def _comment(client: FlaskClient, body: str, reply_to: int | None = None) -> int:
    path = f"/posts/{POST}" if reply_to is None else f"/posts/{POST}?reply_to={reply_to}"
    response = send_form(client, client.get(path), f"/posts/{POST}/comments", body=body)
    assert response.status_code == 302, response.text
    return int(response.headers["Location"].rsplit("#comment-", 1)[1])


def _enrol(client: FlaskClient) -> list[str]:
    """Turn on two-factor sign-in through the security page; the recovery codes."""
    match = KEY.search(client.get("/account/security").text)
    assert match, "no key on the security page"
    code = pyotp.TOTP(match.group(1).replace(" ", "")).now()
    done = submit(client, "/account/security/enrol", {"code": code}, "/account/security")
    assert done.status_code == 200, done.text
    return RECOVERY.findall(done.text)


def _cause_every_mail(app: Flask, inbox: Inbox) -> None:
    writer, reader = _member(app, "writer"), _member(app, "reader")
    # A comment on the writer's post, and the writer's reply to it.
    first = _comment(reader, "写得真好。")
    _comment(writer, "谢谢。", reply_to=first)
    # A new address: the confirmation to it, then (once confirmed) the notice to the old one.
    asked = {"email": "reader.new@example.com", "current_password": PASSWORD}
    assert submit(reader, "/account/email", asked).status_code == 302
    inbox.deliver()
    (confirmation,) = inbox.to("reader.new@example.com")
    link = LINK.search(confirmation.get_body(("plain",)).get_content())
    assert link
    path = link.group(0).split("://", 1)[1].split("/", 1)[1]
    assert submit(reader, f"/{path}", {}).status_code == 302
    # A new password; two-factor on, new recovery codes, off, on again and reset by an admin.
    changed = {"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert submit(reader, "/account/password", changed).status_code == 302
    _enrol(reader)
    fresh = submit(reader, "/account/security/recovery-codes", {}, "/account/security")
    codes = RECOVERY.findall(fresh.text)
    off = {"password": NEW_PASSWORD, "code": codes[0]}
    assert submit(reader, "/account/security/disable", off, "/account/security").status_code == 302
    _enrol(reader)
    with app.app_context():
        reader_id = db.session.scalar(sa.select(User.id).where(User.username == "reader"))
    boss = _member(app, "boss")
    reset = f"/admin/users/{reader_id}/reset-two-factor"
    assert submit(boss, reset, {}).status_code == 302
    # Passkeys need a browser's authenticator: the service's own calls, in an English request.
    with app.test_request_context():
        user = db.session.get(User, reader_id)
        assert user is not None
        mail.enqueue_two_factor_notice(user, "passkey_added")
        mail.enqueue_two_factor_notice(user, "passkey_removed")
        db.session.commit()
    # A reset asked for by an English visitor: the saved language decides.
    submit(app.test_client(), "/auth/reset", {"email": "reader.new@example.com"})
    inbox.deliver()


def _kinds_sent(app: Flask) -> set[str]:
    with app.app_context():
        rows = db.session.scalars(sa.select(OutboxMessage))
        return {
            f"two_factor:{row.payload['change']}" if row.kind == "two_factor" else row.kind
            for row in rows
        }


def _leftover_english(message: EmailMessage) -> list[str]:
    plain = message.get_body(("plain",)).get_content()
    html = visible_text(message.get_body(("html",)).get_content())
    found = []
    for part, text in (("subject", str(message["Subject"])), ("text", plain), ("html", html)):
        if not CHINESE.search(text):
            found.append(f"{part}: no Chinese at all")
        found += [f"{part}: {run}" for run in english_runs(text, ALLOWED)]
    return found


def test_every_mail_a_member_who_reads_chinese_gets_is_chinese(
    mail_app: Flask, inbox: Inbox
) -> None:
    with mail_app.app_context():
        for name in ("writer", "reader"):
            create_user(name, email=f"{name}@example.com").locale = "zh-Hans"
        create_user("boss", is_admin=True)
        create_post(db.session.scalar(sa.select(User).filter_by(username="writer")), title="风筝")
        db.session.commit()
    _cause_every_mail(mail_app, inbox)
    every_kind = {kind for kind in mail.COMPOSERS if kind != "two_factor"}
    every_kind |= {f"two_factor:{change}" for change in mail.TWO_FACTOR_CHANGES}
    assert _kinds_sent(mail_app) == every_kind, "a kind of mail this test does not cause"
    with mail_app.app_context():
        queued = db.session.scalar(sa.select(sa.func.count(OutboxMessage.id)))
    assert len(inbox.messages) == queued, "every queued mail was sent"
    found = {
        f"{message['Subject']}: {problem}"
        for message in inbox.messages
        for problem in _leftover_english(message)
    }
    assert not found, "English left:\n" + "\n".join(sorted(found))


def test_passkey_mails_say_what_happened_in_their_subject(mail_app: Flask, inbox: Inbox) -> None:
    with mail_app.app_context():
        create_user("li", email="li@example.com").locale = "zh-Hans"
        create_user("ann", email="ann@example.com")
        db.session.commit()
    with mail_app.test_request_context():
        for name in ("li", "ann"):
            user = db.session.scalar(sa.select(User).filter_by(username=name))
            assert user is not None
            mail.enqueue_two_factor_notice(user, "passkey_added")
            mail.enqueue_two_factor_notice(user, "passkey_removed")
        db.session.commit()
    inbox.deliver()
    assert {str(m["Subject"]) for m in inbox.to("ann@example.com")} == {
        "[Inkwell] A passkey was added",
        "[Inkwell] A passkey was removed",
    }
    assert {str(m["Subject"]) for m in inbox.to("li@example.com")} == {
        "[Inkwell] 已添加一个通行密钥",
        "[Inkwell] 已移除一个通行密钥",
    }


def test_a_member_who_registered_in_chinese_is_mailed_in_chinese(
    mail_app: Flask, inbox: Inbox
) -> None:
    """Mail to a member with no saved language followed whoever caused it (found by a review:
    an English reader's reply reached a member who registered in Chinese in English). The
    language a member registers in is saved as their preference, changeable on the profile."""
    newcomer = mail_app.test_client()
    newcomer.set_cookie("lang", "zh-Hans")
    assert AuthActions(newcomer).register("xiaoming", "xm@example.com").status_code == 302
    english = mail_app.test_client()
    english.set_cookie("lang", "en")
    AuthActions(english).register("emily", "emily@example.com")
    with mail_app.app_context():
        saved = dict(db.session.execute(sa.select(User.username, User.locale)).tuples().all())
    assert saved == {"xiaoming": "zh-Hans", "emily": "en"}
    submit(english, "/auth/logout", {}, form_url="/")
    submit(english, "/auth/reset", {"email": "xm@example.com"})
    inbox.deliver()
    [reset] = inbox.to("xm@example.com")  # asked for from an English browser
    assert CHINESE.search(str(reset["Subject"])), reset["Subject"]
    assert _leftover_english(reset) == []

"""Mail about comments and replies, through the real outbox and worker: who is told, what the
mail says, one-click unsubscribe links, the settings page, and what the worker re-checks."""

from __future__ import annotations

import re
from email.message import EmailMessage

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app.extensions import db
from app.models import Comment, OutboxMessage, User, utcnow
from app.services import accounts, posts, tokens
from tests.conftest import Inbox
from tests.factories import create_post, create_user
from tests.helpers import AuthActions, send_form, submit


@pytest.fixture
def talk(mail_app: Flask) -> Flask:
    """A post "Talk" by "writer"; "reader" and "third" may comment."""
    with mail_app.app_context():
        create_post(create_user("writer"), title="Talk")
        create_user("reader")
        create_user("third")
    return mail_app


def _member(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    AuthActions(client).login(username)
    return client


def _comment(client: FlaskClient, body: str, reply_to: int | None = None) -> TestResponse:
    path = "/posts/talk" if reply_to is None else f"/posts/talk?reply_to={reply_to}"
    response = send_form(client, client.get(path), "/posts/talk/comments", body=body)
    assert response.status_code == 302, response.text
    return response


def _comment_id(response: TestResponse) -> int:
    return int(response.headers["Location"].rsplit("#comment-", 1)[1])


def _text(message: EmailMessage, part: str = "plain") -> str:
    return message.get_body(preferencelist=(part,)).get_content().replace("\r\n", "\n")


def _kinds(app: Flask) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.execute(sa.select(OutboxMessage.kind, OutboxMessage.recipient))
        return sorted((kind, recipient) for kind, recipient in rows)


def test_a_comment_mails_the_post_author_once_with_a_link_to_it(talk: Flask, inbox: Inbox) -> None:
    comment_id = _comment_id(_comment(_member(talk, "reader"), "Lovely <b>post</b>.\nThanks!"))
    assert inbox.deliver().counts == {"sent": 1}
    assert inbox.deliver().counts == {}, "sent once"
    (mail,) = inbox.messages
    assert str(mail["To"]) == "writer@example.com"
    assert mail["Subject"].strip() == "[Inkwell] reader commented on “Talk”"
    link = f"http://localhost/posts/talk#comment-{comment_id}"
    text = _text(mail)
    assert "reader commented on your post “Talk”" in text
    assert "Lovely <b>post</b>.\nThanks!" in text, "the comment as typed, in plain text"
    assert link in text
    html = _text(mail, "html")
    assert f'href="{link}"' in html
    assert "Lovely &lt;b&gt;post&lt;/b&gt;." in html
    unsubscribe = re.fullmatch(
        r"<(http://localhost/notifications/unsubscribe/\S+)>", mail["List-Unsubscribe"]
    )
    assert unsubscribe
    assert unsubscribe.group(1) in text
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "http://localhost/account/notifications" in text


def test_a_long_comment_is_trimmed_in_the_mail(talk: Flask, inbox: Inbox) -> None:
    _comment(_member(talk, "reader"), "word " * 300 + "THE-END")
    inbox.deliver()
    text = _text(inbox.messages[0])
    assert "word word…" in text
    assert "THE-END" not in text


def test_nobody_is_mailed_about_their_own_comment(talk: Flask, inbox: Inbox) -> None:
    writer = _member(talk, "writer")
    own = _comment_id(_comment(writer, "My own post, my own comment."))
    _comment(writer, "And my own reply to it.", reply_to=own)
    assert _kinds(talk) == []
    assert inbox.deliver().counts == {}


def test_a_reply_mails_the_answered_member_and_the_post_author(talk: Flask, inbox: Inbox) -> None:
    first = _comment_id(_comment(_member(talk, "reader"), "First."))
    inbox.deliver()
    inbox.messages.clear()
    reply = _comment_id(_comment(_member(talk, "third"), "An answer.", reply_to=first))
    assert inbox.deliver().counts == {"sent": 2}
    (to_reader,) = inbox.to("reader@example.com")
    assert to_reader["Subject"].strip() == "[Inkwell] third replied to your comment on “Talk”"
    assert f"http://localhost/posts/talk#comment-{reply}" in _text(to_reader)
    assert "An answer." in _text(to_reader)
    (to_writer,) = inbox.to("writer@example.com")
    assert to_writer["Subject"] == "[Inkwell] third commented on “Talk”"


def test_a_reply_to_a_reply_mails_the_member_answered(talk: Flask, inbox: Inbox) -> None:
    first = _comment_id(_comment(_member(talk, "writer"), "Welcome."))
    second = _comment_id(_comment(_member(talk, "reader"), "Thanks.", reply_to=first))
    inbox.deliver()
    inbox.messages.clear()
    _comment(_member(talk, "third"), "@reader indeed.", reply_to=second)
    inbox.deliver()
    assert [str(m["To"]) for m in inbox.messages] == ["reader@example.com", "writer@example.com"]
    assert "replied to your comment" in inbox.to("reader@example.com")[0]["Subject"]


def test_the_post_author_replying_on_their_own_post_mails_only_the_member_answered(
    talk: Flask, inbox: Inbox
) -> None:
    first = _comment_id(_comment(_member(talk, "reader"), "A question?"))
    inbox.deliver()
    inbox.messages.clear()
    _comment(_member(talk, "writer"), "An answer.", reply_to=first)
    assert inbox.deliver().counts == {"sent": 1}
    assert [str(m["To"]) for m in inbox.messages] == ["reader@example.com"]


def test_a_reply_to_the_post_authors_own_comment_sends_them_one_mail(
    talk: Flask, inbox: Inbox
) -> None:
    first = _comment_id(_comment(_member(talk, "writer"), "Ask me anything."))
    _comment(_member(talk, "reader"), "Why?", reply_to=first)
    assert inbox.deliver().counts == {"sent": 1}
    (mail,) = inbox.messages
    assert str(mail["To"]) == "writer@example.com"
    assert "replied to your comment" in mail["Subject"]


def test_deactivated_members_are_not_mailed(talk: Flask, inbox: Inbox) -> None:
    """An admin still sees (and may comment on) a deactivated member's post: no mail goes."""
    with talk.app_context():
        create_user("chief", is_admin=True)
        db.session.scalar(sa.select(User).filter_by(username="writer")).is_active = False
        db.session.commit()
    assert _member(talk, "reader").get("/posts/talk").status_code == 404
    _comment(_member(talk, "chief"), "A note for the record.")
    assert _kinds(talk) == []
    assert inbox.deliver().counts == {}


@pytest.mark.parametrize(
    "change", ["hidden", "deleted", "author deactivated", "recipient deactivated", "turned off"]
)
def test_what_changes_before_the_worker_sends_is_respected(
    talk: Flask, inbox: Inbox, change: str
) -> None:
    comment_id = _comment_id(_comment(_member(talk, "reader"), "Rude words."))
    assert _kinds(talk) == [("post_comment", "writer@example.com")]
    with talk.app_context():
        comment = db.session.get(Comment, comment_id)
        writer = db.session.scalar(sa.select(User).filter_by(username="writer"))
        if change == "hidden":
            comment.is_hidden = True
        elif change == "deleted":
            posts.delete_comment(comment)
        elif change == "author deactivated":
            comment.author.is_active = False
        elif change == "recipient deactivated":
            writer.is_active = False
        else:
            writer.notify_comments = False
        db.session.commit()
    assert inbox.deliver().counts == {"skipped": 1}
    assert inbox.messages == []


def test_a_reply_whose_thread_was_hidden_before_sending_is_not_mailed(
    talk: Flask, inbox: Inbox
) -> None:
    first = _comment_id(_comment(_member(talk, "reader"), "First."))
    inbox.deliver()
    inbox.messages.clear()
    _comment(_member(talk, "third"), "An answer.", reply_to=first)
    with talk.app_context():
        db.session.get(Comment, first).is_hidden = True
        db.session.commit()
    assert inbox.deliver().counts == {"skipped": 2}


def _unsubscribe_link(message: EmailMessage) -> str:
    found = re.fullmatch(
        r"<http://localhost(/notifications/unsubscribe/\S+)>", message["List-Unsubscribe"]
    )
    assert found
    return found.group(1)


def _settings(app: Flask, username: str = "writer") -> tuple[bool, bool]:
    with app.app_context():
        user = db.session.scalar(sa.select(User).filter_by(username=username))
        return user.notify_comments, user.notify_replies


def test_the_unsubscribe_link_asks_then_works_without_signing_in(talk: Flask, inbox: Inbox) -> None:
    _comment(_member(talk, "reader"), "Hello.")
    inbox.deliver()
    link = _unsubscribe_link(inbox.messages[0])
    stranger = talk.test_client()  # the mail is opened anywhere, signed in or not

    page = stranger.get(link)
    assert page.status_code == 200
    assert "Stop mailing <strong>writer</strong> about comments on your posts?" in page.text
    assert page.headers["Cache-Control"] == "no-store"
    assert _settings(talk) == (True, True), "a GET (a link scanner) changes nothing"

    done = send_form(stranger, page, "")
    assert done.status_code == 200
    assert "You are unsubscribed" in done.text
    assert _settings(talk) == (False, True), "only that kind of mail is turned off"
    assert send_form(stranger, page, "").status_code == 200, "clicking again is harmless"

    inbox.messages.clear()
    _comment(_member(talk, "third"), "Anyone there?")
    assert inbox.deliver().counts == {}
    assert inbox.messages == []


def test_one_click_unsubscribe_by_the_mail_provider_needs_no_cookie_or_csrf(
    talk: Flask, inbox: Inbox
) -> None:
    """RFC 8058: the provider POSTs ``List-Unsubscribe=One-Click`` to the header's address."""
    first = _comment_id(_comment(_member(talk, "writer"), "Tell me."))
    _comment(_member(talk, "reader"), "Told.", reply_to=first)
    inbox.deliver()
    link = _unsubscribe_link(inbox.messages[0])
    response = talk.test_client().post(link, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert _settings(talk) == (True, False), "the reply mail turns off replies"


@pytest.mark.parametrize(
    "tamper", ["flipped", "truncated", "other purpose", "unknown topic", "no such account"]
)
def test_a_tampered_or_foreign_unsubscribe_link_is_refused(
    talk: Flask, inbox: Inbox, tamper: str
) -> None:
    _comment(_member(talk, "reader"), "Hello.")
    inbox.deliver()
    link = _unsubscribe_link(inbox.messages[0])
    token = link.rsplit("/", 1)[1]
    with talk.app_context():
        writer = db.session.scalar(sa.select(User).filter_by(username="writer"))
        token = {
            "flipped": token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB"),
            "truncated": token[:20],
            "other purpose": tokens.make_reset_token(writer),
            "unknown topic": tokens.make_unsubscribe_token(writer, "everything"),
            "no such account": tokens.make_unsubscribe_token(
                User(id=99999, created_at=utcnow()), "comments"
            ),
        }[tamper]
    client = talk.test_client()
    for response in (
        client.get(f"/notifications/unsubscribe/{token}"),
        client.post(f"/notifications/unsubscribe/{token}"),
    ):
        assert response.status_code == 400
        assert "This link does not work" in response.text
    assert _settings(talk) == (True, True)


def test_an_unsubscribe_link_does_not_work_for_a_later_account_with_the_same_id(
    talk: Flask, inbox: Inbox
) -> None:
    """SQLite gives a deleted account's id to the next one: the link names the account."""
    first = _comment_id(_comment(_member(talk, "third"), "First."))
    _comment(_member(talk, "reader"), "An answer.", reply_to=first)
    inbox.deliver()
    [reply_mail] = [message for message in inbox.messages if message["To"] == "third@example.com"]
    link = _unsubscribe_link(reply_mail)
    with talk.app_context():
        third = db.session.scalar(sa.select(User).filter_by(username="third"))
        third_id = third.id
        accounts.delete_account(third)
        newcomer = create_user("newcomer")
        if newcomer.id != third_id:  # PostgreSQL never reuses an id: give it the old one
            db.session.execute(sa.update(User).filter_by(id=newcomer.id).values(id=third_id))
            db.session.commit()
    client = talk.test_client()
    for response in (client.get(link), client.post(link)):
        assert response.status_code == 400
        assert "This link does not work" in response.text
        assert "newcomer" not in response.text
    assert _settings(talk, "newcomer") == (True, True)


def test_the_settings_page_turns_each_kind_off_and_on(talk: Flask, inbox: Inbox) -> None:
    writer = _member(talk, "writer")
    account = writer.get("/account/sessions").text
    assert 'href="/account/notifications"' in account
    page = writer.get("/account/notifications")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert page.text.count('type="checkbox"') == 2
    assert page.text.count("checked") == 2, "both on by default"

    saved = submit(writer, "/account/notifications", {"replies": "y"})  # comments unticked
    assert saved.status_code == 302
    assert "Notification settings saved." in writer.get(saved.headers["Location"]).text
    assert _settings(talk) == (False, True)
    _comment(_member(talk, "reader"), "Unheard.")
    assert _kinds(talk) == []

    submit(writer, "/account/notifications", {"comments": "y", "replies": "y"})
    assert _settings(talk) == (True, True)
    _comment(_member(talk, "reader"), "Heard.")
    assert _kinds(talk) == [("post_comment", "writer@example.com")]


def test_the_settings_page_needs_a_signed_in_member(talk: Flask) -> None:
    client = talk.test_client()
    response = client.get("/account/notifications")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]
    assert client.post("/account/notifications", data={"comments": "y"}).status_code == 400


def test_a_reply_mails_its_member_even_when_comment_mail_is_off_for_the_author(
    talk: Flask, inbox: Inbox
) -> None:
    """One mail per member: the post author whose comment was answered, with replies off,
    still hears of a new comment on their post if they want those."""
    first = _comment_id(_comment(_member(talk, "writer"), "Ask."))
    with talk.app_context():
        db.session.scalar(sa.select(User).filter_by(username="writer")).notify_replies = False
        db.session.commit()
    _comment(_member(talk, "reader"), "Asked.", reply_to=first)
    assert _kinds(talk) == [("post_comment", "writer@example.com")]

"""The admin area over HTTP: pages, actions, guards, fresh sign-in, audit log and CSV, CLI."""

from __future__ import annotations

import csv
import io
import re

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from app.extensions import db
from app.models import Comment, EventType, Post, SecurityEvent, User, UserSession
from app.services import events, posts
from tests.factories import create_post, create_user
from tests.helpers import PASSWORD, AuthActions, csrf_token, page_forms, send_form


@pytest.fixture
def site(app: Flask) -> dict[str, int]:
    with app.app_context():
        boss = create_user("boss", is_admin=True)
        member = create_user("member")
        post = create_post(member, title="Member post")
        comment = posts.add_comment(post, member, "a comment")
        return {"boss": boss.id, "member": member.id, "post": post.id, "comment": comment.id}


@pytest.fixture
def boss(app: Flask, site: dict[str, int]) -> FlaskClient:
    client = app.test_client()
    AuthActions(client).login("boss")
    return client


def _post(client: FlaskClient, url: str) -> object:
    token = csrf_token(client.get("/").text)
    return client.post(url, data={"csrf_token": token})


def _user(app: Flask, username: str) -> User:
    with app.app_context():
        return db.session.scalar(sa.select(User).where(User.username == username))


def _events(app: Flask, kind: EventType) -> list[SecurityEvent]:
    with app.app_context():
        return list(db.session.scalars(sa.select(SecurityEvent).where(SecurityEvent.type == kind)))


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/users",
        "/admin/users?q=mem&sort=username&dir=asc",
        "/admin/users?sort=last-sign-in",
        "/admin/posts",
        "/admin/posts?status=draft&author=member",
        "/admin/comments",
        "/admin/comments?show=hidden",
        "/admin/audit",
        "/admin/audit?user=boss&type=login_success&from=2020-01-01&to=2099-12-31",
    ],
)
def test_admin_pages_render_for_admins(boss: FlaskClient, path: str) -> None:
    response = boss.get(path)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/admin/users?sort=password_hash", "Sort by username"),
        ("/admin/posts?status=archived", "Filter by status"),
        ("/admin/comments?show=secret", "Show all, visible or hidden"),
        ("/admin/audit?type=made_up", "not a known event type"),
        ("/admin/audit?from=yesterday", "YYYY-MM-DD"),
        ("/admin/users?page=0", "There is nothing at this address"),
    ],
)
def test_bad_filters_are_a_4xx_with_a_message(boss: FlaskClient, path: str, message: str) -> None:
    response = boss.get(path)
    assert response.status_code in {400, 404}
    assert message in response.text


def test_dashboard_counts(boss: FlaskClient) -> None:
    AuthActions(boss.application.test_client()).login("member", password="wrong")
    page = boss.get("/admin/").text
    figures = dict(re.findall(r"<dt>([^<]+)</dt><dd>(\d+)</dd>", page))
    assert figures["Active members"] == "2"
    assert figures["Admins"] == "1"
    assert figures["Published posts"] == "1"
    assert figures["Visible comments"] == "1"
    assert figures["Sign-ins, 24 h"] == "1"
    assert figures["Failed sign-ins, 24 h"] == "1"


def test_user_search_finds_by_username_or_email(boss: FlaskClient) -> None:
    found = boss.get("/admin/users?q=MEMBER@example").text
    assert "member@example.com" in found
    assert "boss@example.com" not in found
    assert "No accounts match." in boss.get("/admin/users?q=%25_").text


def test_deactivation_signs_the_member_out_at_once_and_is_audited(
    app: Flask, boss: FlaskClient, site: dict[str, int]
) -> None:
    member = app.test_client()
    AuthActions(member).login("member", remember=True)
    response = _post(boss, f"/admin/users/{site['member']}/deactivate")
    assert response.status_code == 302
    assert "member is deactivated" in boss.get(response.headers["Location"]).text
    assert 'data-testid="current-user"' not in member.get("/").text
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(UserSession)
                .where(UserSession.user_id == site["member"])
            )
            == 0
        )
    assert AuthActions(app.test_client()).login("member").status_code == 422
    [event] = _events(app, EventType.USER_DEACTIVATED)
    assert (event.actor_id, event.user_id, event.ip_address) == (
        site["boss"],
        site["member"],
        "127.0.0.1",
    )

    _post(boss, f"/admin/users/{site['member']}/activate")
    assert AuthActions(app.test_client()).login("member").status_code == 302


def test_admin_rights_can_be_granted_and_removed(
    app: Flask, boss: FlaskClient, site: dict[str, int]
) -> None:
    _post(boss, f"/admin/users/{site['member']}/make-admin")
    assert _user(app, "member").is_admin
    _post(boss, f"/admin/users/{site['member']}/remove-admin")
    assert not _user(app, "member").is_admin
    kinds = [
        e.type
        for e in _events(app, EventType.ADMIN_GRANTED) + _events(app, EventType.ADMIN_REVOKED)
    ]
    assert kinds == ["admin_granted", "admin_revoked"]


@pytest.mark.parametrize("action", ["deactivate", "remove-admin"])
def test_admins_cannot_act_on_themselves(
    app: Flask, boss: FlaskClient, site: dict[str, int], action: str
) -> None:
    response = _post(boss, f"/admin/users/{site['boss']}/{action}")
    assert response.status_code == 409
    assert "your own account" in response.text
    assert _user(app, "boss").is_admin
    assert _user(app, "boss").is_active


def test_the_last_active_admin_cannot_be_demoted_or_deactivated(
    app: Flask, boss: FlaskClient, site: dict[str, int]
) -> None:
    _post(boss, f"/admin/users/{site['member']}/make-admin")
    deputy = app.test_client()
    AuthActions(deputy).login("member")
    assert _post(deputy, f"/admin/users/{site['boss']}/remove-admin").status_code == 302
    # Now "member" is the only admin left; "boss" cannot be the one to remove them either.
    assert _post(boss, f"/admin/users/{site['member']}/remove-admin").status_code == 403
    response = _post(deputy, f"/admin/users/{site['member']}/deactivate")
    assert response.status_code == 409
    with app.app_context():
        create_user("third", is_admin=True)
    third = app.test_client()
    AuthActions(third).login("third")
    # With two active admins one may deactivate the other; the one left is protected again.
    assert _post(third, f"/admin/users/{site['member']}/deactivate").status_code == 302
    assert _post(third, f"/admin/users/{_user(app, 'third').id}/remove-admin").status_code == 409


def test_revoke_sessions_and_unlock(app: Flask, make_app, site: dict[str, int]) -> None:
    limited = make_app(
        {
            "RATELIMIT_ENABLED": True,
            "LOGIN_RATE_LIMIT": "100 per minute",
            "LOGIN_ACCOUNT_RATE_LIMIT": "2 per hour",
        }
    )
    boss = limited.test_client()
    AuthActions(boss).login("boss")
    member = limited.test_client()
    AuthActions(member).login("member")
    for _ in range(2):
        AuthActions(limited.test_client()).login("member", password="wrong")
    assert AuthActions(limited.test_client()).login("member").status_code == 429
    assert _post(boss, f"/admin/users/{site['member']}/unlock").status_code == 302
    assert AuthActions(limited.test_client()).login("member").status_code == 302
    assert _post(boss, f"/admin/users/{site['member']}/revoke-sessions").status_code == 302
    assert 'data-testid="current-user"' not in member.get("/").text
    assert len(_events(limited, EventType.USER_UNLOCKED)) == 1
    assert len(_events(limited, EventType.SESSIONS_REVOKED_BY_ADMIN)) == 1


def test_moderating_posts_and_comments(app: Flask, boss: FlaskClient, site: dict[str, int]) -> None:
    _post(boss, f"/admin/comments/{site['comment']}/hide")
    assert "a comment" not in app.test_client().get("/posts/member-post").text
    _post(boss, f"/admin/comments/{site['comment']}/unhide")
    assert "a comment" in app.test_client().get("/posts/member-post").text
    _post(boss, f"/admin/comments/{site['comment']}/delete")
    _post(boss, f"/admin/posts/{site['post']}/unpublish")
    assert app.test_client().get("/posts/member-post").status_code == 404
    _post(boss, f"/admin/posts/{site['post']}/delete")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Post)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 0
    logged = {e.type for e in _events(app, EventType.COMMENT_HIDDEN)} | {
        e.type
        for kind in (EventType.COMMENT_DELETED, EventType.POST_UNPUBLISHED, EventType.POST_DELETED)
        for e in _events(app, kind)
    }
    assert logged == {"comment_hidden", "comment_deleted", "post_unpublished", "post_deleted"}


@pytest.mark.parametrize(
    "url",
    [
        "/admin/users/99999/deactivate",
        "/admin/posts/99999999999999999999/delete",
        "/admin/comments/0/hide",
    ],
)
def test_unknown_targets_are_404(boss: FlaskClient, url: str) -> None:
    assert _post(boss, url).status_code == 404


def test_admin_actions_need_a_fresh_sign_in(app: Flask, site: dict[str, int]) -> None:
    first = app.test_client()
    AuthActions(first).login("boss", remember=True)
    restored = app.test_client()
    restored.set_cookie("inkwell_remember", first.get_cookie("inkwell_remember").value)
    assert restored.get("/admin/users").status_code == 200, "reading needs no password"
    response = _post(restored, f"/admin/users/{site['member']}/deactivate")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/reauthenticate?next=")
    assert _user(app, "member").is_active


def test_a_remembered_admin_confirms_the_password_and_the_hide_is_not_lost(
    app: Flask, site: dict[str, int]
) -> None:
    """From a session restored by "remember me", "Hide" asks for the password, then the same
    POST is one press away (with a new CSRF token), and the sign-in gets a new session token."""
    first = app.test_client()
    AuthActions(first).login("boss", remember=True)
    captured = first.get_cookie("inkwell_remember").value
    restored = app.test_client()
    restored.set_cookie("inkwell_remember", captured)
    hide = f"/admin/comments/{site['comment']}/hide"

    listing = restored.get("/admin/comments")
    sent = send_form(restored, listing, hide)
    assert sent.status_code == 302
    asked = restored.get(sent.headers["Location"])
    assert "What you asked for has not been done yet" in asked.text
    elsewhere = restored.get("/auth/reauthenticate?next=/admin/users").text
    assert "has not been done yet" not in elsewhere, "kept for its own address only"
    assert not _comment(app, site["comment"]).is_hidden
    wrong = send_form(restored, asked, "/auth/reauthenticate", password="not it")
    assert wrong.status_code == 422
    assert "What you asked for has not been done yet" in wrong.text, "it survives a typo"
    old_session = restored.get_cookie("inkwell_session").value

    confirmed = send_form(restored, wrong, "/auth/reauthenticate", password=PASSWORD)
    assert confirmed.status_code == 200
    assert not _comment(app, site["comment"]).is_hidden, "nothing is done without a press"
    [(_, fields)] = [form for form in page_forms(confirmed.text) if hide in form[0]]
    assert ("do", "Hide") in fields
    assert dict(fields)["csrf_token"] != csrf_token(listing.text), "a new CSRF token"

    done = send_form(restored, confirmed, hide)
    assert done.status_code == 302
    assert done.headers["Location"] == "/admin/comments"
    assert _comment(app, site["comment"]).is_hidden

    # A new session identifier: copies of the cookies from before the step up are anonymous.
    for name, value in (("inkwell_remember", captured), ("inkwell_session", old_session)):
        replay = app.test_client()
        replay.set_cookie(name, value)
        assert replay.get("/admin/").status_code == 302, name
    assert restored.get("/admin/").status_code == 200
    assert restored.get_cookie("inkwell_remember").value != captured, "still remembered"


def _comment(app: Flask, comment_id: int) -> Comment:
    with app.app_context():
        return db.session.get(Comment, comment_id)


def test_audit_log_filters_and_csv_export(
    app: Flask, boss: FlaskClient, site: dict[str, int]
) -> None:
    AuthActions(app.test_client()).login("member", password="=HYPERLINK(evil)")
    AuthActions(app.test_client()).login("=cmd|' /C calc'!A0", password="x")
    _post(boss, f"/admin/users/{site['member']}/deactivate")
    page = boss.get("/admin/audit?user=member").text
    assert '<td data-label="Event">User deactivated</td>' in page
    assert '<td data-label="Event">Sign-in failed</td>' in page
    filtered = boss.get("/admin/audit?user=member&type=login_failure").text
    assert '<td data-label="Event">Sign-in failed</td>' in filtered
    assert '<td data-label="Event">User deactivated</td>' not in filtered

    export = boss.get("/admin/audit.csv?user=member")
    assert export.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert {row["event"] for row in rows} == {"login_failure", "user_deactivated"}
    deactivation = next(row for row in rows if row["event"] == "user_deactivated")
    assert (deactivation["user"], deactivation["actor"], deactivation["ip"]) == (
        "member",
        "boss",
        "127.0.0.1",
    )
    everything = list(csv.DictReader(io.StringIO(boss.get("/admin/audit.csv").text)))
    assert all(not row["identifier"].startswith("=") for row in everything)
    assert "'=cmd|' /C calc'!A0" in {row["identifier"] for row in everything}
    assert PASSWORD not in export.text


# Command line ----------------------------------------------------------------------------------


def test_cli_lists_and_manages_users_with_the_same_guards(
    app: Flask, runner: FlaskCliRunner, site: dict[str, int]
) -> None:
    listing = runner.invoke(args=["users", "list"])
    assert listing.exit_code == 0
    assert "boss\tboss@example.com\tadmin\tactive" in listing.output
    assert runner.invoke(args=["users", "deactivate", "member"]).exit_code == 0
    assert not _user(app, "member").is_active
    assert runner.invoke(args=["users", "activate", "MEMBER"]).exit_code == 0
    refused = runner.invoke(args=["users", "remove-admin", "boss"])
    assert refused.exit_code == 1
    assert "last active admin" in refused.output
    missing = runner.invoke(args=["users", "make-admin", "nobody"])
    assert missing.exit_code == 1
    assert "No account is named 'nobody'." in missing.output
    for action in ("make-admin", "remove-admin", "revoke-sessions"):
        assert runner.invoke(args=["users", action, "member"]).exit_code == 0, action
    # Without Redis the locks live in each server process: the command says so, and fails.
    unlock = runner.invoke(args=["users", "unlock", "member"])
    assert unlock.exit_code == 1
    assert "out of reach of this command" in unlock.output
    [event] = _events(app, EventType.USER_DEACTIVATED)
    assert event.actor_id is None
    assert event.user_id == site["member"]


# What a hostile client can put in the audit log: a typed identifier, its user agent, and its
# address (X-Forwarded-For behind a trusting proxy). Each must reach a spreadsheet as text.
HOSTILE_CELLS = [
    "=1+2",
    "+1+2",
    "-1+2",
    "@SUM(A1:A2)",
    "\t=1+2",
    "\r=1+2",
    "\n=1+2",
    " =1+2",
    "\u00a0=1+2",
    '"=1+2',
    "'=1+2",
    "\uff1d1+2",
    "\uff0b1+2",
    "\uff0d1+2",
    "\uff20SUM(A1:A2)",
    "a,=1+2",
    "a;=1+2",
    "a; =1+2",
    "a\t=1+2",
    "a|=1+2",
    "a\n=1+2",
    'a";=1+2',
    'a","=1+2',
    "a;\uff1d1+2",
]
FORMULA_START = set("=+-@\uff1d\uff0b\uff0d\uff20")
# What spreadsheets trim or unquote before deciding a cell is a formula (a leading ' is kept:
# it is what marks a cell as text).
TRIMMED = ' \t\r\n\u00a0\u3000"'


@pytest.mark.parametrize(
    "delimiter", [",", ";", "\t", "|"], ids=["comma", "semicolon", "tab", "bar"]
)
@pytest.mark.parametrize("value", HOSTILE_CELLS)
def test_audit_csv_cells_are_never_formulas_whatever_the_separator(
    app: Flask, boss: FlaskClient, value: str, delimiter: str
) -> None:
    """OWASP CSV injection: read with any usual separator, no cell starts a formula.

    Each physical line is read on its own, as by a reader that breaks rows at every line break
    whatever the quotes say: the strictest reading a spreadsheet could make.
    """
    with app.app_context():
        events.record(EventType.LOGIN_FAILURE, identifier=value, ip_address=value, user_agent=value)
        db.session.commit()
    export = boss.get("/admin/audit.csv?type=login_failure")
    assert export.status_code == 200
    lines = re.split(r"\r\n|\r|\n", export.text)
    cells = [cell for row in csv.reader(lines, delimiter=delimiter) for cell in row]
    assert cells, "the export has rows"
    formulas = [cell for cell in cells if cell.lstrip(TRIMMED)[:1] in FORMULA_START]
    assert formulas == []


def test_audit_csv_quotes_every_field_and_keeps_values_readable(
    app: Flask, boss: FlaskClient
) -> None:
    with app.app_context():
        events.record(
            EventType.LOGIN_FAILURE,
            identifier='=HYPERLINK("x")',
            ip_address="a;=1",
            user_agent="Firefox",
        )
        db.session.commit()
    export = boss.get("/admin/audit.csv?type=login_failure").text
    header, row = list(csv.reader(io.StringIO(export)))
    assert header[0] == "time"
    assert row[4:] == ['\'=HYPERLINK("x")', "a;'=1", "Firefox"]
    assert export.splitlines()[1].count('"') >= 2 * len(row), "every field is quoted"


def test_audit_log_keeps_a_deleted_members_name_on_all_their_events(
    app: Flask, boss: FlaskClient
) -> None:
    leaver = app.test_client()
    leaver.environ_base["HTTP_USER_AGENT"] = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"
    assert AuthActions(leaver).register("leaver").status_code == 302
    [signed_up] = _events(app, EventType.REGISTERED)
    assert (signed_up.ip_address, signed_up.user_agent) == (
        "127.0.0.1",
        "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
    )
    page = leaver.get("/account/sessions")
    deleted = leaver.post(
        "/account/delete",
        data={"csrf_token": csrf_token(page.text), "password": PASSWORD},
        headers={"Referer": page.request.url},
    )
    assert deleted.status_code == 302
    assert _user(app, "leaver") is None

    rows = re.findall(
        r'<td data-label="Event">([A-Za-z -]+)</td>\s*<td data-label="Account">([^<]*)</td>\s*'
        r'<td data-label="By">([^<]*)</td>',
        boss.get("/admin/audit?user=leaver").text,
    )
    assert rows == [
        ("Account deleted", "leaver", "leaver"),
        ("Signed in", "leaver", "leaver"),
        ("Registered", "leaver", "leaver"),
    ]
    export = list(csv.DictReader(io.StringIO(boss.get("/admin/audit.csv?user=Leaver").text)))
    assert [(row["event"], row["user"]) for row in export] == [
        ("account_deleted", "leaver"),
        ("login_success", "leaver"),
        ("registered", "leaver"),
    ]


def test_accounts_made_outside_the_sign_up_form_log_no_sign_up(app: Flask) -> None:
    with app.app_context():
        create_user("made_by_hand")
    assert _events(app, EventType.REGISTERED) == []


@pytest.mark.parametrize(
    ("author", "found"),
    [("member", True), ("MEM", True), ("emb", True), ("boss", False), ("%", False), ("_", False)],
)
def test_posts_filter_matches_part_of_the_authors_name(
    boss: FlaskClient, author: str, found: bool
) -> None:
    page = boss.get("/admin/posts", query_string={"author": author})
    assert page.status_code == 200
    assert ("Member post" in page.text) is found

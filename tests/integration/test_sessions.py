"""The server-side session registry: remember-me, revocation on logout, expiry, deactivation."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_login import current_user

from app.extensions import db
from app.models import AuthMethod, User, UserSession, utcnow
from app.services import sessions
from tests.factories import create_user
from tests.helpers import AuthActions, set_cookie_headers
from tests.integration.test_reading import counted_statements

SESSION_COOKIE = "inkwell_session"
REMEMBER_COOKIE = "inkwell_remember"


@pytest.fixture(autouse=True)
def member(app: Flask) -> None:
    with app.app_context():
        create_user("reader")


def _signed_in_as(client: FlaskClient) -> str | None:
    match = re.search(r'data-testid="current-user">([^<]+)<', client.get("/").text)
    return match.group(1) if match else None


def _client_with(app: Flask, **cookies: str) -> FlaskClient:
    client = app.test_client()
    for name, value in cookies.items():
        client.set_cookie(name, value)
    return client


def _sessions(app: Flask) -> list[UserSession]:
    with app.app_context():
        return list(db.session.scalars(sa.select(UserSession)))


def test_without_remember_me_nothing_persistent_is_set(app: Flask, auth: AuthActions) -> None:
    response = auth.login(remember=False)
    cookies = set_cookie_headers(response)
    assert REMEMBER_COOKIE not in cookies
    session_cookie = cookies[SESSION_COOKIE][SESSION_COOKIE]
    assert not session_cookie["expires"]
    assert not session_cookie["max-age"]
    assert session_cookie["httponly"]
    assert session_cookie["samesite"] == "Lax"
    [record] = _sessions(app)
    assert not record.remembered
    assert record.expires_at - record.created_at == timedelta(hours=12)


def test_remember_cookie_is_httponly_lax_and_at_most_thirty_days(
    app: Flask, auth: AuthActions
) -> None:
    response = auth.login(remember=True)
    remember = set_cookie_headers(response)[REMEMBER_COOKIE][REMEMBER_COOKIE]
    assert remember["httponly"]
    assert remember["samesite"] == "Lax"
    assert not remember["secure"], "Secure is for production (tested in test_production_https)"
    [record] = _sessions(app)
    assert record.remembered
    assert record.expires_at - record.created_at == timedelta(days=30)
    assert record.token_hash not in remember.value, "the cookie holds the token, the table its hash"


def test_remember_cookie_alone_restores_a_non_fresh_session(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    auth.login(remember=True)
    remember = client.get_cookie(REMEMBER_COOKIE)
    assert remember is not None
    assert remember.expires is not None
    assert remember.expires - utcnow() <= timedelta(days=30)

    new_browser = _client_with(app, **{REMEMBER_COOKIE: remember.value})
    assert _signed_in_as(new_browser) == "reader"
    with new_browser.session_transaction() as session:
        assert session["_fresh"] is False


def test_logout_is_post_only(client: FlaskClient, auth: AuthActions) -> None:
    auth.login()
    response = client.get("/auth/logout")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert _signed_in_as(client) == "reader"


def test_logout_without_csrf_token_is_refused(client: FlaskClient, auth: AuthActions) -> None:
    auth.login()
    response = client.post("/auth/logout")
    assert response.status_code == 400
    assert "nothing was saved" in response.text
    assert _signed_in_as(client) == "reader"


def test_logout_revokes_captured_session_and_remember_cookies(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    auth.login(remember=True)
    captured_session = client.get_cookie(SESSION_COOKIE).value
    captured_remember = client.get_cookie(REMEMBER_COOKIE).value
    # Both captures work while the sign-in is live...
    assert _signed_in_as(_client_with(app, **{SESSION_COOKIE: captured_session})) == "reader"
    assert _signed_in_as(_client_with(app, **{REMEMBER_COOKIE: captured_remember})) == "reader"

    response = auth.logout()
    assert response.status_code == 302
    assert _signed_in_as(client) is None
    assert _sessions(app) == []
    deleted = set_cookie_headers(response)[REMEMBER_COOKIE][REMEMBER_COOKIE]
    assert deleted.value == ""
    assert "1970" in deleted["expires"]

    # ...and neither does after logout, alone or together.
    assert _signed_in_as(_client_with(app, **{SESSION_COOKIE: captured_session})) is None
    assert _signed_in_as(_client_with(app, **{REMEMBER_COOKIE: captured_remember})) is None
    both = {SESSION_COOKIE: captured_session, REMEMBER_COOKIE: captured_remember}
    assert _signed_in_as(_client_with(app, **both)) is None


def test_logout_ends_only_this_browsers_sign_in(app: Flask) -> None:
    laptop, phone = app.test_client(), app.test_client()
    AuthActions(laptop).login()
    AuthActions(phone).login(remember=True)
    assert len(_sessions(app)) == 2
    AuthActions(laptop).logout()
    assert _signed_in_as(laptop) is None
    assert _signed_in_as(phone) == "reader"
    assert len(_sessions(app)) == 1


def _age_session(app: Flask, **changes: timedelta) -> None:
    with app.app_context():
        record = db.session.scalar(sa.select(UserSession))
        for column, delta in changes.items():
            setattr(record, column, getattr(record, column) - delta)
        db.session.commit()


def test_expired_session_is_anonymous(app: Flask, client: FlaskClient, auth: AuthActions) -> None:
    auth.login(remember=True)
    remember = client.get_cookie(REMEMBER_COOKIE).value
    _age_session(app, expires_at=timedelta(days=31))
    assert _signed_in_as(client) is None
    assert _signed_in_as(_client_with(app, **{REMEMBER_COOKIE: remember})) is None


def test_idle_session_times_out_but_remembered_one_does_not(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    auth.login(remember=False)
    _age_session(app, last_seen_at=timedelta(minutes=31))
    assert _signed_in_as(client) is None

    remembered = app.test_client()
    AuthActions(remembered).login(remember=True)
    with app.app_context():
        db.session.execute(
            sa.update(UserSession)
            .where(UserSession.remembered)
            .values(last_seen_at=utcnow() - timedelta(days=3))
        )
        db.session.commit()
    assert _signed_in_as(remembered) == "reader"


def test_last_seen_is_written_at_most_once_a_minute(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    auth.login()
    [record] = _sessions(app)
    client.get("/")
    [unchanged] = _sessions(app)
    assert unchanged.last_seen_at == record.last_seen_at
    _age_session(app, last_seen_at=timedelta(minutes=5))
    client.get("/")
    [touched] = _sessions(app)
    assert utcnow() - touched.last_seen_at < timedelta(minutes=1)


def test_a_signed_in_page_builds_no_session_row_object(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    """The sign-in check reads the session row's columns with the member (one ORM object, not
    two, on every signed-in request); the minute's activity is written by one UPDATE without
    loading the row first. Sign-out still finds and deletes the row."""
    built: list[UserSession] = []

    def loaded(target: UserSession, _context: object) -> None:
        built.append(target)

    auth.login()
    _age_session(app, last_seen_at=timedelta(minutes=5))
    sa.event.listen(UserSession, "load", loaded)
    try:
        with counted_statements(app) as statements:
            assert _signed_in_as(client) == "reader"
        assert built == []
        on_sessions = [s for s in statements if "user_sessions" in s]
        assert len(on_sessions) == 2, on_sessions  # the sign-in check, the activity write
        assert on_sessions[1].lstrip().upper().startswith("UPDATE")
        [touched] = _sessions(app)
        assert utcnow() - touched.last_seen_at < timedelta(minutes=1)
        built.clear()
        auth.logout()
        assert len(built) == 1  # sign-out loads the row it deletes
    finally:
        sa.event.remove(UserSession, "load", loaded)
    assert _sessions(app) == []
    assert _signed_in_as(client) is None


@pytest.mark.parametrize("ending", ["signed out elsewhere", "id given to another sign-in"])
def test_a_sign_in_ended_while_its_request_runs_saves_nothing(
    app: Flask, client: FlaskClient, auth: AuthActions, ending: str
) -> None:
    """A second factor recorded for a sign-in whose row is gone (or is another sign-in's now)
    is refused: nothing the request did is saved and the browser is signed out, as for any
    ended sign-in, never a 500."""

    @app.get("/test/enrol-while-ended")
    def enrol_while_ended() -> str:
        sign_in = sessions.current_sign_in()
        assert sign_in is not None
        row = UserSession.id == sign_in.id
        if ending == "signed out elsewhere":
            db.session.execute(sa.delete(UserSession).where(row))
        else:
            db.session.execute(sa.update(UserSession).where(row).values(token_hash="0" * 64))
        current_user.display_name = "Changed"
        sessions.record_method(AuthMethod.PASSWORD_TOTP)
        db.session.commit()
        return "saved"

    auth.login()
    response = client.get("/test/enrol-while-ended")
    assert response.status_code == 302
    assert response.location.startswith("/auth/login")
    assert _signed_in_as(client) is None
    with app.app_context():
        reader = db.session.scalar(sa.select(User).where(User.username == "reader"))
        assert reader is not None
        assert reader.display_name != "Changed"


def test_deactivation_takes_effect_on_the_next_request(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    auth.login(remember=True)
    assert _signed_in_as(client) == "reader"
    with app.app_context():
        db.session.execute(sa.update(User).values(is_active=False))
        db.session.commit()
    assert _signed_in_as(client) is None


def test_deleting_a_user_deletes_their_sessions(app: Flask, auth: AuthActions) -> None:
    auth.login()
    with app.app_context():
        db.session.execute(sa.delete(User))
        db.session.commit()
    assert _sessions(app) == []


def test_session_records_device_details(app: Flask, client: FlaskClient) -> None:
    client.environ_base["HTTP_USER_AGENT"] = "Mozilla/5.0 (X11; Linux x86_64) TestBrowser/1.0"
    AuthActions(client).login()
    [record] = _sessions(app)
    assert record.user_agent == "Mozilla/5.0 (X11; Linux x86_64) TestBrowser/1.0"
    assert record.ip_address == "127.0.0.1"
    assert len(record.token_hash) == 64


def test_account_pages_are_not_cached(client: FlaskClient, auth: AuthActions) -> None:
    assert client.get("/auth/login").headers["Cache-Control"] == "no-store"
    auth.login()
    assert client.get("/").headers["Cache-Control"] == "no-store"


def test_control_characters_in_the_user_agent_are_not_stored(app: Flask) -> None:
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = "Mozilla\x00evil\x07/1.0"
    assert AuthActions(client).login().status_code == 302
    [record] = _sessions(app)
    assert record.user_agent == "Mozillaevil/1.0"


def test_a_static_file_never_restores_a_sign_in_or_sets_a_cookie(app: Flask) -> None:
    """After a browser restart only the remember cookie is left. A stylesheet fetched beside the
    first page must not restore the sign-in and set a session cookie of its own: arriving after
    the page's, that cookie (without the page's CSRF token) would make the page's forms fail."""
    first = app.test_client()
    AuthActions(first).login(remember=True)
    restarted = app.test_client()
    restarted.set_cookie(REMEMBER_COOKIE, first.get_cookie(REMEMBER_COOKIE).value)
    with restarted.get("/static/css/inkwell.css") as response:
        assert response.status_code == 200
        assert response.headers.getlist("Set-Cookie") == []
    assert restarted.get("/").status_code == 200
    assert restarted.get_cookie(SESSION_COOKIE) is not None, "a page restores the sign-in"


def test_the_devices_page_shows_times_in_the_members_zone(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    """A member in Shanghai read their sign-in times in UTC, unlabelled (found by a review)."""
    with app.app_context():
        create_user("traveller").time_zone = "Asia/Shanghai"
        db.session.commit()
    auth.login("traveller")
    with app.app_context():
        began = db.session.scalar(sa.select(UserSession.created_at))
    assert began is not None
    page = client.get("/account/sessions").text
    assert "Times on this page are in Asia/Shanghai." in page
    shanghai = (began + timedelta(hours=8)).strftime("%H:%M")
    assert f"{shanghai}</time>" in page

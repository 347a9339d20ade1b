"""Sign-in over HTTP: generic failures, safe ``next``, rehashing, session fixation."""

import re

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher, extract_parameters
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.security import generate_password_hash

from app.extensions import db
from app.models import User
from tests.factories import create_user
from tests.helpers import PASSWORD, AuthActions
from tests.unit.test_redirects import UNSAFE

CSRF_VALUE = re.compile(r'name="csrf_token"[^>]*value="[^"]*"|value="[^"]*"[^>]*name="csrf_token"')


@pytest.fixture
def member(app: Flask) -> None:
    with app.app_context():
        create_user("reader", email="reader@example.com")


def _signed_in_as(client: FlaskClient) -> str | None:
    match = re.search(r'data-testid="current-user">([^<]+)<', client.get("/").text)
    return match.group(1) if match else None


@pytest.mark.usefixtures("member")
@pytest.mark.parametrize(
    "identifier", ["reader", "READER", "reader@example.com", "Reader@Example.com"]
)
def test_login_with_username_or_email(
    client: FlaskClient, auth: AuthActions, identifier: str
) -> None:
    response = auth.login(identifier)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert _signed_in_as(client) == "reader"


@pytest.mark.usefixtures("member")
def test_failures_look_identical_for_unknown_wrong_and_inactive(app: Flask) -> None:
    with app.app_context():
        create_user("dormant", is_active=False)
    attempts = {
        "unknown user": ("nobody", PASSWORD),
        "unknown email": ("nobody@example.com", PASSWORD),
        "wrong password": ("reader", PASSWORD + "!"),
        "inactive account": ("dormant", PASSWORD),
    }
    pages = {}
    for label, (identifier, password) in attempts.items():
        client = app.test_client()
        response = AuthActions(client).login(identifier, password)
        assert response.status_code == 422, label
        assert "Incorrect username, email or password." in response.text
        assert _signed_in_as(client) is None
        page = CSRF_VALUE.sub("", response.text).replace(identifier, "IDENTIFIER")
        pages[label] = page
    assert len(set(pages.values())) == 1, "every failure must render the same page"


def test_unknown_account_still_costs_a_password_hash(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sign-in as nobody runs one real argon2 verification, as costly as a member's."""
    verified: list[str] = []
    real_verify = PasswordHasher.verify

    def counting_verify(hasher: PasswordHasher, hash: str | bytes, password: str | bytes) -> bool:
        verified.append(hash if isinstance(hash, str) else hash.decode())
        return real_verify(hasher, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting_verify)
    with app.app_context():
        stored = create_user("reader").password_hash
    assert AuthActions(app.test_client()).login("reader", "a wrong guess").status_code == 422
    assert verified == [stored], "the positive control: a member's wrong password costs one"
    for identifier in ("nobody", "nobody@example.com"):
        verified.clear()
        assert AuthActions(app.test_client()).login(identifier, PASSWORD).status_code == 422
        [dummy] = verified
        assert extract_parameters(dummy) == extract_parameters(stored)


@pytest.mark.usefixtures("member")
@pytest.mark.parametrize(
    ("identifier", "password"),
    [
        ("", PASSWORD),
        ("reader", ""),
        ("x" * 10_000, PASSWORD),
        ("reader\x00", PASSWORD),
        ("nul\x00@example.com", PASSWORD),
        ("reader", "p" * 10_000),
        ("🦆\u202e", "\u200f" * 20),
    ],
)
def test_bad_login_input_is_a_4xx_with_a_message(
    client: FlaskClient, auth: AuthActions, identifier: str, password: str
) -> None:
    response = auth.login(identifier, password)
    assert response.status_code == 422
    assert 'class="errors"' in response.text or "Incorrect username" in response.text
    assert _signed_in_as(client) is None


@pytest.mark.usefixtures("member")
@pytest.mark.parametrize("target", ["/admin/", "/auth/register?x=1", "/healthz"])
def test_safe_next_is_followed(auth: AuthActions, target: str) -> None:
    response = auth.login(next_url=target)
    assert response.headers["Location"] == target


@pytest.mark.usefixtures("member")
@pytest.mark.parametrize("target", [t for t in UNSAFE if t])
def test_unsafe_next_falls_back_home(app: Flask, target: str) -> None:
    client = app.test_client()
    page = client.get("/auth/login", query_string={"next": target})
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    response = client.post(
        "/auth/login",
        query_string={"next": target},
        data={"csrf_token": token, "username": "reader", "password": PASSWORD},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.usefixtures("member")
def test_login_starts_a_fresh_session(client: FlaskClient, auth: AuthActions) -> None:
    with client.session_transaction() as planted:
        planted["planted"] = "by an attacker"
    before = client.get_cookie("inkwell_session").value
    auth.login()
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_fresh"] is True
    assert client.get_cookie("inkwell_session").value != before


@pytest.mark.usefixtures("member")
def test_pre_login_cookie_replayed_after_login_is_anonymous(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    client.get("/auth/login")
    pre_login = client.get_cookie("inkwell_session").value
    auth.login()
    assert _signed_in_as(client) == "reader"
    replay = app.test_client()
    replay.set_cookie("inkwell_session", pre_login)
    assert _signed_in_as(replay) is None


@pytest.mark.parametrize(
    "old_hash",
    [
        PasswordHasher(time_cost=1, memory_cost=32, parallelism=1).hash(PASSWORD),
        generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000"),
        generate_password_hash(PASSWORD, method="scrypt:1024:8:1"),
    ],
    ids=["argon2-weaker", "pbkdf2", "scrypt"],
)
def test_outdated_hash_is_upgraded_at_login(app: Flask, auth: AuthActions, old_hash: str) -> None:
    with app.app_context():
        user = create_user("legacy")
        user.password_hash = old_hash
        db.session.commit()
    assert auth.login("legacy").status_code == 302
    with app.app_context():
        upgraded = db.session.scalar(sa.select(User.password_hash).where(User.username == "legacy"))
    assert upgraded != old_hash
    assert upgraded.startswith("$argon2id$")
    assert auth.logout().status_code == 302
    assert auth.login("legacy").status_code == 302, "the upgraded hash still verifies"


@pytest.mark.usefixtures("member")
def test_signed_in_member_visiting_login_follows_safe_next(
    client: FlaskClient, auth: AuthActions
) -> None:
    auth.login()
    assert client.get("/auth/login?next=/admin/").headers["Location"] == "/admin/"
    assert client.get("/auth/login?next=//evil.com").headers["Location"] == "/"

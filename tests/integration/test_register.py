"""Registration over HTTP: the real form, CSRF included."""

import io
import re

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.models import User
from app.services import tokens
from tests.conftest import AppFactory
from tests.factories import create_user
from tests.helpers import PASSWORD, AuthActions, assert_nothing_to_send, csrf_token, submit


def _users(app: Flask) -> list[User]:
    with app.app_context():
        return list(db.session.scalars(sa.select(User)))


def test_register_signs_in_and_stores_only_a_strong_hash(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    response = auth.register("Reader.One", "Reader.One@Example.COM")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    home = client.get("/")
    assert "Signed in as" in home.text
    assert "Reader.One" in home.text
    assert 'action="/auth/logout"' in home.text

    [user] = _users(app)
    assert user.username == "Reader.One"
    assert user.email == "Reader.One@example.com"
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    assert not user.is_admin
    assert user.is_active
    assert user.created_at.tzinfo is not None


def test_register_ignores_fields_the_form_does_not_declare(app: Flask, client: FlaskClient) -> None:
    extra = {"is_admin": "y", "role": "admin", "is_active": "false", "id": "99"}
    data = {
        "username": "sneaky",
        "email": "s@example.com",
        "password": PASSWORD,
        "confirm": PASSWORD,
    }
    assert submit(client, "/auth/register", {**data, **extra}).status_code == 302
    [user] = _users(app)
    assert not user.is_admin
    assert user.is_active
    assert user.id != 99
    assert client.get("/admin/").status_code == 403


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("username", "", "Choose a username."),
        ("username", "ab", "Use 3 to 32 characters"),
        ("username", "x" * 33, "Use 3 to 32 characters"),
        ("username", "has space", "letters, digits, and _ - . only"),
        ("username", ".hidden", "starting with a letter or digit"),
        ("username", "nul\x00byte", "letters, digits, and _ - . only"),
        ("username", "x" * 10_000, "Use 3 to 32 characters"),
        ("email", "", "Enter your email address."),
        ("email", "not-an-email", "Enter a valid email address"),
        ("email", "a@" + "b" * 300 + ".com", "at most 254 characters"),
        ("email", "nul\x00@example.com", "Enter a valid email address"),
        ("password", "short", "at least 8 characters"),
        ("password", "p" * 129, "at most 128 characters"),
        ("password", "password123", "too common"),
        ("password", "newbie-newbie-99", "must not contain your username"),
    ],
)
def test_register_rejects_bad_input_with_a_clear_message(
    app: Flask, client: FlaskClient, field: str, value: str, message: str
) -> None:
    data = {"username": "newbie", "email": "newbie@example.com", "password": PASSWORD}
    data[field] = value
    data["confirm"] = data["password"]
    response = submit(client, "/auth/register", data)
    assert response.status_code == 422
    assert message in response.text
    assert re.search(rf'aria-describedby="[^"]*\b{field}-errors"', response.text)
    assert f'id="{field}-errors"' in response.text
    assert _users(app) == []


def test_register_mismatched_confirmation(app: Flask, client: FlaskClient) -> None:
    data = {"username": "newbie", "email": "n@example.com", "password": PASSWORD, "confirm": "nope"}
    response = submit(client, "/auth/register", data)
    assert response.status_code == 422
    assert "The two passwords do not match." in response.text
    assert PASSWORD not in response.text, "a password is never sent back in the page"


def test_invalid_utf8_is_a_form_error_not_a_crash(app: Flask, client: FlaskClient) -> None:
    token = csrf_token(client.get("/auth/register").text)
    body = (
        f"csrf_token={token}&username=%FF%FEbad&email=x%C3%28@example.com"
        f"&password=a+long+and+unusual+passphrase&confirm=a+long+and+unusual+passphrase"
    )
    response = client.post(
        "/auth/register", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 422
    assert "letters, digits, and _ - . only" in response.text
    assert _users(app) == []


@pytest.mark.parametrize(
    ("existing", "attempt"),
    [
        ("alice", "ALICE"),
        ("Straße", "STRASSE"),  # case folding, not just lower()
        ("bob", "\uff42\uff4f\uff42"),  # fullwidth letters fold to the same name under NFKC
    ],
)
def test_usernames_are_unique_case_insensitively_after_nfkc(
    app: Flask, client: FlaskClient, existing: str, attempt: str
) -> None:
    with app.app_context():
        create_user(existing, email="first@example.com")
    data = {"username": attempt, "email": "second@example.com", "password": PASSWORD}
    response = submit(client, "/auth/register", {**data, "confirm": PASSWORD})
    assert response.status_code == 422
    assert "That username is taken" in response.text
    assert len(_users(app)) == 1


def test_emails_are_unique_case_insensitively(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        create_user("first", email="Same@Example.com")
    data = {"username": "second", "email": "same@EXAMPLE.com", "password": PASSWORD}
    response = submit(client, "/auth/register", {**data, "confirm": PASSWORD})
    assert response.status_code == 422
    assert "That email address cannot be used" in response.text
    assert len(_users(app)) == 1


def test_unicode_usernames_are_welcome(app: Flask, auth: AuthActions) -> None:
    assert auth.register("Zoë_Łukasz-名前", "zoe@example.com").status_code == 302
    assert [user.username for user in _users(app)] == ["Zoë_Łukasz-名前"]


def test_signed_in_member_visiting_register_goes_home(
    auth: AuthActions, client: FlaskClient
) -> None:
    auth.register()
    response = client.get("/auth/register")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_expired_csrf_token_shows_the_input_read_only_and_saves_nothing(
    app: Flask, client: FlaskClient
) -> None:
    client.get("/auth/register")
    data = {
        "csrf_token": "expired-or-forged",
        "username": "keepme",
        "email": "keepme@example.com",
        "password": PASSWORD,
        "confirm": PASSWORD,
    }
    response = client.post("/auth/register", data=data)
    assert response.status_code == 400
    assert "This form had expired or did not come from this site; nothing was saved" in (
        response.text
    )
    assert ">keepme</textarea>" in response.text
    assert ">keepme@example.com</textarea>" in response.text
    assert PASSWORD not in response.text
    assert_nothing_to_send(response.text)
    assert response.headers["Cache-Control"] == "no-store"
    assert _users(app) == []
    # The link leads to the form by a GET: a fresh, empty form.
    assert 'href="/auth/register"' in response.text
    again = client.get("/auth/register")
    assert "keepme" not in again.text
    assert csrf_token(again.text)


def test_a_csrf_failure_never_runs_the_view(make_app: AppFactory) -> None:
    """Not even its rate limit: failed CSRF checks cost none of the registration budget."""
    app = make_app(
        {
            "RATELIMIT_ENABLED": True,
            "REGISTER_RATE_LIMIT": "2 per hour",
            "REGISTER_ATTEMPT_LIMIT": "2 per hour",
        }
    )
    client = app.test_client()
    for number in range(3):
        data = {"username": f"forged{number}", "email": f"f{number}@example.com"}
        assert client.post("/auth/register", data=data).status_code == 400
    assert AuthActions(client).register("genuine").status_code == 302
    assert [user.username for user in _users(app)] == ["genuine"]


@pytest.mark.parametrize("field", ["username", "email", "password"])
def test_a_file_in_place_of_a_text_field_is_a_form_error(
    app: Flask, client: FlaskClient, field: str
) -> None:
    token = csrf_token(client.get("/auth/register").text)
    data: dict[str, object] = {
        "csrf_token": token,
        "username": "uploader",
        "email": "u@example.com",
        "password": PASSWORD,
        "confirm": PASSWORD,
    }
    data[field] = (io.BytesIO(b"sneaky"), "payload.txt")
    response = client.post("/auth/register", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert _users(app) == []


def test_email_that_grows_under_nfkc_is_refused_not_a_crash(
    app: Flask, client: FlaskClient
) -> None:
    # U+FDFA is one character that NFKC turns into eighteen.
    email = "\ufdfa" * 21 + "@example.com"
    data = {"username": "grower", "email": email, "password": PASSWORD, "confirm": PASSWORD}
    response = submit(client, "/auth/register", data)
    assert response.status_code == 422
    assert "at most 254 characters" in response.text
    assert _users(app) == []


def test_scripts_with_combining_marks_make_valid_usernames(app: Flask, auth: AuthActions) -> None:
    assert auth.register("हिन्दी", "hindi@example.com").status_code == 302
    assert [user.username for user in _users(app)] == ["हिन्दी"]


def _focused(html: str) -> list[str]:
    """The names of the fields that take the focus when the page opens."""
    return [
        re.search(r'\bname="([^"]+)"', tag).group(1)
        for tag in re.findall(r"<(?:input|textarea|select)\b[^>]*>", html)
        if re.search(r"\sautofocus\b", tag)
    ]


@pytest.mark.parametrize(
    ("fields", "focused"),
    [
        ({}, ["username"]),  # a blank form: the first field
        ({"email": "not-an-email"}, ["email"]),
        ({"email": "not-an-email", "password": "short", "confirm": "short"}, ["email"]),
        ({"password": "newbie-reader-2026", "confirm": "newbie-reader-2026"}, ["password"]),
        ({"confirm": "something else entirely"}, ["confirm"]),
    ],
)
def test_the_focus_goes_to_the_first_field_in_error(
    client: FlaskClient, fields: dict[str, str], focused: list[str]
) -> None:
    if not fields:
        assert _focused(client.get("/auth/register").text) == focused
        return
    data = {
        "username": "newbie",
        "email": "newbie@example.com",
        "password": PASSWORD,
        "confirm": PASSWORD,
        **fields,
    }
    response = submit(client, "/auth/register", data)
    assert response.status_code == 422
    assert _focused(response.text) == focused


def test_a_taken_name_takes_the_focus(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        create_user("taken")
    response = AuthActions(client).register("taken", email="other@example.com")
    assert "That username is taken" in response.text
    assert _focused(response.text) == ["username"]


@pytest.mark.parametrize("path", ["/auth/register", "/account/password", "reset"])
def test_every_new_password_hint_names_the_username_rule(app: Flask, path: str) -> None:
    with app.app_context():
        user = create_user("hinted")
        token = tokens.make_reset_token(user)
    client = app.test_client()
    if path == "/account/password":
        AuthActions(client).login("hinted")
    page = client.get(f"/auth/reset/{token}" if path == "reset" else path)
    assert page.status_code == 200
    hint = re.search(r'<p class="hint" id="password-hint">([^<]*)</p>', page.text)
    assert hint is not None
    assert "not containing your username or email name" in hint.group(1)
    assert 'aria-describedby="password-hint"' in page.text


def test_the_welcome_names_the_site_as_configured(make_app: AppFactory) -> None:
    app = make_app({"SITE_NAME": "The Night Desk"})
    client = app.test_client()
    AuthActions(client).register("newcomer")
    assert "Welcome to The Night Desk, newcomer!" in client.get("/").text

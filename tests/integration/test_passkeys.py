"""Passkeys through HTTP, answered by a software passkey (``tests/passkey_device.py``): adding,
signing in without a username, single-use and expiring challenges, counters, removal."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app.extensions import db
from app.models import (
    AuthMethod,
    EventType,
    OutboxMessage,
    Passkey,
    PasskeyChallenge,
    SecurityEvent,
    User,
    UserSession,
)
from app.services import mfa, passkeys
from tests.conftest import AppFactory
from tests.factories import create_user
from tests.helpers import PASSWORD, AuthActions, csrf_token, send_form, submit
from tests.integration.test_mfa import START, _count, _enrol, _events, _signed_in
from tests.passkey_device import SoftPasskey

SECURITY = "/account/security"
LOGIN = "/auth/login"


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def _options(client: FlaskClient, url: str, page_url: str, token: bool = True) -> TestResponse:
    """POST to an options endpoint as the script does: the page's CSRF token in a header."""
    page = client.get(page_url)
    headers = {"Referer": page.request.url}
    if token:
        headers["X-CSRFToken"] = csrf_token(page.text)
    return client.post(url, headers=headers)


def _registration(client: FlaskClient) -> dict[str, Any]:
    answer = _options(client, "/account/passkeys/options", SECURITY)
    assert answer.status_code == 200, answer.text
    assert answer.mimetype == "application/json"
    return dict(answer.json or {})


def _sign_in_options(client: FlaskClient) -> dict[str, Any]:
    answer = _options(client, "/auth/passkey/options", LOGIN)
    assert answer.status_code == 200, answer.text
    return dict(answer.json or {})


def _add(client: FlaskClient, device: SoftPasskey, name: str = "Phone") -> TestResponse:
    credential = device.create(_registration(client))
    return submit(client, "/account/passkeys", {"name": name, "credential": credential}, SECURITY)


def _send(client: FlaskClient, credential: str, *, remember: bool = False) -> TestResponse:
    data = {"credential": credential, **({"remember": "y"} if remember else {})}
    return submit(client, "/auth/passkey", data, form_url=LOGIN)


def _sign_in(client: FlaskClient, device: SoftPasskey, *, remember: bool = False) -> TestResponse:
    return _send(client, device.get(_sign_in_options(client)), remember=remember)


def _member_with_passkey(client: FlaskClient, auth: AuthActions) -> SoftPasskey:
    auth.register()
    device = SoftPasskey()
    assert _add(client, device).status_code == 302
    auth.logout()
    return device


def test_add_a_passkey_then_sign_in_with_it_alone(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    auth.register()
    page = client.get(SECURITY)
    assert "No passkeys yet." in page.text
    added = _add(client, SoftPasskey(), name="Work laptop")
    assert added.status_code == 302
    assert added.headers["Location"] == SECURITY
    listed = client.get(SECURITY).text
    assert "Work laptop" in listed
    assert "never" in listed  # not used yet
    assert _events(app, EventType.PASSKEY_ADDED) == 1
    with app.app_context():
        mails = list(db.session.scalars(sa.select(OutboxMessage.payload)))
        user = db.session.scalar(sa.select(User))
        assert user is not None
        assert mfa.has_second_factor(user)  # a passkey counts
    assert [mail.get("change") for mail in mails] == ["passkey_added"]


def test_a_passkey_signs_in_with_no_username_and_no_code_step(
    app: Flask, client: FlaskClient, auth: AuthActions, clock: time_machine.Coordinates
) -> None:
    auth.register()
    _enrol(client, clock)  # two-factor on: the passkey is both factors
    device = SoftPasskey()
    assert _add(client, device).status_code == 302
    auth.logout()
    options = _sign_in_options(client)
    assert options["allowCredentials"] == []
    assert options["userVerification"] == "required"
    assert options["rpId"] == "localhost"
    done = _send(client, device.get(options))
    assert done.status_code == 302
    assert done.headers["Location"] == "/"
    assert _signed_in(client)
    assert "with a passkey" in client.get("/account/sessions").text
    with app.app_context():
        record = db.session.scalar(sa.select(UserSession))
        passkey = db.session.scalar(sa.select(Passkey))
        assert record is not None
        assert passkey is not None
        assert record.auth_method == AuthMethod.PASSKEY
        assert (passkey.sign_count, passkey.last_used_at is not None) == (1, True)
    assert _events(app, EventType.LOGIN_SUCCESS) >= 2


def test_registration_asks_for_a_discoverable_verified_passkey_and_excludes_existing_ones(
    client: FlaskClient, auth: AuthActions
) -> None:
    auth.register()
    first = _registration(client)
    assert first["rp"]["id"] == "localhost"
    selection = first["authenticatorSelection"]
    assert (selection["residentKey"], selection["requireResidentKey"]) == ("required", True)
    assert selection["userVerification"] == "required"
    assert first["excludeCredentials"] == []
    assert "reader" not in first["user"]["id"]  # an opaque handle, not the name
    device = SoftPasskey()
    submit(
        client, "/account/passkeys", {"name": "Phone", "credential": device.create(first)}, SECURITY
    )
    second = _registration(client)
    assert [item["id"] for item in second["excludeCredentials"]] == [
        json.loads(device.get(second))["id"]
    ]
    assert second["user"]["id"] == first["user"]["id"]  # one handle per account


def test_a_challenge_is_used_once_even_with_a_replayed_session_cookie(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    device = _member_with_passkey(client, auth)
    options = _sign_in_options(client)
    before = client.get_cookie("inkwell_session")
    assert before is not None
    answer = device.get(options)
    assert _send(client, answer).status_code == 302
    replay = app.test_client()
    replay.set_cookie("inkwell_session", before.value)
    again = _send(replay, answer)
    assert again.status_code == 422
    assert "already used" in again.text
    assert not _signed_in(replay)
    assert _count(app, PasskeyChallenge) == 0


def test_a_challenge_expires_after_five_minutes(
    client: FlaskClient, auth: AuthActions, clock: time_machine.Coordinates
) -> None:
    device = _member_with_passkey(client, auth)
    options = _sign_in_options(client)
    clock.shift(timedelta(minutes=passkeys.CHALLENGE_MINUTES, seconds=1))
    late = _send(client, device.get(options))
    assert late.status_code == 422
    assert "took too long" in late.text
    assert not _signed_in(client)
    assert _sign_in(client, device).status_code == 302  # a new challenge works


def test_a_registration_challenge_is_the_members_own(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    auth.register()
    options = _registration(client)
    with app.app_context():
        row = db.session.scalar(sa.select(PasskeyChallenge))
        assert row is not None
        assert row.purpose == passkeys.REGISTER
    late = submit(
        client,
        "/account/passkeys",
        {"name": "A", "credential": SoftPasskey().create(options)},
        SECURITY,
    )
    assert late.status_code == 302
    replayed = submit(
        client,
        "/account/passkeys",
        {"name": "B", "credential": SoftPasskey().create(options)},
        SECURITY,
    )
    assert replayed.status_code == 422
    assert _count(app, Passkey) == 1


@pytest.mark.parametrize(
    ("url", "page"), [("/auth/passkey/options", LOGIN), ("/account/passkeys/options", SECURITY)]
)
def test_options_need_the_csrf_token(
    client: FlaskClient, auth: AuthActions, url: str, page: str
) -> None:
    auth.register()
    if page == LOGIN:
        auth.logout()
    refused = _options(client, url, page, token=False)
    assert refused.status_code == 400
    assert _options(client, url, page).status_code == 200


def test_an_unknown_passkey_is_refused_and_logged(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    _member_with_passkey(client, auth)
    stranger = SoftPasskey()
    stranger.user_handle = b"x" * 32
    refused = _sign_in(client, stranger)
    assert refused.status_code == 422
    assert "That passkey was not accepted" in refused.text
    assert not _signed_in(client)
    assert _events(app, EventType.LOGIN_FAILURE) == 1


def _tampered(device: SoftPasskey, options: dict[str, Any], how: str) -> str:
    if how == "wrong origin":
        return device.get(options, origin="http://evil.example")
    if how == "not verified":
        return device.get(options, verified=False)
    if how == "another account's handle":
        return device.get(options, user_handle=b"y" * 32)
    answer = json.loads(device.get(options))
    answer["response"]["signature"] = answer["response"]["signature"][::-1]
    return json.dumps(answer)


@pytest.mark.parametrize(
    "how", ["wrong origin", "not verified", "another account's handle", "bad signature"]
)
def test_a_bad_answer_from_a_known_passkey_is_refused(
    app: Flask, client: FlaskClient, auth: AuthActions, how: str
) -> None:
    device = _member_with_passkey(client, auth)
    refused = _send(client, _tampered(device, _sign_in_options(client), how))
    assert refused.status_code == 422
    assert not _signed_in(client)
    with app.app_context():
        event = db.session.scalar(
            sa.select(SecurityEvent).where(SecurityEvent.type == EventType.LOGIN_FAILURE)
        )
        assert event is not None
        assert event.username == "reader"


GARBAGE = [
    "",
    "{",
    "[]",
    "null",
    '{"id": 1}',
    '{"id": "a", "rawId": "a", "type": "public-key", "response": {}}',
    '{"id": "!!", "rawId": "!!", "type": "public-key", "response": {"clientDataJSON": "!!",'
    ' "authenticatorData": "%%", "signature": "@@", "userHandle": "??"}}',
    '{"id": "AA", "rawId": "AA", "type": "public-key", "response": {"clientDataJSON": "AA",'
    ' "attestationObject": "AA", "authenticatorData": "AA", "signature": "AA"}}',
    "\u202e" * 100,
    "x" * 70_000,
]


@pytest.mark.parametrize("garbage", GARBAGE)
def test_garbage_answers_are_a_4xx_never_a_500(
    client: FlaskClient, auth: AuthActions, garbage: str
) -> None:
    auth.register()
    _registration(client)
    added = submit(client, "/account/passkeys", {"name": "Phone", "credential": garbage}, SECURITY)
    assert 400 <= added.status_code < 500
    auth.logout()
    _sign_in_options(client)
    signed = _send(client, garbage)
    assert 400 <= signed.status_code < 500
    assert not _signed_in(client)


def test_a_registration_without_user_verification_or_from_elsewhere_is_refused(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    auth.register()
    for how in ({"verified": False}, {"origin": "http://evil.example"}):
        answer = SoftPasskey().create(_registration(client), **how)  # type: ignore[arg-type]
        refused = submit(client, "/account/passkeys", {"name": "P", "credential": answer}, SECURITY)
        assert refused.status_code == 422
        assert "could not be checked" in refused.text
    assert _count(app, Passkey) == 0
    nameless = submit(
        client,
        "/account/passkeys",
        {"name": " ", "credential": SoftPasskey().create(_registration(client))},
        SECURITY,
    )
    assert nameless.status_code == 422
    assert "Give the passkey a name" in nameless.text


def test_a_counter_that_goes_backwards_is_refused_as_a_possible_clone(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    device = _member_with_passkey(client, auth)
    assert _sign_in(client, device).status_code == 302
    assert _sign_in(app.test_client(), device).status_code == 302  # counter 2
    submit(client, "/auth/logout", {}, form_url="/")
    device.sign_count = 1  # a copy of the key that has signed less often: the next is 2 again
    refused = _sign_in(client, device)
    assert refused.status_code == 422
    assert not _signed_in(client)
    assert _events(app, EventType.PASSKEY_CLONE_SUSPECTED) == 1
    with app.app_context():
        assert db.session.scalar(sa.select(Passkey.sign_count)) == 2


@pytest.mark.parametrize("remember", [True, False])
def test_remember_me_works_as_with_a_password(
    app: Flask, client: FlaskClient, auth: AuthActions, remember: bool
) -> None:
    device = _member_with_passkey(client, auth)
    assert _sign_in(client, device, remember=remember).status_code == 302
    assert (client.get_cookie("inkwell_remember") is not None) is remember
    with app.app_context():
        assert db.session.scalar(sa.select(UserSession.remembered)) is remember


def test_the_next_address_is_followed_when_it_is_safe(
    client: FlaskClient, auth: AuthActions
) -> None:
    device = _member_with_passkey(client, auth)
    for target, expected in (("/account/posts", "/account/posts"), ("//evil.com", "/")):
        credential = device.get(_sign_in_options(client))
        page = client.get(f"{LOGIN}?next={target}")
        assert f'formaction="/auth/passkey?next={target}"' in page.text
        done = client.post(
            f"/auth/passkey?next={target}",
            data={"csrf_token": csrf_token(page.text), "credential": credential},
        )
        assert done.headers["Location"] == expected
        submit(client, "/auth/logout", {}, form_url="/")


def test_removing_a_passkey_needs_the_password(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    auth.register()
    device = SoftPasskey()
    _add(client, device)
    with app.app_context():
        passkey_id = db.session.scalar(sa.select(Passkey.id))
    url = f"/account/passkeys/{passkey_id}/remove"
    assert url in client.get(SECURITY).text
    asked = client.get(url)
    assert "Remove the passkey “Phone”?" in asked.text
    wrong = send_form(client, asked, url, password="not my password")
    assert wrong.status_code == 422
    assert "the passkey was kept" in wrong.text
    assert _count(app, Passkey) == 1
    done = send_form(client, client.get(url), url, password=PASSWORD)
    assert done.status_code == 302
    assert _count(app, Passkey) == 0
    assert _events(app, EventType.PASSKEY_REMOVED) == 1
    with app.app_context():
        changes = [
            row.get("change") for row in db.session.scalars(sa.select(OutboxMessage.payload))
        ]
    assert changes == ["passkey_added", "passkey_removed"]
    auth.logout()
    assert _sign_in(client, device).status_code == 422  # it signs nobody in any more


def test_nobody_else_can_see_or_remove_a_passkey(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    _member_with_passkey(client, auth)
    with app.app_context():
        passkey_id = db.session.scalar(sa.select(Passkey.id))
    other = app.test_client()
    AuthActions(other).register("other")
    url = f"/account/passkeys/{passkey_id}/remove"
    assert other.get(url).status_code == 404
    page = other.get(SECURITY)
    forged = other.post(url, data={"csrf_token": csrf_token(page.text), "password": PASSWORD})
    assert forged.status_code == 404
    assert other.get("/account/passkeys/99999999999999999999/remove").status_code == 404
    assert _count(app, Passkey) == 1


def test_a_passkey_sign_in_spends_the_accounts_sign_in_budget(make_app: AppFactory) -> None:
    app = make_app(
        {
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_KEY_PREFIX": uuid.uuid4().hex,
            "LOGIN_RATE_LIMIT": "1000 per minute",
            "LOGIN_ACCOUNT_RATE_LIMIT": "3 per 15 minutes",
        }
    )
    owner = app.test_client()
    device = _member_with_passkey(owner, AuthActions(owner))
    attacker = AuthActions(app.test_client())
    for _ in range(3):
        assert attacker.login(password="wrong guess").status_code == 422
    stranger = app.test_client()  # a browser that never signed in: the account's budget
    assert _sign_in(stranger, device).status_code == 429
    assert _sign_in(owner, device).status_code == 302  # the owner's browser keeps its own


def test_require_admin_2fa_accepts_a_passkey(make_app: AppFactory) -> None:
    app = make_app({"REQUIRE_ADMIN_2FA": True})
    with app.app_context():
        create_user("boss", is_admin=True)
    admin = app.test_client()
    AuthActions(admin).login("boss")
    assert admin.get("/admin/users").headers["Location"] == SECURITY
    assert _add(admin, SoftPasskey()).status_code == 302
    assert admin.get("/admin/users").status_code == 200


def test_without_javascript_the_passkey_controls_are_hidden_and_the_csp_unchanged(
    client: FlaskClient, auth: AuthActions
) -> None:
    login = client.get(LOGIN)
    button = re.search(r"<button[^>]*data-passkey-sign-in[^>]*>", login.text)
    assert button is not None
    assert " hidden" in button.group(0)
    assert '<script src="/static/js/passkeys.js' in login.text
    assert "<script>" not in login.text
    assert "script-src 'self'" in login.headers["Content-Security-Policy"]
    auth.register()
    page = client.get(SECURITY).text
    form = re.search(r"<form[^>]*data-passkey-register[^>]*>", page)
    assert form is not None
    assert " hidden" in form.group(0)
    assert "Adding a passkey needs JavaScript" in page


def test_removing_a_passkey_asks_for_a_code_when_two_factor_is_on(
    app: Flask, client: FlaskClient, auth: AuthActions, clock: time_machine.Coordinates
) -> None:
    auth.register()
    totp, _ = _enrol(client, clock)
    _add(client, SoftPasskey())
    with app.app_context():
        url = f"/account/passkeys/{db.session.scalar(sa.select(Passkey.id))}/remove"
    asked = client.get(url)
    assert 'name="code"' in asked.text
    wrong = "000000" if totp.now() != "000000" else "111111"
    refused = send_form(client, asked, url, password=PASSWORD, code=wrong)
    assert refused.status_code == 422
    assert "That code is not right" in refused.text
    assert _count(app, Passkey) == 1
    done = send_form(client, client.get(url), url, password=PASSWORD, code=totp.now())
    assert done.status_code == 302
    assert _count(app, Passkey) == 0


def test_require_admin_2fa_refuses_a_password_only_sign_in_of_an_admin_with_a_passkey(
    make_app: AppFactory,
) -> None:
    """An admin with a passkey (and no code) may still sign in with the password alone; that
    sign-in does not open the admin pages, a passkey sign-in does (found by a black-box review)."""
    app = make_app({"REQUIRE_ADMIN_2FA": True})
    with app.app_context():
        create_user("boss", is_admin=True)
    first = app.test_client()
    AuthActions(first).login("boss")
    device = SoftPasskey()
    assert _add(first, device).status_code == 302
    password_only = app.test_client()
    AuthActions(password_only).login("boss")
    refused = password_only.get("/admin/users")
    assert refused.status_code == 302
    assert refused.headers["Location"] == SECURITY
    with_passkey = app.test_client()
    assert _sign_in(with_passkey, device).status_code == 302
    assert with_passkey.get("/admin/users").status_code == 200


def test_a_second_factor_is_added_only_by_a_sign_in_that_used_one(
    client: FlaskClient, auth: AuthActions
) -> None:
    """With a passkey on the account, a password-only sign-in (a stolen password) cannot add
    another passkey nor turn on an authenticator app of its own."""
    device = _member_with_passkey(client, auth)  # and signed out
    auth.login()
    assert _options(client, "/account/passkeys/options", SECURITY).status_code == 403
    sent = {"name": "Mine", "credential": "{}"}
    assert submit(client, "/account/passkeys", sent, SECURITY).status_code == 403
    assert (
        submit(client, "/account/security/enrol", {"code": "123456"}, SECURITY).status_code == 403
    )
    page = client.get(SECURITY).text
    assert "sign in with a passkey" in page
    assert "otpauth://" not in page  # no enrolment offered to this sign-in
    auth.logout()
    assert _sign_in(client, device).status_code == 302
    assert _add(client, SoftPasskey(), name="Second").status_code == 302


def test_an_admin_reset_removes_the_members_passkeys_too(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    """A member who lost every device is helped by one reset: app and passkeys alike."""
    device = _member_with_passkey(client, auth)
    with app.app_context():
        create_user("boss", is_admin=True)
        member = db.session.scalar(sa.select(User).where(User.username == "reader"))
        assert member is not None
        path = f"/admin/users/{member.id}/reset-two-factor"
    admin = app.test_client()
    AuthActions(admin).login("boss")
    assert "1 passkey" in admin.get(path).text
    assert submit(admin, path, {}).status_code == 302
    assert _count(app, Passkey) == 0
    assert _sign_in(client, device).status_code == 422
    assert "nothing to reset" in admin.get(path).text


@pytest.mark.parametrize("name", ["Phone\u202e", "Lap\u200btop", "Work\u2066 laptop"])
def test_a_passkey_name_cannot_hide_or_reorder_what_is_shown(
    client: FlaskClient, auth: AuthActions, name: str
) -> None:
    auth.register()
    refused = _add(client, SoftPasskey(), name=name)
    assert refused.status_code == 422
    assert "Remove the invisible or control characters" in refused.text
    assert _count_passkeys(client) == 0


def _count_passkeys(client: FlaskClient) -> int:
    return client.get(SECURITY).text.count('href="/account/passkeys/')


def test_removing_a_passkey_ends_the_sign_ins_it_made_but_this_one(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    """A passkey removed because it was lost must not leave its sign-ins open elsewhere."""
    device = _member_with_passkey(client, auth)
    elsewhere, remover, by_password = app.test_client(), app.test_client(), app.test_client()
    for browser in (elsewhere, remover):
        assert _sign_in(browser, device).status_code == 302
    AuthActions(by_password).login("reader")
    with app.app_context():
        passkey_id = db.session.scalar(sa.select(Passkey.id))
    url = f"/account/passkeys/{passkey_id}/remove"
    done = send_form(remover, remover.get(url), url, password=PASSWORD)
    assert done.status_code == 302
    assert elsewhere.get(SECURITY).status_code == 302  # signed out: sent to the sign-in page
    assert remover.get(SECURITY).status_code == 200
    assert by_password.get(SECURITY).status_code == 200
    with app.app_context():
        methods = sorted(db.session.scalars(sa.select(UserSession.auth_method)))
        assert db.session.scalars(sa.select(UserSession.passkey_id)).all() == [None, None]
    assert methods == [AuthMethod.PASSKEY, AuthMethod.PASSWORD]

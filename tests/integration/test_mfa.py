"""Two-factor sign-in (TOTP) through HTTP, with pyotp computing real codes from the key shown."""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pyotp
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
    PendingSignIn,
    RecoveryCode,
    SecurityEvent,
    TotpCredential,
    TrustedBrowser,
    User,
    UserSession,
)
from app.services import mfa
from tests.conftest import AppFactory
from tests.factories import create_user
from tests.helpers import PASSWORD, AuthActions, send_form, submit
from tests.integration.test_reading import counted_statements

START = datetime(2026, 12, 3, 12, 0, 5, tzinfo=UTC)  # 5 s into a 30-second step
STEP = timedelta(seconds=30)
SECURITY = "/account/security"
KEY = re.compile(r'data-testid="totp-key">([A-Z2-7 ]+)<')
RECOVERY = re.compile(r"<code>((?:[a-z2-9]{4}-){5}[a-z2-9]{4})</code>")


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def _enrol(client: FlaskClient, clock: time_machine.Coordinates) -> tuple[pyotp.TOTP, list[str]]:
    """Enrol the signed-in member through the security page; the app's TOTP and the codes."""
    page = client.get("/account/security")
    assert page.status_code == 200
    match = KEY.search(page.text)
    assert match, "no key on the security page"
    totp = pyotp.TOTP(match.group(1).replace(" ", ""))
    done = submit(
        client, "/account/security/enrol", {"code": totp.now()}, form_url="/account/security"
    )
    assert done.status_code == 200, done.text
    codes = RECOVERY.findall(done.text)
    assert len(codes) == 10
    assert len(set(codes)) == 10
    clock.shift(STEP)  # the next code is a new one
    return totp, codes


def _enrolled(
    client: FlaskClient, auth: AuthActions, clock: time_machine.Coordinates
) -> tuple[pyotp.TOTP, list[str]]:
    auth.register()
    totp, codes = _enrol(client, clock)
    auth.logout()
    return totp, codes


def _send_code(client: FlaskClient, code: str) -> TestResponse:
    return submit(client, "/auth/two-factor", {"code": code})


def _signed_in(client: FlaskClient) -> bool:
    return client.get("/account/sessions").status_code == 200


def _count(app: Flask, model: type, *where: object) -> int:
    with app.app_context():
        return int(db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)))


def _events(app: Flask, kind: EventType) -> int:
    return _count(app, SecurityEvent, SecurityEvent.type == kind)


def test_enrolment_shows_a_qr_code_and_key_then_turns_on_with_a_real_code(
    app: Flask, client: FlaskClient, auth: AuthActions, clock: time_machine.Coordinates
) -> None:
    auth.register()
    page = client.get("/account/security")
    assert "<svg" in page.text
    assert "<title>QR code for your authenticator app</title>" in page.text
    assert 'data-testid="totp-state">Off' in page.text
    _, codes = _enrol(client, clock)
    with app.app_context():
        user = db.session.scalar(sa.select(User))
        assert user is not None
        assert mfa.is_enabled(user)
        row = db.session.get(TotpCredential, user.id)
        assert row is not None
        secret = KEY.search(page.text)
        assert secret
        assert secret.group(1).replace(" ", "") not in row.secret
        hashes = set(db.session.scalars(sa.select(RecoveryCode.code_hash)))
        assert all(code.replace("-", "") not in hashes for code in codes)  # stored hashed
    after = client.get("/account/security")
    assert 'data-testid="totp-state">On' in after.text
    assert "totp-key" not in after.text
    assert "<svg" not in after.text
    assert "10 unused recovery codes" in after.text
    assert _events(app, EventType.TOTP_ENABLED) == 1
    assert _count(app, OutboxMessage, OutboxMessage.kind == "two_factor") == 1


def test_a_wrong_code_does_not_turn_it_on(
    app: Flask, client: FlaskClient, auth: AuthActions, clock: time_machine.Coordinates
) -> None:
    auth.register()
    page = client.get("/account/security")
    totp = pyotp.TOTP(KEY.search(page.text).group(1).replace(" ", ""))  # type: ignore[union-attr]
    wrong = str((int(totp.now()) + 1) % 1_000_000).zfill(6)
    for code in (wrong, "abc", "1" * 41):
        answer = submit(client, "/account/security/enrol", {"code": code}, "/account/security")
        assert answer.status_code == 422
        assert "That code is not right" in answer.text or "A code has 6" in answer.text
    with app.app_context():
        user = db.session.scalar(sa.select(User))
        assert user is not None
        assert not mfa.is_enabled(user)
    assert _count(app, RecoveryCode) == 0


def test_sign_in_asks_for_a_code_and_signs_in_nobody_before_it(
    app: Flask, client: FlaskClient, auth: AuthActions, clock: time_machine.Coordinates
) -> None:
    totp, _ = _enrolled(client, auth, clock)
    first = auth.login(next_url="/account/posts")
    assert first.status_code == 302
    assert first.headers["Location"] == "/auth/two-factor"
    assert not _signed_in(client)  # half done: the account pages send to sign in
    assert client.get("/account/").headers["Location"].startswith("/auth/login")
    assert _count(app, UserSession) == 0
    assert _count(app, PendingSignIn) == 1
    done = _send_code(client, totp.now())
    assert done.status_code == 302
    assert done.headers["Location"] == "/account/posts"
    assert _signed_in(client)
    assert _count(app, PendingSignIn) == 0
    with app.app_context():
        record = db.session.scalar(sa.select(UserSession))
        assert record is not None
        assert record.auth_method == AuthMethod.PASSWORD_TOTP
    assert "with a password and a code" in client.get("/account/sessions").text


def test_a_code_is_accepted_once(
    app: Flask, client: FlaskClient, auth: AuthActions, clock: time_machine.Coordinates
) -> None:
    totp, _ = _enrolled(client, auth, clock)
    code = totp.now()
    auth.login()
    assert _send_code(client, code).status_code == 302
    auth.logout()
    auth.login()
    replayed = _send_code(client, code)
    assert replayed.status_code == 422
    assert "already used" in replayed.text
    assert not _signed_in(client)
    assert _events(app, EventType.SECOND_FACTOR_FAILED) == 1


def test_two_parallel_checks_of_one_code_let_exactly_one_pass(
    app: Flask, client: FlaskClient, auth: AuthActions, clock: time_machine.Coordinates
) -> None:
    totp, _ = _enrolled(client, auth, clock)
    code, results = totp.now(), []
    barrier = threading.Barrier(2)

    def check() -> None:
        with app.app_context():
            user = db.session.scalar(sa.select(User))
            assert user is not None
            barrier.wait()
            results.append(mfa.verify_code(user, code))
            db.session.commit()

    threads = [threading.Thread(target=check) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, True]


@pytest.mark.parametrize(("steps", "accepted"), [(-1, True), (1, True), (-2, False), (2, False)])
def test_one_step_of_clock_drift_is_accepted_two_are_not(
    client: FlaskClient,
    auth: AuthActions,
    clock: time_machine.Coordinates,
    steps: int,
    accepted: bool,
) -> None:
    totp, _ = _enrolled(client, auth, clock)
    clock.shift(3 * STEP)  # past every step used at enrolment
    code = totp.at(datetime.now(UTC) + steps * STEP)
    auth.login()
    answer = _send_code(client, code)
    assert (answer.status_code == 302) is accepted
    assert _signed_in(client) is accepted


def test_a_recovery_code_works_once(
    app: Flask, client: FlaskClient, auth: AuthActions, clock: time_machine.Coordinates
) -> None:
    _, codes = _enrolled(client, auth, clock)
    auth.login()
    assert _send_code(client, codes[0].upper().replace("-", " ")).status_code == 302  # as typed
    assert _events(app, EventType.RECOVERY_CODE_USED) == 1
    auth.logout()
    auth.login()
    assert _send_code(client, codes[0]).status_code == 422
    assert not _signed_in(client)
    assert _send_code(client, codes[1]).status_code == 302
    assert "8 unused recovery codes" in client.get("/account/security").text


def test_regenerating_recovery_codes_invalidates_the_old_ones(
    app: Flask, client: FlaskClient, auth: AuthActions, clock: time_machine.Coordinates
) -> None:
    auth.register()
    _, old = _enrol(client, clock)
    fresh = submit(client, "/account/security/recovery-codes", {}, "/account/security")
    new = RECOVERY.findall(fresh.text)
    assert len(new) == 10
    assert not set(new) & set(old)
    assert _events(app, EventType.RECOVERY_CODES_REGENERATED) == 1
    with app.app_context():
        kinds = list(db.session.scalars(sa.select(OutboxMessage.payload)))
    assert [kind["change"] for kind in kinds if "change" in kind] == ["enabled", "recovery_codes"]
    auth.logout()
    auth.login()
    assert _send_code(client, old[0]).status_code == 422
    assert _send_code(client, new[0]).status_code == 302


def test_the_half_done_sign_in_ends_with_a_logout_a_new_attempt_or_time(
    app: Flask, client: FlaskClient, auth: AuthActions, clock: time_machine.Coordinates
) -> None:
    totp, _ = _enrolled(client, auth, clock)
    auth.login()
    submit(client, "/auth/logout", {}, form_url="/auth/login")  # anonymous pages hold no form
    assert _count(app, PendingSignIn) == 0
    assert client.get("/auth/two-factor").headers["Location"] == "/auth/login"
    auth.login()
    auth.login()  # a new attempt replaces the old one
    assert _count(app, PendingSignIn) == 1
    clock.shift(timedelta(minutes=mfa.PENDING_MINUTES, seconds=1))
    expired = client.get("/auth/two-factor")
    assert expired.status_code == 302
    assert expired.headers["Location"] == "/auth/login"
    assert not _signed_in(client)
    assert totp  # the code was never asked for


def test_wrong_codes_end_the_half_done_sign_in(
    app: Flask, client: FlaskClient, auth: AuthActions, clock: time_machine.Coordinates
) -> None:
    totp, _ = _enrolled(client, auth, clock)
    auth.login()
    for _ in range(mfa.PENDING_ATTEMPTS):
        assert (
            _send_code(client, "000000" if totp.now() != "000000" else "111111").status_code == 422
        )
    assert _count(app, PendingSignIn) == 0
    assert client.get("/auth/two-factor").headers["Location"] == "/auth/login"
    assert not _signed_in(client)


def test_wrong_codes_spend_the_accounts_sign_in_budget(
    make_app: AppFactory, clock: time_machine.Coordinates
) -> None:
    app = make_app(
        {
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_KEY_PREFIX": uuid.uuid4().hex,
            "LOGIN_RATE_LIMIT": "1000 per minute",
            "LOGIN_ACCOUNT_RATE_LIMIT": "4 per 15 minutes",
        }
    )
    owner = app.test_client()
    owner_auth = AuthActions(owner)
    totp, _ = _enrolled(owner, owner_auth, clock)
    attacker = app.test_client()  # knows the password, not the code; no device cookie
    attacker_auth = AuthActions(attacker)
    attacker_auth.login()  # 1: the password is right, but nothing is forgiven
    for _ in range(3):  # 2-4
        assert _send_code(attacker, "000000").status_code == 422
    assert _send_code(attacker, totp.now()).status_code == 429  # 5: locked, right code or not
    assert attacker_auth.login().status_code == 429  # the password form shares the lock
    assert owner_auth.login().status_code == 302  # the owner's browser keeps its own budget


def test_members_without_two_factor_sign_in_as_before(
    client: FlaskClient, auth: AuthActions
) -> None:
    auth.register()
    auth.logout()
    answer = auth.login()
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/"
    assert _signed_in(client)
    assert client.get("/auth/two-factor").headers["Location"] == "/auth/login"


def test_the_security_page_is_for_signed_in_members_and_costs_few_statements(
    app: Flask, client: FlaskClient, auth: AuthActions, clock: time_machine.Coordinates
) -> None:
    assert client.get("/account/security").headers["Location"].startswith("/auth/login")
    auth.register()
    _enrol(client, clock)
    with counted_statements(app) as statements:
        assert client.get("/account/security").status_code == 200
    assert len(statements) <= 4, statements
    assert 'href="/account/security"' in client.get("/account/sessions").text


def test_turning_it_off_needs_the_password_and_a_code(
    app: Flask, client: FlaskClient, auth: AuthActions, clock: time_machine.Coordinates
) -> None:
    auth.register()
    totp, codes = _enrol(client, clock)
    off = "/account/security/disable"
    wrong_password = submit(client, off, {"password": "nope", "code": totp.now()}, SECURITY)
    assert wrong_password.status_code == 422
    assert "That password is not correct." in wrong_password.text
    no_code = submit(client, off, {"password": PASSWORD, "code": "000000"}, SECURITY)
    assert no_code.status_code == 422
    assert "That code is not right" in no_code.text
    assert _count(app, TotpCredential) == 1
    done = submit(client, off, {"password": PASSWORD, "code": codes[0]}, SECURITY)
    assert done.status_code == 302
    assert _count(app, TotpCredential, TotpCredential.confirmed_at.is_not(None)) == 0
    assert _count(app, RecoveryCode) == 0
    assert _events(app, EventType.TOTP_DISABLED) == 1
    with app.app_context():
        changes = [
            row.get("change") for row in db.session.scalars(sa.select(OutboxMessage.payload))
        ]
    assert changes == ["enabled", "disabled"]
    auth.logout()
    assert auth.login().headers["Location"] == "/"  # the password alone again


def test_reauthentication_asks_for_the_code_when_it_is_on(
    app: Flask, client: FlaskClient, auth: AuthActions, clock: time_machine.Coordinates
) -> None:
    totp, _ = _enrolled(client, auth, clock)
    auth.login(remember=True)
    assert _send_code(client, totp.now()).status_code == 302
    clock.shift(STEP)
    restored = app.test_client()
    restored.set_cookie("inkwell_remember", client.get_cookie("inkwell_remember").value)
    asked = restored.get(restored.get("/account/password").headers["Location"])
    assert 'name="code"' in asked.text
    path, action = asked.request.full_path, "/auth/reauthenticate"
    no_code = send_form(restored, asked, action, password=PASSWORD, code="000000")
    assert no_code.status_code == 422
    assert "That code is not right" in no_code.text
    assert restored.get("/account/password").status_code == 302  # still not confirmed
    asked = restored.get(path)
    done = send_form(restored, asked, action, password=PASSWORD, code=totp.now())
    assert done.status_code == 302
    assert restored.get("/account/password").status_code == 200


def _admin_client(app: Flask, clock: time_machine.Coordinates) -> FlaskClient:
    with app.app_context():
        create_user("boss", is_admin=True)
    admin = app.test_client()
    AuthActions(admin).login("boss")
    return admin


def test_an_admin_resets_a_members_two_factor_audited_and_mailed(
    app: Flask, client: FlaskClient, auth: AuthActions, clock: time_machine.Coordinates
) -> None:
    _enrolled(client, auth, clock)
    admin = _admin_client(app, clock)
    with app.app_context():
        member = db.session.scalar(sa.select(User).where(User.username == "reader"))
        assert member is not None
        member_id = member.id
    url = f"/admin/users/{member_id}/reset-two-factor"
    assert url in admin.get("/admin/users").text
    asked = admin.get(url)
    assert "recovery codes stop working" in asked.text
    done = send_form(admin, asked, url)
    assert done.status_code == 302
    assert _count(app, TotpCredential) == 0
    with app.app_context():
        event = db.session.scalar(
            sa.select(SecurityEvent).where(SecurityEvent.type == EventType.TOTP_RESET_BY_ADMIN)
        )
        assert event is not None
        assert (event.user_id, event.actor_username) == (member_id, "boss")
        mails = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [(m.recipient, m.payload.get("change")) for m in mails][-1] == (
        "reader@example.com",
        "reset_by_admin",
    )
    assert auth.login().headers["Location"] == "/"  # the password alone again


def test_require_admin_2fa_sends_admins_without_it_to_enrol(
    make_app: AppFactory, clock: time_machine.Coordinates
) -> None:
    app = make_app({"REQUIRE_ADMIN_2FA": True})
    admin = _admin_client(app, clock)
    sent = admin.get("/admin/users")
    assert sent.status_code == 302
    assert sent.headers["Location"] == SECURITY
    _enrol(admin, clock)
    assert admin.get("/admin/users").status_code == 200


def test_admin_pages_need_no_second_factor_by_default(
    app: Flask, clock: time_machine.Coordinates
) -> None:
    assert _admin_client(app, clock).get("/admin/users").status_code == 200


def _sign_in_trusting(client: FlaskClient, auth: AuthActions, totp: pyotp.TOTP) -> None:
    auth.login()
    done = submit(client, "/auth/two-factor", {"code": totp.now(), "trust": "y"})
    assert done.status_code == 302


def test_a_trusted_browser_skips_the_code_and_only_that_one(
    app: Flask, client: FlaskClient, auth: AuthActions, clock: time_machine.Coordinates
) -> None:
    totp, _ = _enrolled(client, auth, clock)
    _sign_in_trusting(client, auth, totp)
    cookie = client.get_cookie("inkwell_trusted")
    assert cookie is not None
    assert cookie.http_only
    assert "Browsers that skip the two-factor code" in client.get("/account/sessions").text
    auth.logout()
    assert auth.login().headers["Location"] == "/"  # no code asked
    assert "with a password on a trusted browser" in client.get("/account/sessions").text
    other = app.test_client()
    assert AuthActions(other).login().headers["Location"] == "/auth/two-factor"
    forged = app.test_client()
    forged.set_cookie("inkwell_trusted", cookie.value + "x")
    assert AuthActions(forged).login().headers["Location"] == "/auth/two-factor"


def test_a_revoked_trusted_browser_is_asked_for_the_code_again(
    app: Flask, client: FlaskClient, auth: AuthActions, clock: time_machine.Coordinates
) -> None:
    totp, _ = _enrolled(client, auth, clock)
    _sign_in_trusting(client, auth, totp)
    page = client.get("/account/sessions")
    revoked = send_form(client, page, "/account/trusted-browsers/")
    assert revoked.status_code == 302
    assert _count(app, TrustedBrowser) == 0
    assert _events(app, EventType.TRUSTED_BROWSER_REVOKED) == 1
    auth.logout()
    assert auth.login().headers["Location"] == "/auth/two-factor"


@pytest.mark.parametrize("how", ["password change", "sign out everywhere else"])
def test_a_password_change_or_signing_out_everywhere_revokes_trusted_browsers(
    app: Flask, client: FlaskClient, auth: AuthActions, clock: time_machine.Coordinates, how: str
) -> None:
    totp, _ = _enrolled(client, auth, clock)
    _sign_in_trusting(client, auth, totp)
    assert _count(app, TrustedBrowser) == 1
    if how == "password change":
        new = "another long and unusual passphrase"
        data = {"current_password": PASSWORD, "password": new, "confirm": new}
        assert submit(client, "/account/password", data).status_code == 302
    else:
        clock.shift(STEP)
        AuthActions(elsewhere := app.test_client()).login()
        _send_code(elsewhere, totp.now())
        page = client.get("/account/sessions")
        assert send_form(client, page, "/account/sessions/revoke-others").status_code == 302
    assert _count(app, TrustedBrowser) == 0


@pytest.mark.parametrize(
    ("path", "form_url"),
    [
        ("/auth/reauthenticate", "/auth/reauthenticate"),
        ("/account/security/disable", "/account/security"),
    ],
)
def test_the_right_password_does_not_buy_endless_code_guesses(
    make_app: AppFactory, clock: time_machine.Coordinates, path: str, form_url: str
) -> None:
    """A thief with the session and the password must not reset the budget with each guess: it
    is forgiven only once the code passes too (found by a black-box review)."""
    client = make_app({"RATELIMIT_ENABLED": True}).test_client()
    auth = AuthActions(client)
    totp, _ = _enrolled(client, auth, clock)
    auth.login()
    assert _send_code(client, totp.now()).status_code == 302
    wrong = f"{(int(totp.now()) + 1) % 1_000_000:06d}"
    statuses = [
        submit(client, path, {"password": PASSWORD, "code": wrong}, form_url=form_url).status_code
        for _ in range(12)
    ]
    assert 429 in statuses, statuses
    assert statuses.index(429) <= 10, statuses


def test_require_admin_2fa_wants_a_sign_in_made_with_the_second_factor(
    make_app: AppFactory, clock: time_machine.Coordinates
) -> None:
    """Having a second factor is not enough: this sign-in must have used it. Enrolling in a
    sign-in that had none counts (the code was just typed); a later password-only one does not."""
    app = make_app({"REQUIRE_ADMIN_2FA": True})
    admin = _admin_client(app, clock)
    totp, _ = _enrol(admin, clock)
    assert admin.get("/admin/users").status_code == 200
    trusted_elsewhere = app.test_client()
    AuthActions(trusted_elsewhere).login("boss")
    assert _send_code(trusted_elsewhere, totp.now()).status_code == 302
    assert trusted_elsewhere.get("/admin/users").status_code == 200

from pathlib import Path

import pytest
from argon2 import PasswordHasher
from flask import Flask
from werkzeug.security import generate_password_hash

from app import create_app
from app.services import passwords
from app.services.passwords import PasswordPolicyError, check_policy


@pytest.mark.parametrize(
    "password",
    [
        "eight ch",  # exactly 8, spaces count
        "x7!" * 21 + "z",  # 64
        "Ω" * 128,  # 128, any Unicode
        "hello,   world with spaces  ",
        "パスワードは秘密です",
        "🦆🦆🦆🦆🦆🦆🦆🦆",
    ],
)
def test_policy_accepts_long_unicode_and_spaced_passwords(password: str) -> None:
    check_policy(password, username="reader", email="reader@example.com")


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "at least 8"),
        ("1234567", "at least 8"),
        ("a" * 129, "at most 128"),
        ("password1", "too common"),
        ("PASSWORD123", "too common"),
        ("iloveyou2", "too common"),
        ("qwertyuiop", "too common"),
        ("reader", "at least 8"),
        ("my-Reader-password", "username or email"),
        ("inkreadersince1999", "username or email"),
        ("xx-mailbox-xx", "username or email"),
    ],
)
def test_policy_rejections(password: str, message: str) -> None:
    with pytest.raises(PasswordPolicyError, match=message):
        check_policy(password, username="reader", email="mailbox@example.com")


def test_short_email_local_part_is_not_searched_inside_passwords() -> None:
    check_policy("a perfectly fine passphrase", username="zed", email="a@example.com")


def test_common_list_is_shipped_and_meets_the_length_rule() -> None:
    common = passwords.common_passwords()
    assert len(common) >= 10_000
    assert all(len(word) >= passwords.MIN_LENGTH for word in common)


def test_over_long_password_is_never_hashed(app: Flask) -> None:
    with app.app_context(), pytest.raises(PasswordPolicyError):
        passwords.hash_password("x" * 129)


def test_hash_round_trip_and_wrong_password(app: Flask) -> None:
    with app.app_context():
        stored = passwords.hash_password("correct horse battery")
        assert stored.startswith("$argon2id$")
        assert "correct horse battery" not in stored
        assert passwords.verify_password(stored, "correct horse battery")
        assert not passwords.verify_password(stored, "correct horse batterY")
        assert not passwords.verify_password(stored, "x" * 129)


def test_normalization_lets_composed_and_decomposed_forms_match(app: Flask) -> None:
    with app.app_context():
        stored = passwords.hash_password("caf\u00e9 au lait please")
        assert passwords.verify_password(stored, "cafe\u0301 au lait please")


def test_older_parameters_and_other_algorithms_need_rehash(app: Flask) -> None:
    with app.app_context():
        assert not passwords.needs_rehash(passwords.hash_password("whatever you like"))
        weaker = PasswordHasher(time_cost=1, memory_cost=32, parallelism=1).hash("pw")
        assert passwords.needs_rehash(weaker)
        legacy = generate_password_hash("whatever you like", method="pbkdf2:sha256:1000")
        assert passwords.needs_rehash(legacy)
        assert passwords.verify_password(legacy, "whatever you like")
        assert not passwords.verify_password("not a hash at all", "whatever you like")


def test_production_hash_meets_the_owasp_floor(tmp_path: Path) -> None:
    app = create_app(
        {
            "SECRET_KEY": "p" * 40,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}",
            "SITE_URL": "https://blog.example.com",
        },
        env="production",
        instance_path=str(tmp_path),
    )
    with app.app_context():
        stored = passwords.hash_password("correct horse battery")
    assert stored.startswith("$argon2id$v=19$")
    settings = dict(item.split("=") for item in stored.split("$")[3].split(","))
    assert int(settings["m"]) >= 19456
    assert int(settings["t"]) >= 2
    assert int(settings["p"]) == 1


def test_legacy_hash_of_a_password_nfkc_would_change_still_verifies(app: Flask) -> None:
    with app.app_context():
        legacy = generate_password_hash("\ufb01sh and chips!", method="pbkdf2:sha256:1000")
        assert passwords.verify_password(legacy, "\ufb01sh and chips!")


def test_long_passwords_are_never_truncated(app: Flask) -> None:
    """Passwords that differ only in their last character (of 128) are different passwords."""
    with app.app_context():
        stored = passwords.hash_password("p" * 127 + "a")
        assert passwords.verify_password(stored, "p" * 127 + "a")
        assert not passwords.verify_password(stored, "p" * 127 + "b")
        assert not passwords.verify_password(stored, "p" * 127)

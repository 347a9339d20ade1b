"""A username that looks like an existing member's (TR39 confusables) is refused as taken."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from app.extensions import db
from app.models import User
from tests.factories import create_user
from tests.helpers import PASSWORD, AuthActions

TAKEN = "That username is taken. Please choose another."

LOOK_ALIKES = [
    ("unitest", "unit\u0435st"),  # Cyrillic small e
    ("admin", "adm\u0131n"),  # Latin small dotless i
    ("paypal", "paypa1"),  # digit one for l
    ("scott", "sc0tt"),  # digit zero for o
    ("modern", "rnodern"),  # r n for m
    ("paypal", "PaypaI"),  # capital I for l
    ("unitest", "Unit\u0435st"),  # mixed case and a Cyrillic e
    ("PayPal", "paypa\u0399"),  # Greek capital iota for l, the existing name in mixed case
]
DISTINCT = [
    ("anna", "anne"),
    ("bob", "rob"),
    ("unitest", "unittest"),
    ("admin", "admins"),
    ("ivan", "\u0438\u0432\u0430\u043d"),  # "иван" does not look like "ivan"
]


def _count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(User)) or 0


@pytest.mark.parametrize(("existing", "look_alike"), LOOK_ALIKES)
def test_a_look_alike_of_a_member_is_refused_like_a_taken_name(
    app: Flask, auth: AuthActions, existing: str, look_alike: str
) -> None:
    with app.app_context():
        create_user(existing)
    response = auth.register(look_alike, email="newcomer@example.com")
    assert response.status_code == 422
    assert TAKEN in response.text
    assert _count(app) == 1


@pytest.mark.parametrize(("existing", "other"), DISTINCT)
def test_distinct_names_still_register(
    app: Flask, auth: AuthActions, existing: str, other: str
) -> None:
    with app.app_context():
        create_user(existing)
    assert auth.register(other, email="newcomer@example.com").status_code == 302
    assert _count(app) == 2


def test_the_command_line_refuses_a_look_alike_too(app: Flask) -> None:
    with app.app_context():
        create_user("admin")
    result = app.test_cli_runner().invoke(
        args=["create-admin", "adm\u0131n", "other@example.com"], input=f"{PASSWORD}\n" * 2
    )
    assert result.exit_code != 0
    assert "An account with that username already exists." in result.output
    assert _count(app) == 1

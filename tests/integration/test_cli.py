"""``flask create-admin`` through Click's runner and through the real ``flask`` executable."""

from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner

from app.extensions import db
from app.models import User
from app.services import passwords
from tests.factories import create_user
from tests.helpers import PASSWORD, run_flask


def _admins(app: Flask) -> list[tuple[str, bool]]:
    with app.app_context():
        return [(u.username, u.is_admin) for u in db.session.scalars(sa.select(User))]


def test_create_admin_reads_password_twice_from_stdin(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(
        args=["create-admin", "Boss", "boss@example.com"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert "Created administrator 'Boss'." in result.output
    assert PASSWORD not in result.output
    assert _admins(app) == [("Boss", True)]
    with app.app_context():
        stored = db.session.scalar(sa.select(User.password_hash))
        assert passwords.verify_password(stored, PASSWORD)


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["boss", "boss@example.com"], f"{PASSWORD}\nsomething else\n", "do not match"),
        (["boss", "boss@example.com"], "short\nshort\n", "at least 8 characters"),
        (["boss", "boss@example.com"], "password123\npassword123\n", "too common"),
        (["boss", "boss@example.com"], "the boss is here\nthe boss is here\n", "must not contain"),
        (["b", "boss@example.com"], f"{PASSWORD}\n{PASSWORD}\n", "username: Use 3 to 32"),
        (["boss", "not-an-email"], f"{PASSWORD}\n{PASSWORD}\n", "email: Enter a valid email"),
    ],
)
def test_create_admin_applies_the_rules(
    app: Flask, runner: FlaskCliRunner, args: list[str], stdin: str, message: str
) -> None:
    result = runner.invoke(args=["create-admin", *args], input=stdin)
    assert result.exit_code == 1
    assert message in result.output
    assert _admins(app) == []


@pytest.mark.parametrize(
    ("args", "field"),
    [(["TAKEN", "new@example.com"], "username"), (["newname", "Taken@Example.com"], "email")],
)
def test_create_admin_refuses_duplicates(
    app: Flask, runner: FlaskCliRunner, args: list[str], field: str
) -> None:
    with app.app_context():
        create_user("taken", email="taken@example.com")
    result = runner.invoke(args=["create-admin", *args], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 1
    assert f"An account with that {field} already exists." in result.output
    assert _admins(app) == [("taken", False)]


def test_real_flask_command_builds_schema_and_creates_admin(tmp_path: Path) -> None:
    """The README's commands, as a shell would run them, on an empty SQLite file."""
    database = f"sqlite:///{tmp_path / 'cli.db'}"
    upgrade = run_flask(database, "db", "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr
    passwords_twice = f"{PASSWORD}\n{PASSWORD}\n"
    created = run_flask(
        database, "create-admin", "root_admin", "root@example.com", stdin=passwords_twice
    )
    assert created.returncode == 0, created.stderr
    assert "Created administrator 'root_admin'." in created.stdout
    again = run_flask(
        database, "create-admin", "root_admin", "other@example.com", stdin=passwords_twice
    )
    assert again.returncode == 1
    assert "already exists" in again.stderr

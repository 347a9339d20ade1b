"""Command-line tools: ``flask --app wsgi <command>``."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from app.services import accounts, passwords


def _read_password() -> str:
    """Hidden prompt, asked twice, on a terminal; two lines of stdin otherwise (for scripts)."""
    if sys.stdin.isatty():
        return str(click.prompt("Password", hide_input=True, confirmation_prompt="Repeat password"))
    first, second = sys.stdin.readline().rstrip("\r\n"), sys.stdin.readline().rstrip("\r\n")
    if first != second:
        raise click.ClickException("The two passwords do not match.")
    return first


@click.command("create-admin")
@click.argument("username")
@click.argument("email")
@with_appcontext
def create_admin_command(username: str, email: str) -> None:
    """Create an administrator account; the password is asked for, never passed as an argument."""
    try:
        username = accounts.normalize_username(username)
        email = accounts.normalize_email(email)
    except accounts.InvalidAccountData as error:
        raise click.ClickException(f"{error.field}: {error}") from None
    password = _read_password()
    try:
        passwords.check_policy(password, username=username, email=email)
    except passwords.PasswordPolicyError as error:
        raise click.ClickException(f"password: {error}") from None
    try:
        user = accounts.register_user(username, email, password, is_admin=True)
    except accounts.AccountExists as exists:
        raise click.ClickException(f"An account with that {exists.field} already exists.") from None
    click.echo(f"Created administrator {user.username!r}.")

"""Command-line tools: ``flask --app wsgi <command>``."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import click
import sqlalchemy as sa
from flask.cli import ScriptInfo, pass_script_info, with_appcontext

from app.extensions import db
from app.models import User
from app.services import accounts, admin, demo, mail_delivery, passwords, throttle


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


@click.command("seed")
@click.option("--users", default=5, show_default=True, help="Members to create.")
@click.option("--posts", "post_count", default=30, show_default=True, help="Posts to create.")
@click.option("--comments", default=60, show_default=True, help="Comments to spread over posts.")
@click.option(
    "--seed", "rng_seed", type=int, default=None, help="Random seed, for repeatable runs."
)
@click.option("--show-passwords", is_flag=True, help="Print the new members' passwords (once).")
@with_appcontext
def seed_command(
    users: int, post_count: int, comments: int, rng_seed: int | None, show_passwords: bool
) -> None:
    """Fill the site with realistic demo members, Markdown posts, tags and comments."""
    for name, value in (("--users", users), ("--posts", post_count), ("--comments", comments)):
        if value < 0:
            raise click.BadParameter("must be zero or more", param_hint=name)
    with click.progressbar(length=post_count, label="Writing posts", file=sys.stderr) as bar:

        def progress(indexes: Iterator[int]) -> Iterator[int]:
            for index in indexes:
                yield index
                bar.update(1)

        try:
            report = demo.seed(users, post_count, comments, rng_seed=rng_seed, progress=progress)
        except ValueError as error:
            raise click.ClickException(str(error)) from None
    click.echo(
        f"Created {len(report.members)} members, {report.posts} posts, {report.comments} comments."
    )
    if show_passwords:
        click.echo("Member passwords (shown once, not stored anywhere in clear):")
        for username, password in report.members:
            click.echo(f"  {username}  {password}")
    elif report.members:
        click.echo("Run with --show-passwords to see the members' passwords.")


@click.group("users")
def users_group() -> None:
    """Manage accounts from the command line, with the admin area's rules."""


@users_group.command("list")
@with_appcontext
def list_users() -> None:
    """Every account: username, email, role, status, last sign-in."""
    for user in db.session.scalars(sa.select(User).order_by(User.username_key)):
        role = "admin" if user.is_admin else "member"
        status = "active" if user.is_active else "inactive"
        last = user.last_login_at.strftime("%Y-%m-%d %H:%M") if user.last_login_at else "never"
        click.echo(f"{user.username}\t{user.email}\t{role}\t{status}\t{last}")


def _user_action_command(action: str) -> click.Command:
    @click.argument("username")
    @with_appcontext
    def command(username: str) -> None:
        try:
            key = accounts.username_key(accounts.normalize_username(username))
        except accounts.InvalidAccountData:
            key = ""
        user = db.session.scalar(sa.select(User).where(User.username_key == key))
        if user is None:
            raise click.ClickException(f"No account is named {username!r}.")
        try:
            outcome = admin.USER_ACTIONS[action](None, user)
        except admin.AdminActionRefused as refused:
            raise click.ClickException(str(refused)) from None
        detail = f" ({outcome.value})" if isinstance(outcome, throttle.Unlocked) else ""
        click.echo(f"{action}: done for {user.username!r}{detail}.")

    command.__doc__ = f"{action.replace('-', ' ').capitalize()} USERNAME (as in the admin area)."
    return users_group.command(action)(command)


for _action in admin.USER_ACTIONS:
    _user_action_command(_action)


@click.group("mail")
def mail_group() -> None:
    """The mail outbox: run the worker that delivers it, or see what waits."""


@mail_group.command("worker")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
@click.option(
    "--poll", type=float, default=None, help="Seconds between looks at the outbox (default 2)."
)
@with_appcontext
@pass_script_info
def mail_worker(info: ScriptInfo, once: bool, poll: float | None) -> None:
    """Deliver queued mail until stopped (SIGTERM or Ctrl-C); safe to run several at once."""
    app = info.load_app()
    seconds = poll if poll is not None else app.config["MAIL_WORKER_POLL_SECONDS"]
    if not once:
        where = app.config.get("MAIL_SERVER") or "the terminal (MAIL_SERVER is not set)"
        click.echo(f"Mail worker delivering to {where}; stop with Ctrl-C.", err=True)
    mail_delivery.run_worker(app, poll_seconds=seconds, once=once)


@mail_group.command("status")
@with_appcontext
def mail_status() -> None:
    """How many messages wait, how old the oldest is, and how many failed."""
    backlog = mail_delivery.backlog()
    oldest = backlog["oldest_waiting_seconds"]
    click.echo(f"waiting: {backlog['waiting']} (oldest {oldest if oldest is not None else '-'} s)")
    click.echo(f"failed: {backlog['failed']}")

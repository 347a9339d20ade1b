"""``flask seed``: realistic demo content, random passwords shown only on request."""

from datetime import UTC, datetime

import sqlalchemy as sa
import time_machine
from flask import Flask
from flask.testing import FlaskCliRunner

from app.extensions import db
from app.models import Comment, Post, Tag, User
from app.services import passwords


def _count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_seed_creates_members_posts_tags_and_comments(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["seed", "--users", "3", "--posts", "12", "--comments", "7"])
    assert result.exit_code == 0, result.output
    assert "Created 3 members, 12 posts, 7 comments." in result.output
    assert "--show-passwords" in result.output
    assert (_count(app, User), _count(app, Post), _count(app, Comment)) == (3, 12, 7)
    assert _count(app, Tag) > 0
    with app.app_context():
        post = db.session.scalars(sa.select(Post)).first()
        assert "<h2>" in post.body_html
        assert '<pre tabindex="0"' in post.body_html
        assert "<li>" in post.body_html


def test_seed_passwords_are_random_and_work(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["seed", "--users", "2", "--posts", "0", "--show-passwords"])
    assert result.exit_code == 0, result.output
    lines = result.output.split("(shown once, not stored anywhere in clear):")[1].split()
    credentials = dict(zip(lines[::2], lines[1::2], strict=True))
    assert len(credentials) == 2
    assert len(set(credentials.values())) == 2
    with app.app_context():
        for username, password in credentials.items():
            stored = db.session.scalar(
                sa.select(User.password_hash).where(User.username == username)
            )
            assert passwords.verify_password(stored, password)


def test_seed_without_members_is_a_clear_error(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["seed", "--users", "0", "--posts", "3"])
    assert result.exit_code == 1
    assert "no members to write the posts" in result.output


def test_seed_rejects_negative_counts(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["seed", "--posts", "-1"])
    assert result.exit_code == 2
    assert "must be zero or more" in result.output


# Repeatable seeds --------------------------------------------------------------------------------

SEEDED_AT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def _content(app: Flask) -> list[tuple[object, ...]]:
    """Everything a reader sees of the site, by natural keys (never by row ids)."""
    with app.app_context():
        members = [
            ("member", user.username, user.email, user.is_admin, user.created_at)
            for user in db.session.scalars(sa.select(User).order_by(User.username))
        ]
        written = [
            (
                "post",
                post.slug,
                post.title,
                post.author.username,
                post.body_markdown,
                post.body_html,
                post.excerpt,
                post.status,
                post.created_at,
                post.published_at,
                tuple(tag.name for tag in post.tags),
            )
            for post in db.session.scalars(sa.select(Post).order_by(Post.slug))
        ]
        said = sorted(
            ("comment", comment.post.slug, comment.author.username, comment.body)
            for comment in db.session.scalars(sa.select(Comment))
        )
        return [*members, *written, *said]


def _wipe(app: Flask) -> None:
    """Back to a fresh, empty database."""
    with app.app_context():
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()


def _seed(app: Flask, *options: str) -> list[tuple[object, ...]]:
    with time_machine.travel(SEEDED_AT, tick=False):
        result = app.test_cli_runner().invoke(
            args=["seed", "--users", "4", "--posts", "25", "--comments", "30", *options]
        )
    assert result.exit_code == 0, result.output
    return _content(app)


def test_the_same_seed_gives_the_same_site_and_another_seed_another(app: Flask) -> None:
    first = _seed(app, "--seed", "42")
    _wipe(app)
    again = _seed(app, "--seed", "42")
    _wipe(app)
    other = _seed(app, "--seed", "43")
    assert len(first) == 4 + 25 + 30
    assert first == again
    assert other != first
    assert {row[1] for row in other if row[0] == "member"}.isdisjoint(
        row[1] for row in first if row[0] == "member"
    )


def test_the_same_seed_twice_on_one_database_is_a_clear_error(app: Flask) -> None:
    _seed(app, "--seed", "7")
    for users in ("4", "0"):
        result = app.test_cli_runner().invoke(
            args=["seed", "--users", users, "--posts", "25", "--seed", "7"]
        )
        assert result.exit_code == 1, result.output
        assert "is already on this database" in result.output
        assert "Traceback" not in result.output
    assert _count(app, Post) == 25

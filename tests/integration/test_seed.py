"""``flask seed``: realistic demo content, random passwords shown only on request."""

import sqlalchemy as sa
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
        assert "<pre>" in post.body_html
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

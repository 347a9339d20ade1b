"""SQL statements per page, anonymous and signed in, on a seeded SQLite database. Prints a table.

Not a test (tests/integration/test_reading.py asserts the budget); this shows the numbers.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import sqlalchemy as sa

from app import create_app
from app.extensions import db
from app.models import Post, PostStatus, Tag, User
from app.services import demo

POSTS = 1_000
PASSWORD = "benchmark passphrase 42"


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="inkwell-bench-"))
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'bench.db'}"},
        env="testing",
        instance_path=str(workdir),
    )
    with app.app_context():
        db.create_all()
        demo.seed(20, POSTS, POSTS * 2, rng_seed=1)
        slug = db.session.scalar(sa.select(Post.slug).where(Post.status == PostStatus.PUBLISHED))
        tag = db.session.scalar(sa.select(Tag.name))
        author = db.session.scalar(sa.select(User.username))
    pages = [
        "/",
        f"/posts/{slug}",
        f"/tags/{tag}",
        f"/users/{author}",
        "/feed.xml",
        "/search?q=example",
    ]

    statements: list[str] = []
    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))

    anonymous = app.test_client()
    member = app.test_client()
    with app.app_context():
        from app.services import accounts

        accounts.register_user("bench_member", "bench@example.com", PASSWORD)
    page = member.get("/auth/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    member.post(
        "/auth/login", data={"csrf_token": token, "username": "bench_member", "password": PASSWORD}
    )

    print(f"SQL statements per page ({POSTS:,} posts, SQLite)\n")
    print(f"{'page':<40} {'anonymous':>10} {'signed in':>10}")
    for path in pages:
        counts = []
        for client in (anonymous, member):
            statements.clear()
            status = client.get(path).status_code
            assert status == 200, (path, status)
            counts.append(len(statements))
        print(f"{path[:40]:<40} {counts[0]:>10} {counts[1]:>10}")


if __name__ == "__main__":
    main()

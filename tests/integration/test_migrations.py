"""``flask db upgrade`` from an empty database builds exactly the models' schema (no drift)."""

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import app.models  # noqa: F401  (registers the tables on db.metadata)
from app import create_app
from app.extensions import db
from app.services import search, tags
from app.services.search import include_in_autogenerate
from tests.conftest import TEST_DATABASE_URL
from tests.helpers import run_flask


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[str]:
    """A brand-new database on the backend under test."""
    if not TEST_DATABASE_URL.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    name = f"inkwell_migrations_{uuid.uuid4().hex[:12]}"
    server = sa.make_url(TEST_DATABASE_URL)
    admin = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _drift(database_url: str) -> list[object]:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            options = {"compare_type": True, "include_object": include_in_autogenerate}
            context = MigrationContext.configure(connection, opts=options)
            return list(compare_metadata(context, db.metadata))
    finally:
        engine.dispose()


def _tables(database_url: str) -> set[str]:
    engine = sa.create_engine(database_url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_from_empty_matches_the_models(empty_database: str) -> None:
    upgrade = run_flask(empty_database, "db", "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr
    assert _drift(empty_database) == []
    check = run_flask(empty_database, "db", "check")
    assert check.returncode == 0, check.stderr
    assert "No new upgrade operations detected" in check.stdout + check.stderr


def test_upgrade_creates_no_accounts(empty_database: str) -> None:
    assert run_flask(empty_database, "db", "upgrade").returncode == 0
    engine = sa.create_engine(empty_database)
    try:
        with engine.connect() as connection:
            assert connection.scalar(sa.text("SELECT count(*) FROM users")) == 0
    finally:
        engine.dispose()


def test_downgrade_to_base_and_upgrade_again(empty_database: str) -> None:
    assert run_flask(empty_database, "db", "upgrade").returncode == 0
    downgrade = run_flask(empty_database, "db", "downgrade", "base")
    assert downgrade.returncode == 0, downgrade.stderr
    assert _tables(empty_database) <= {"alembic_version"}
    assert run_flask(empty_database, "db", "upgrade").returncode == 0
    assert {"users", "user_sessions", "posts", "tags", "post_tags", "comments"} <= _tables(
        empty_database
    )


def test_search_structures_come_with_the_migration(empty_database: str) -> None:
    assert run_flask(empty_database, "db", "upgrade").returncode == 0
    engine = sa.create_engine(empty_database)
    try:
        if engine.dialect.name == "sqlite":
            assert "posts_fts" in _tables(empty_database)
        else:
            indexes = {ix["name"] for ix in sa.inspect(engine).get_indexes("posts")}
            assert "ix_posts_search" in indexes
    finally:
        engine.dispose()


def test_username_skeletons_are_computed_for_existing_members(empty_database: str) -> None:
    """Members from before the look-alike check get their skeleton; look-alikes may coexist."""
    assert run_flask(empty_database, "db", "upgrade", "b8c09d4fdade").returncode == 0
    engine = sa.create_engine(empty_database)
    try:
        with engine.begin() as connection:
            for number, name in enumerate(["unitest", "unit\u0435st", "Paypal"]):
                connection.execute(
                    sa.text(
                        "INSERT INTO users (username, username_key, email, email_key, "
                        "password_hash, is_admin, is_active, created_at) VALUES "
                        "(:name, :key, :email, :email, 'x', false, true, CURRENT_TIMESTAMP)"
                    ),
                    {"name": name, "key": name.casefold(), "email": f"m{number}@example.com"},
                )
        upgrade = run_flask(empty_database, "db", "upgrade")
        assert upgrade.returncode == 0, upgrade.stderr
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT username, username_skeleton FROM users ORDER BY id")
            ).all()
    finally:
        engine.dispose()
    assert rows == [("unitest", "unitest"), ("unit\u0435st", "unitest"), ("Paypal", "paypal")]


def test_drafts_never_published_move_to_private_slugs(empty_database: str) -> None:
    assert run_flask(empty_database, "db", "upgrade", "b8c09d4fdade").returncode == 0
    engine = sa.create_engine(empty_database)
    rows = [
        ("secret-plans", "draft", None),
        ("public-post", "published", "2026-01-01 00:00:00+00:00"),
        ("taken-down", "draft", "2026-01-01 00:00:00+00:00"),
    ]
    try:
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO users (id, username, username_key, email, email_key, "
                    "password_hash, is_admin, is_active, created_at) VALUES (1, 'w', 'w', "
                    "'w@example.com', 'w@example.com', 'x', false, true, '2026-01-01 00:00:00')"
                )
            )
            for number, (slug, status, published_at) in enumerate(rows, start=1):
                connection.execute(
                    sa.text(
                        "INSERT INTO posts (id, author_id, title, slug, body_markdown, body_html,"
                        " excerpt, status, created_at, updated_at, published_at) VALUES (:id, 1,"
                        " 't', :slug, 'b', 'b', 'b', :status, '2026-01-01 00:00:00',"
                        " '2026-01-01 00:00:00', :published_at)"
                    ),
                    {"id": number, "slug": slug, "status": status, "published_at": published_at},
                )
            connection.execute(
                sa.text(
                    "INSERT INTO form_submissions (user_id, token, location, created_at)"
                    " VALUES (1, :token, '/posts/secret-plans', '2026-01-01 00:00:00')"
                ),
                {"token": "t" * 43},
            )
        assert run_flask(empty_database, "db", "upgrade").returncode == 0
        with engine.connect() as connection:
            slugs = connection.scalars(sa.text("SELECT slug FROM posts ORDER BY id")).all()
            replay = connection.scalar(sa.text("SELECT location FROM form_submissions"))
    finally:
        engine.dispose()
    assert re.fullmatch(r"secret-plans-[a-z2-9]{6}", slugs[0])
    assert slugs[1:] == ["public-post", "taken-down"]
    assert replay == f"/posts/{slugs[0]}", "a replayed form leads to the draft's new address"


def test_sqlite_migrations_keep_rows_and_refuse_to_commit_broken_references(
    tmp_path: Path,
) -> None:
    """Rebuilding ``users`` (a batch migration) must not cascade into posts, and a migration that
    would leave a dangling reference is rolled back whole (SQLite runs them with foreign keys off).
    """
    database = f"sqlite:///{tmp_path / 'references.db'}"
    assert run_flask(database, "db", "upgrade", "b8c09d4fdade").returncode == 0
    engine = sa.create_engine(database)
    insert_post = (
        "INSERT INTO posts (id, author_id, title, slug, body_markdown, body_html, excerpt, status,"
        " created_at, updated_at, published_at) VALUES (:id, :author, 't', :slug, 'b', 'b', 'b',"
        " 'published', '2026-01-01', '2026-01-01', '2026-01-01')"
    )
    try:
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO users (id, username, username_key, email, email_key,"
                    " password_hash, is_admin, is_active, created_at) VALUES (1, 'w', 'w',"
                    " 'w@example.com', 'w@example.com', 'x', false, true, '2026-01-01')"
                )
            )
            connection.execute(sa.text(insert_post), {"id": 1, "author": 1, "slug": "kept"})
        broken = tmp_path / "broken.db"
        broken.write_bytes((tmp_path / "references.db").read_bytes())
        assert run_flask(database, "db", "upgrade").returncode == 0
        with engine.connect() as connection:
            assert connection.scalars(sa.text("SELECT slug FROM posts")).all() == ["kept"]

        dangling = sa.create_engine(f"sqlite:///{broken}")
        with dangling.begin() as connection:  # foreign keys are off on a plain connection
            connection.execute(sa.text(insert_post), {"id": 2, "author": 99, "slug": "orphan"})
        refused = run_flask(f"sqlite:///{broken}", "db", "upgrade")
        assert refused.returncode != 0
        assert "broken references" in refused.stderr
        with dangling.connect() as connection:
            version = connection.scalar(sa.text("SELECT version_num FROM alembic_version"))
        dangling.dispose()
        assert version == "b8c09d4fdade", "nothing of the refused upgrade was committed"
    finally:
        engine.dispose()


def test_event_rows_get_the_names_of_their_accounts(empty_database: str) -> None:
    """Events from before the names were kept on the rows get them from the accounts."""
    assert run_flask(empty_database, "db", "upgrade", "3d7e9a1c5f20").returncode == 0
    engine = sa.create_engine(empty_database)
    try:
        with engine.begin() as connection:
            for name in ("boss", "member"):
                connection.execute(
                    sa.text(
                        "INSERT INTO users (username, username_key, username_skeleton, email, "
                        "email_key, password_hash, is_admin, is_active, created_at) VALUES "
                        "(:name, :name, :name, :email, :email, 'x', false, true, "
                        "CURRENT_TIMESTAMP)"
                    ),
                    {"name": name, "email": f"{name}@example.com"},
                )
            ids = dict(connection.execute(sa.text("SELECT username, id FROM users")).all())
            for user_id, actor_id in ((ids["member"], ids["boss"]), (None, None)):
                connection.execute(
                    sa.text(
                        "INSERT INTO security_events (type, user_id, actor_id, created_at) "
                        "VALUES ('user_deactivated', :user, :actor, CURRENT_TIMESTAMP)"
                    ),
                    {"user": user_id, "actor": actor_id},
                )
        upgrade = run_flask(empty_database, "db", "upgrade")
        assert upgrade.returncode == 0, upgrade.stderr
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT username, actor_username FROM security_events ORDER BY id")
            ).all()
    finally:
        engine.dispose()
    assert rows == [("member", "boss"), (None, None)]


def _insert_member_w(connection: sa.Connection) -> None:
    """Member 1, "w", as the schema stood at e2b7c4a9d105."""
    connection.execute(
        sa.text(
            "INSERT INTO users (id, username, username_key, username_skeleton, email, email_key,"
            " password_hash, is_admin, is_active, created_at) VALUES (1, 'w', 'w', 'w',"
            " 'w@example.com', 'w@example.com', 'x', false, true, '2026-01-01 00:00:00')"
        )
    )


def _insert_running_post(connection: sa.Connection) -> None:
    """Member "w" and post 1, "Notes" ("We were running late."), as the schema stands from
    7c2e5f0a9d31 (the search columns)."""
    _insert_member_w(connection)
    connection.execute(
        sa.text(
            "INSERT INTO posts (id, author_id, title, slug, body_markdown, body_html,"
            " excerpt, status, created_at, updated_at, published_at, search_title,"
            " search_body) VALUES (1, 1, 'Notes', 'notes', 'x', 'x', 'x', 'published',"
            " '2026-01-01 00:00:00', '2026-01-01 00:00:00', '2026-01-01 00:00:00',"
            " 'Notes', 'We were running late.')"
        )
    )


def test_existing_members_get_an_empty_profile_in_utc(empty_database: str) -> None:
    assert run_flask(empty_database, "db", "upgrade", "e2b7c4a9d105").returncode == 0
    engine = sa.create_engine(empty_database)
    try:
        with engine.begin() as connection:
            _insert_member_w(connection)
        upgrade = run_flask(empty_database, "db", "upgrade")
        assert upgrade.returncode == 0, upgrade.stderr
        with engine.connect() as connection:
            row = connection.execute(
                sa.text("SELECT display_name, bio, bio_html, website, time_zone FROM users")
            ).one()
    finally:
        engine.dispose()
    assert tuple(row) == (None, "", "", None, "UTC")


def test_images_in_existing_posts_load_lazily_and_send_no_referrer_elsewhere(
    empty_database: str,
) -> None:
    assert run_flask(empty_database, "db", "upgrade", "e2b7c4a9d105").returncode == 0
    engine = sa.create_engine(empty_database)
    bodies = [
        '<p><img src="https://example.com/a.png" alt="a"> <img src="/static/b.png" alt="b"></p>',
        "<p>No images, <code>&lt;img&gt;</code> in text.</p>",
    ]
    try:
        with engine.begin() as connection:
            _insert_member_w(connection)
            for number, body in enumerate(bodies, start=1):
                connection.execute(
                    sa.text(
                        "INSERT INTO posts (id, author_id, title, slug, body_markdown, body_html,"
                        " excerpt, status, created_at, updated_at) VALUES (:id, 1, 't', :slug,"
                        " 'b', :body, 'b', 'draft', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
                    ),
                    {"id": number, "slug": f"p{number}", "body": body},
                )
        assert run_flask(empty_database, "db", "upgrade").returncode == 0
        with engine.connect() as connection:
            html = connection.scalars(sa.text("SELECT body_html FROM posts ORDER BY id")).all()
    finally:
        engine.dispose()
    assert html == [
        '<p><img src="https://example.com/a.png" alt="a" loading="lazy" '
        'referrerpolicy="no-referrer"> <img src="/static/b.png" alt="b" loading="lazy"></p>',
        bodies[1],
    ]


def test_code_and_tables_in_existing_posts_become_keyboard_scrollable(
    empty_database: str,
) -> None:
    assert run_flask(empty_database, "db", "upgrade", "9c4d2b7e1f60").returncode == 0
    engine = sa.create_engine(empty_database)
    bodies = [
        "<pre><code>x = 1\n</code></pre>\n<table>\n<tr><td>1</td></tr>\n</table>\n",
        "<p>No code, <code>&lt;pre&gt;</code> in text.</p>",
    ]
    try:
        with engine.begin() as connection:
            _insert_member_w(connection)
            for number, body in enumerate(bodies, start=1):
                connection.execute(
                    sa.text(
                        "INSERT INTO posts (id, author_id, title, slug, body_markdown, body_html,"
                        " excerpt, status, created_at, updated_at) VALUES (:id, 1, 't', :slug,"
                        " 'b', :body, 'b', 'draft', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
                    ),
                    {"id": number, "slug": f"p{number}", "body": body},
                )
        upgrade = run_flask(empty_database, "db", "upgrade", "609bc5963e99")
        assert upgrade.returncode == 0, upgrade.stderr
        with engine.connect() as connection:
            html = connection.scalars(sa.text("SELECT body_html FROM posts ORDER BY id")).all()
        assert html == [
            '<pre tabindex="0" role="region" aria-label="Code"><code>x = 1\n</code></pre>\n'
            '<div class="table-scroll" tabindex="0" role="region" aria-label="Table"><table>\n'
            "<tr><td>1</td></tr>\n</table></div>\n",
            bodies[1],
        ]
        downgrade = run_flask(empty_database, "db", "downgrade", "9c4d2b7e1f60")
        assert downgrade.returncode == 0, downgrade.stderr
        with engine.connect() as connection:
            html = connection.scalars(sa.text("SELECT body_html FROM posts ORDER BY id")).all()
        assert html == bodies
    finally:
        engine.dispose()


def test_existing_tags_keep_their_addresses(empty_database: str, tmp_path: Path) -> None:
    """Tags stored normalized before tags kept their spelling: the name becomes display form,
    key and slug, so /tags/<name> still works and a new spelling of it joins the same tag."""
    assert run_flask(empty_database, "db", "upgrade", "e2b7c4a9d105").returncode == 0
    engine = sa.create_engine(empty_database)
    try:
        with engine.begin() as connection:
            _insert_member_w(connection)
            connection.execute(
                sa.text(
                    "INSERT INTO posts (id, author_id, title, slug, body_markdown, body_html,"
                    " excerpt, status, created_at, updated_at, published_at) VALUES (1, 1,"
                    " 'Old post', 'old-post', 'b', 'b', 'b', 'published', '2026-01-01 00:00:00',"
                    " '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
                )
            )
            for name in ("machine-learning", "c", "数据库"):  # ids from the sequence, as in life
                connection.execute(
                    sa.text("INSERT INTO tags (name) VALUES (:name)"), {"name": name}
                )
                connection.execute(
                    sa.text(
                        "INSERT INTO post_tags (post_id, tag_id)"
                        " SELECT 1, id FROM tags WHERE name = :name"
                    ),
                    {"name": name},
                )
        upgrade = run_flask(empty_database, "db", "upgrade")
        assert upgrade.returncode == 0, upgrade.stderr
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT name, name_key, slug FROM tags ORDER BY id")
            ).all()
    finally:
        engine.dispose()
    assert rows == [
        ("machine-learning", "machine-learning", "machine-learning"),
        ("c", "c", "c"),
        ("数据库", "数据库", "数据库"),
    ]
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": empty_database}, instance_path=str(tmp_path / "instance")
    )
    try:
        client = app.test_client()
        for address in ("/tags/machine-learning", "/tags/c", "/tags/%E6%95%B0%E6%8D%AE%E5%BA%93"):
            assert "Old post" in client.get(address).text, address
        with app.app_context():
            same = tags.tags_named(["Machine Learning", "C", "C++"])
            assert [(tag.name, tag.slug) for tag in same] == [
                ("machine-learning", "machine-learning"),
                ("c", "c"),
                ("C++", "c-plus-plus"),
            ]
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_existing_posts_get_reading_time_and_excerpts_by_the_new_rules(
    empty_database: str,
) -> None:
    """Posts saved before summaries: no summary, an excerpt of their first paragraph (the old
    rule glued the heading on), and their reading time; a downgrade keeps the search working."""
    assert run_flask(empty_database, "db", "upgrade", "609bc5963e99").returncode == 0
    engine = sa.create_engine(empty_database)
    bodies = [
        "<h2>Intro</h2>\n<p>Tea is a drink.</p>\n<p>More.</p>",
        "<pre><code>x = 1</code></pre>\n<ul>\n<li>one</li>\n<li>two</li>\n</ul>",
        "<p>" + " ".join(["word"] * 500) + "</p>",
        "<p>" + "字" * 900 + "</p>",
    ]
    try:
        with engine.begin() as connection:
            _insert_member_w(connection)
            for number, body in enumerate(bodies, start=1):
                connection.execute(
                    sa.text(
                        "INSERT INTO posts (id, author_id, title, slug, body_markdown, body_html,"
                        " excerpt, status, created_at, updated_at) VALUES (:id, 1, 'tea', :slug,"
                        " 'tea', :body, 'old', 'draft', '2026-01-01 00:00:00',"
                        " '2026-01-01 00:00:00')"
                    ),
                    {"id": number, "slug": f"p{number}", "body": body},
                )
        upgrade = run_flask(empty_database, "db", "upgrade")
        assert upgrade.returncode == 0, upgrade.stderr
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT summary, excerpt, reading_minutes FROM posts ORDER BY id")
            ).all()
        assert run_flask(empty_database, "db", "downgrade", "609bc5963e99").returncode == 0
        if engine.dialect.name == "sqlite":  # the columns went without rebuilding the table
            with engine.connect() as connection:
                triggers = connection.scalars(
                    sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
                ).all()
            assert {"posts_fts_insert", "posts_fts_update", "posts_fts_delete"} <= set(triggers)
    finally:
        engine.dispose()
    assert [tuple(row) for row in rows] == [
        (None, "Tea is a drink.", 1),
        (None, "one two", 1),
        (None, " ".join(["word"] * 56) + "…", 3),
        (None, "字" * 279 + "…", 3),
    ]


def test_existing_posts_become_searchable_by_stem_prefix_and_characters(
    empty_database: str, tmp_path: Path
) -> None:
    """Posts from before the search rework get their indexed text and are found by the new
    rules; a downgrade gives the old search back, working."""
    assert run_flask(empty_database, "db", "upgrade", "a5c93e1f7b28").returncode == 0
    engine = sa.create_engine(empty_database)
    posts = [
        ("Two databases", "<p>Running <code>&lt;b&gt;</code> replicas.</p>"),
        ("数据库入门", "<p>关系型数据库。</p>"),
    ]
    try:
        with engine.begin() as connection:
            _insert_member_w(connection)
            for number, (title, body) in enumerate(posts, start=1):
                connection.execute(
                    sa.text(
                        "INSERT INTO posts (id, author_id, title, slug, body_markdown, body_html,"
                        " excerpt, status, created_at, updated_at, published_at) VALUES (:id, 1,"
                        " :title, :slug, 'md', :body, 'x', 'published', '2026-01-01 00:00:00',"
                        " '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
                    ),
                    {"id": number, "title": title, "slug": f"p{number}", "body": body},
                )
        upgrade = run_flask(empty_database, "db", "upgrade")
        assert upgrade.returncode == 0, upgrade.stderr
        with engine.connect() as connection:
            indexed = connection.execute(
                sa.text("SELECT search_title, search_body FROM posts ORDER BY id")
            ).all()
        assert [tuple(row) for row in indexed] == [
            ("Two databases", "Running \x1eb> replicas."),
            ("\x1f数\x1f\x1f据\x1f\x1f库\x1f\x1f入\x1f\x1f门\x1f", "\x1f关\x1f\x1f系\x1f\x1f型\x1f"
             "\x1f数\x1f\x1f据\x1f\x1f库\x1f。"),
        ]  # fmt: skip
        app = create_app(
            {"SQLALCHEMY_DATABASE_URI": empty_database}, instance_path=str(tmp_path / "instance")
        )
        client = app.test_client()
        for query, title in [("database", "Two"), ("runn", "Two"), ("数据", "<mark>数据</mark>")]:
            assert title in client.get("/search", query_string={"q": query}).text, query
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        downgrade = run_flask(empty_database, "db", "downgrade", "a5c93e1f7b28")
        assert downgrade.returncode == 0, downgrade.stderr
        with engine.begin() as connection:
            if engine.dialect.name == "sqlite":
                found = connection.scalars(
                    sa.text("SELECT rowid FROM posts_fts WHERE posts_fts MATCH 'replicas'")
                ).all()
            else:
                found = connection.scalars(
                    sa.text("SELECT id FROM posts WHERE search_vector @@ 'replicas'::tsquery")
                ).all()
        assert found == []  # the old index read the Markdown, which says "md"
        with engine.begin() as connection:
            if engine.dialect.name == "sqlite":
                found = connection.scalars(
                    sa.text("SELECT rowid FROM posts_fts WHERE posts_fts MATCH 'md'")
                ).all()
            else:
                found = connection.scalars(
                    sa.text("SELECT id FROM posts WHERE search_vector @@ 'md'::tsquery")
                ).all()
        assert found == [1, 2]
    finally:
        engine.dispose()


def _buffers_to_match_every_post(connection: sa.Connection) -> int:
    """Buffers read to test each post's tsvectors: the heap pages, and TOAST's if out of line."""
    plan = connection.execute(
        sa.text(
            "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) SELECT count(*) FROM posts"
            " WHERE search_vector @@ 'x'::tsquery OR search_words @@ 'x'::tsquery"
        )
    ).scalar_one()
    return int(plan[0]["Plan"]["Shared Hit Blocks"] + plan[0]["Plan"]["Shared Read Blocks"])


@pytest.mark.only_on("postgresql")
def test_search_vectors_of_existing_posts_move_into_the_row(empty_database: str) -> None:
    """PostgreSQL: a post's tsvectors were moved to TOAST (about four more buffer reads for
    each post a search looked at); after 7c2e5f0a9d31 they are kept in the row, existing posts
    included."""
    assert run_flask(empty_database, "db", "upgrade", "1abec9e6faa8").returncode == 0
    engine = sa.create_engine(empty_database)
    # About 3 kB a row, like a real post: 70 words that do not compress.
    words = " ".join(f"w{number * 7919 % 100_003:x}{number:x}qz" for number in range(70))
    try:
        with engine.begin() as connection:
            _insert_member_w(connection)
            connection.execute(
                sa.text(
                    "INSERT INTO posts (id, author_id, title, slug, body_markdown, body_html,"
                    " excerpt, status, created_at, updated_at, published_at, search_title,"
                    " search_body) VALUES (1, 1, 'Long', 'long', :words, :words, 'x',"
                    " 'published', '2026-01-01 00:00:00', '2026-01-01 00:00:00',"
                    " '2026-01-01 00:00:00', 'Long', :words)"
                ),
                {"words": words},
            )
        with engine.connect() as connection:
            toasted = _buffers_to_match_every_post(connection)
        upgrade = run_flask(empty_database, "db", "upgrade")
        assert upgrade.returncode == 0, upgrade.stderr
        with engine.connect() as connection:
            inline = _buffers_to_match_every_post(connection)
            storage = connection.execute(
                sa.text(
                    "SELECT attname, attstorage FROM pg_attribute WHERE attrelid ="
                    " 'posts'::regclass AND attname IN ('search_vector', 'search_words')"
                    " ORDER BY attname"
                )
            ).all()
        assert [tuple(row) for row in storage] == [("search_vector", "m"), ("search_words", "m")]
        assert inline < toasted, (inline, toasted)
    finally:
        engine.dispose()


@pytest.mark.only_on("sqlite")
def test_sqlite_words_table_gets_prefix_indexes_and_keeps_its_posts(empty_database: str) -> None:
    """SQLite: ``posts_words`` is made again with prefix indexes (9e4b2d6c1a57) and still finds
    the posts it held; a downgrade makes it without them, still finding them."""
    assert run_flask(empty_database, "db", "upgrade", "7c2e5f0a9d31").returncode == 0
    engine = sa.create_engine(empty_database)
    definition = "SELECT sql FROM sqlite_master WHERE name = 'posts_words'"
    found = "SELECT rowid FROM posts_words WHERE posts_words MATCH 'runn*'"
    try:
        with engine.begin() as connection:
            _insert_running_post(connection)
        assert run_flask(empty_database, "db", "upgrade").returncode == 0
        with engine.connect() as connection:
            assert "prefix='3 4 5 6 7 8'" in connection.scalar(sa.text(definition))
            assert connection.scalars(sa.text(found)).all() == [1]
        assert run_flask(empty_database, "db", "downgrade", "7c2e5f0a9d31").returncode == 0
        with engine.connect() as connection:
            assert "prefix" not in connection.scalar(sa.text(definition))
            assert connection.scalars(sa.text(found)).all() == [1]
    finally:
        engine.dispose()


@pytest.mark.only_on("postgresql")
def test_one_gin_index_covers_both_search_vectors(empty_database: str) -> None:
    """PostgreSQL: c60496b51f85 replaces the two one-column GIN indexes with one over both
    columns, as ``create_all`` makes it, and a post is still found through it; a downgrade
    brings the two back."""
    assert run_flask(empty_database, "db", "upgrade", "d3f8a1c5e7b2").returncode == 0
    engine = sa.create_engine(empty_database)
    definitions = (
        "SELECT indexname, substring(indexdef from 'USING .*') FROM pg_indexes"
        " WHERE tablename = 'posts' AND indexname LIKE 'ix_posts_search%' ORDER BY indexname"
    )
    found = (
        "SELECT id FROM posts WHERE search_vector @@ to_tsquery('english', 'notes')"
        " AND search_words @@ to_tsquery('simple', 'runn:*')"
    )
    try:
        with engine.begin() as connection:
            _insert_running_post(connection)
        assert run_flask(empty_database, "db", "upgrade").returncode == 0
        with engine.begin() as connection:
            assert [tuple(row) for row in connection.execute(sa.text(definitions))] == [
                ("ix_posts_search", "USING gin (search_vector, search_words)")
            ]
            assert search.POSTGRES_DDL[-1].endswith("USING gin (search_vector, search_words)")
            connection.execute(sa.text("SET LOCAL enable_seqscan = off"))
            assert connection.scalars(sa.text(found)).all() == [1]
        assert run_flask(empty_database, "db", "downgrade", "d3f8a1c5e7b2").returncode == 0
        with engine.connect() as connection:
            assert [tuple(row) for row in connection.execute(sa.text(definitions))] == [
                ("ix_posts_search", "USING gin (search_vector)"),
                ("ix_posts_search_words", "USING gin (search_words)"),
            ]
    finally:
        engine.dispose()

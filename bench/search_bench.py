"""Search time at 1,000 and at 100,000 posts, on SQLite and PostgreSQL. Prints a table.

Posts are bulk-inserted (not through the posting service, which would take minutes): random
text over a vocabulary of made-up words with a few real ones at known rates, "database(s)" in
30 % of posts, "running" in 10 %, "gardening" in 0.2 %, "数据库" in 5 %. Each query is
``app.services.search.search`` as the search page calls it (the ranked page with its count,
the tags, the highlights), timed ``REPEAT`` times; the table shows the median at each size
and the ratio 100k / 1k (the target: at most 1.5 on SQLite, flat on PostgreSQL).

PostgreSQL: a fresh database on the server of BENCH_POSTGRES_URL or TEST_POSTGRES_URL if set,
else a throwaway cluster when the server binaries are installed, else SQLite only.
Environment: BENCH_SIZES (default "1000,100000"), BENCH_DATABASES (default "sqlite,postgresql").
"""

from __future__ import annotations

import contextlib
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from app import create_app
from app.extensions import db
from app.models import Post, User, utcnow
from app.services import posts, search
from bench.http_bench import postgres

SIZES = [int(n) for n in os.environ.get("BENCH_SIZES", "1000,100000").split(",")]
DATABASES = os.environ.get("BENCH_DATABASES", "sqlite,postgresql").split(",")
REPEAT = 15
QUERIES = [
    "database",
    "data",
    "runn",
    "gardening",
    "database replication",
    "数据",
    "kestrel",
]
# (words, share of posts): the real words the queries look for.
PLANTED = [
    ("database", 0.15),
    ("databases", 0.15),
    ("running", 0.10),
    ("replication", 0.05),
    ("gardening", 0.002),
    ("关系型数据库", 0.05),
]
SYLLABLES = ["ka", "lo", "mi", "ren", "tu", "sa", "vel", "ori", "pan", "dex", "qu", "bra"]
BATCH = 2_000


def _vocabulary(rng: random.Random) -> tuple[list[str], list[float]]:
    words = sorted({"".join(rng.choices(SYLLABLES, k=rng.randint(2, 4))) for _ in range(8_000)})
    rng.shuffle(words)
    return words, [1 / rank for rank in range(1, len(words) + 1)]  # Zipf-like


def _rows(start: int, count: int, author_id: int, rng: random.Random) -> Iterator[dict]:
    words, weights = _vocabulary(random.Random(1))
    now = utcnow()
    for number in range(start, start + count):
        title = " ".join(rng.choices(words, weights, k=3)).capitalize()
        text = rng.choices(words, weights, k=60)
        for word, share in PLANTED:
            if rng.random() < share:
                text.insert(rng.randrange(len(text)), word)
        body = " ".join(text) + "."
        when = now - timedelta(minutes=100_000 - number)
        yield {
            "author_id": author_id,
            "title": title,
            "slug": f"post-{number}",
            "body_markdown": body,
            "body_html": f"<p>{body}</p>",
            "excerpt": body[:280],
            "reading_minutes": 1,
            "status": "published",
            "created_at": when,
            "updated_at": when,
            "published_at": when,
            "search_title": search.spaced(title),
            "search_body": search.spaced(body),
        }


def _seed(start: int, count: int, author_id: int) -> None:
    rng = random.Random(start)
    table = Post.__table__
    rows = _rows(start, count, author_id, rng)
    while batch := [row for _, row in zip(range(BATCH), rows, strict=False)]:
        db.session.execute(table.insert(), batch)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("VACUUM ANALYZE posts"))


def _time(query: str) -> tuple[float, float, int, bool]:
    """The median and fastest seconds of one search for ``query``, with its count."""
    terms = search.search_terms(query)
    search.search(terms, posts.visible_to_public(), 1, 10)  # warm: compiled, pages cached
    db.session.remove()
    timings, found = [], None
    for _ in range(REPEAT):
        started = time.perf_counter()
        found = search.search(terms, posts.visible_to_public(), 1, 10)
        timings.append(time.perf_counter() - started)
        db.session.remove()
    assert found is not None
    return statistics.median(timings), min(timings), found.total, found.capped


@contextlib.contextmanager
def _database(kind: str, workdir: Path) -> Iterator[str | None]:
    if kind == "sqlite":
        yield f"sqlite:///{workdir / 'search.db'}"
        return
    given = os.environ.get("BENCH_POSTGRES_URL") or os.environ.get("TEST_POSTGRES_URL")
    with contextlib.ExitStack() as stack:
        server = sa.make_url(given) if given else None
        if server is None:
            started = stack.enter_context(postgres())
            if started is None:
                yield None
                return
            server = sa.make_url(f"{started}/postgres")
        name = f"inkwell_search_bench_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            yield server.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def measure(kind: str, workdir: Path) -> dict[str, list[tuple[float, float, int, bool]]] | None:
    with _database(kind, workdir) as url:
        if url is None:
            return None
        app = create_app(
            {"SQLALCHEMY_DATABASE_URI": url}, env="testing", instance_path=str(workdir)
        )
        results: dict[str, list[tuple[float, float, int, bool]]] = {query: [] for query in QUERIES}
        with app.app_context():
            db.create_all()
            author = User(
                username="bench",
                username_key="bench",
                username_skeleton="bench",
                email="bench@example.com",
                email_key="bench@example.com",
                password_hash="x",  # noqa: S106  (nobody signs in)
            )
            db.session.add(author)
            db.session.commit()
            seeded = 0
            for size in SIZES:
                started = time.perf_counter()
                _seed(seeded, size - seeded, author.id)
                seeded = size
                print(
                    f"  {kind}: {size:,} posts in {time.perf_counter() - started:.0f} s",
                    file=sys.stderr,
                )
                for query in QUERIES:
                    results[query].append(_time(query))
            db.session.remove()
            db.engine.dispose()
        return results


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="inkwell-search-bench-"))
    print(f"Search: ms per query over {REPEAT} runs, median (fastest), page 1 of 10 with count")
    print("(the fastest run shows the work itself on a busy machine)\n")
    sizes = " ".join(f"{f'{size:,} posts':>24}" for size in SIZES)
    print(f"{'database':<11} {'query':<21} {sizes} {'ratio':>13}")
    for kind in DATABASES:
        results = measure(kind, workdir)
        if results is None:
            print(f"{kind:<11} (not available)")
            continue
        for query, cells in results.items():
            shown = " ".join(
                f"{median * 1000:>6.1f} ({fastest * 1000:>5.1f}) {count_text:>6}"
                for median, fastest, count, capped in cells
                for count_text in [f"{count}+" if capped else str(count)]
            )
            ratios = f"{cells[-1][0] / cells[0][0]:.2f} ({cells[-1][1] / cells[0][1]:.2f})"
            print(f"{kind:<11} {query:<21} {shown} {ratios:>13}")
        medians = [
            statistics.median(cells[i][0] for cells in results.values()) for i in range(len(SIZES))
        ]
        fastest = [
            statistics.median(cells[i][1] for cells in results.values()) for i in range(len(SIZES))
        ]
        cells_text = " ".join(
            f"{m * 1000:>6.1f} ({f * 1000:>5.1f}) {'':>6}"
            for m, f in zip(medians, fastest, strict=True)
        )
        ratios = f"{medians[-1] / medians[0]:.2f} ({fastest[-1] / fastest[0]:.2f})"
        print(f"{kind:<11} {'median of the queries':<21} {cells_text} {ratios:>13}")


if __name__ == "__main__":
    main()

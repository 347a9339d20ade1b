"""Demo content for `flask seed`: members, Markdown posts with tags, and comments.

Bodies come from a pool rendered once, so seeding 100,000 posts stays quick; posts are inserted
in batches. Members get random passwords; nothing here ever uses a known password.

Repeatable: with ``rng_seed`` every piece of content (names, addresses, titles, bodies, tags,
slugs, who wrote what, comments and each post's age) comes from one ``random.Random``, so the
same seed on a fresh database gives the same site and a bug report can name it. Dates are that
many minutes before the moment of seeding, so the demo always looks recent. The passwords are
not content: they stay random (``secrets``), and are shown once with ``--show-passwords``.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import Comment, Post, PostStatus, Tag, User, utcnow
from app.services import accounts, posts, search
from app.services.markdown import make_excerpt, reading_minutes, render_markdown
from app.services.tags import tags_named

FIRST_NAMES = [
    "ada",
    "grace",
    "alan",
    "edsger",
    "barbara",
    "ken",
    "margaret",
    "linus",
    "guido",
    "radia",
    "donald",
    "frances",
    "tim",
    "hedy",
    "john",
    "katherine",
    "dennis",
    "sophie",
    "niklaus",
    "annie",
    "yukihiro",
    "lin",
    "amara",
    "zoë",
    "josé",
    "björn",
    "chloé",
]
TOPICS = [
    "python",
    "flask",
    "databases",
    "security",
    "design",
    "writing",
    "testing",
    "web",
    "performance",
    "postgresql",
    "sqlite",
    "css",
    "accessibility",
    "career",
    "notes",
]
SUBJECTS = [
    "A gentle guide to",
    "What I learned from",
    "Notes on",
    "Why we moved to",
    "The case for",
    "Ten small lessons about",
    "Rethinking",
    "A week with",
    "Debugging",
    "Field notes:",
    "On",
]
OBJECTS = [
    "connection pools",
    "server-rendered pages",
    "password hashing",
    "slow queries",
    "form validation",
    "remember-me cookies",
    "Markdown",
    "full-text search",
    "code review",
    "error pages",
    "pagination",
    "caching",
    "migrations",
    "type hints",
    "accessible forms",
    "rate limiting",
    "Unicode slugs",
    "feeds",
]
SENTENCES = [
    "Most of the work happened before a single line of code was written.",
    "It turned out the simplest version was also the fastest one.",
    "We measured first, and the numbers surprised everyone on the team.",
    "The database already knew how to do this; we only had to ask it properly.",
    "Every shortcut here eventually cost us a long afternoon.",
    "Readers rarely notice good defaults, which is exactly the point.",
    "A small test caught the bug that three reviews had missed.",
    "The second draft was half as long and twice as clear.",
    "There is a quiet pleasure in deleting code that nobody needs.",
    "Naming things well made the rest of the design obvious.",
]
COMMENTS = [
    "Thanks, this was exactly what I needed today.",
    "Great write-up! Have you tried measuring it under load?",
    "I disagree with the second point, but the rest is spot on.",
    "Bookmarked. The code sample alone was worth it.",
    "Could you expand on the migration part in a follow-up?",
    "We hit the same problem last year — wish I had read this then.",
]
BODY_POOL_SIZE = 40
BATCH = 500
_ALREADY_SEEDED = (
    "{what} is already on this database (seeded before with the same --seed?): "
    "seed a fresh database, or choose another --seed."
)


@dataclass
class SeedReport:
    members: list[tuple[str, str]]  # (username, password)
    posts: int
    comments: int


def _body(rng: random.Random) -> str:
    """A realistic Markdown post: headings, paragraphs, a list, a quote and a code block."""

    def paragraph() -> str:
        return " ".join(rng.sample(SENTENCES, 3))

    topic = rng.choice(OBJECTS)
    items = "\n".join(f"- {rng.choice(SENTENCES)}" for _ in range(3))
    return (
        f"{paragraph()}\n\n# Thinking about {topic}\n\n{paragraph()}\n\n{items}\n\n"
        f"> {rng.choice(SENTENCES)}\n\n# A small example\n\n"
        f'```python\ndef measure(items: list[int]) -> int:\n    """Sum what matters."""\n'
        f"    return sum(item for item in items if item > {rng.randint(1, 9)})\n```\n\n"
        f"{paragraph()} Read more in the [Flask docs](https://flask.palletsprojects.com/).\n"
    )


def _tags(names: list[str]) -> dict[str, Tag]:
    return dict(zip(names, tags_named(names), strict=True))


def seed(
    users: int,
    post_count: int,
    comment_count: int,
    *,
    rng_seed: int | None = None,
    progress: Callable[[Iterator[int]], Iterator[int]] = iter,
) -> SeedReport:
    """Create demo members, posts and comments; returns the members' one-time passwords."""
    rng = random.Random(rng_seed)  # noqa: S311  (demo content, not security)
    members: list[tuple[str, str]] = []
    authors: list[User] = []
    for _ in range(users):
        name = f"{rng.choice(FIRST_NAMES)}_{rng.getrandbits(24):06x}"
        password = secrets.token_urlsafe(12)  # not content: random whatever the seed
        try:
            authors.append(accounts.register_user(name, f"{name}@example.com", password))
        except accounts.AccountExists:
            raise ValueError(_ALREADY_SEEDED.format(what=f"A member named {name}")) from None
        members.append((name, password))
    if not authors:
        authors = list(
            db.session.scalars(sa.select(User).where(User.is_active).order_by(User.id).limit(50))
        )
    if post_count and not authors:
        raise ValueError("There are no members to write the posts: use --users.")

    bodies = []
    for _ in range(BODY_POOL_SIZE):
        markdown = _body(rng)
        html = render_markdown(markdown)
        _title, searched = search.search_document("", html)
        bodies.append((markdown, html, make_excerpt(html), reading_minutes(html), searched))
    tags = _tags(TOPICS)
    now = utcnow()
    run = f"{rng.getrandbits(16):04x}"  # in every slug: another seed's posts never collide
    published_ids: list[int] = []
    batch: list[Post] = []
    for index in progress(iter(range(post_count))):
        title = f"{rng.choice(SUBJECTS)} {rng.choice(OBJECTS)}"
        slug = f"{posts.slugify(title, 60)}-{run}-{index + 1}"
        if index == 0 and db.session.scalar(sa.select(Post.id).where(Post.slug == slug)):
            raise ValueError(_ALREADY_SEEDED.format(what=f"A post at /posts/{slug}"))
        markdown, html, excerpt, minutes, searched = rng.choice(bodies)
        when = now - timedelta(minutes=rng.randint(0, 60 * 24 * 730))
        status = PostStatus.DRAFT if rng.random() < 0.1 else PostStatus.PUBLISHED
        post = Post(
            author=rng.choice(authors),
            title=title,
            slug=slug,
            body_markdown=markdown,
            body_html=html,
            excerpt=excerpt,
            reading_minutes=minutes,
            search_title=search.spaced(title),
            search_body=searched,
            status=status,
            created_at=when,
            updated_at=when,
            published_at=when if status == PostStatus.PUBLISHED else None,
            tags=[tags[name] for name in rng.sample(TOPICS, rng.randint(1, 3))],
        )
        batch.append(post)
        if len(batch) >= BATCH:
            published_ids += _flush(batch)
    published_ids += _flush(batch)

    comments = 0
    if published_ids and authors:
        for _ in range(comment_count):
            db.session.add(
                Comment(
                    post_id=rng.choice(published_ids),
                    author=rng.choice(authors),
                    body=rng.choice(COMMENTS),
                )
            )
            comments += 1
            if comments % BATCH == 0:
                db.session.commit()
    db.session.commit()
    return SeedReport(members=members, posts=post_count, comments=comments)


def _flush(batch: list[Post]) -> list[int]:
    """Insert a batch; the ids are read after the flush, before commit expires the objects."""
    db.session.add_all(batch)
    db.session.flush()
    ids = [post.id for post in batch if post.status == PostStatus.PUBLISHED]
    db.session.commit()
    batch.clear()
    return ids

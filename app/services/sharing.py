"""What a post says about itself to other sites: schema.org ``BlogPosting`` JSON-LD.

The JSON goes inside ``<script type="application/ld+json">``, a data block that browsers never
run. It is escaped as Django's ``json_script`` does: ``<``, ``>`` and ``&`` become ``\\u003c``,
``\\u003e`` and ``\\u0026``, so no title (``</script>``, ``<!--``) can end the block early, and
``json.loads`` of the block's text gives the data back unchanged.
"""

from __future__ import annotations

import json
from typing import Any

from markupsafe import Markup

from app.models import Post
from app.urls import absolute_url

JSON_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}


def json_ld(data: dict[str, Any]) -> Markup:
    """``data`` as JSON that is safe to place inside a ``<script>`` element."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True).translate(JSON_ESCAPES)
    return Markup(text)  # noqa: S704  (every character that could end the element is escaped)


def _stamp(value: Any) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else None


def blog_posting(post: Post) -> Markup:
    """The post's ``BlogPosting``: headline, dates, author and address (author already joined)."""
    author = post.author
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "BlogPosting",
        "headline": post.title,
        "description": post.excerpt,
        "url": absolute_url("posts.show", slug=post.slug),
        "mainEntityOfPage": absolute_url("posts.show", slug=post.slug),
        "datePublished": _stamp(post.published_at),
        "dateModified": _stamp(post.last_changed),
        "author": {
            "@type": "Person",
            "name": author.name_shown,
            "url": absolute_url("main.profile", username=author.username),
        },
    }
    return json_ld({key: value for key, value in data.items() if value is not None})

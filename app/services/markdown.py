"""Markdown → sanitized HTML for post bodies, and plain-text excerpts of that HTML.

Pipeline: markdown-it-py (CommonMark, raw HTML disabled, plus ``table``, ``strikethrough`` and
``linkify``: bare ``http(s)://``, ``mailto:`` and ``www.`` addresses become links)
→ a core rule that shifts headings down one level (``#`` → ``<h2>``, ``######`` stays ``<h6>``)
and turns table alignment from ``style="text-align:…"`` into an ``align`` attribute
→ Pygments for fenced code with a known language → nh3 with a strict allow-list.

Fenced code renders as ``<pre><code class="language-xxx">`` with Pygments token ``<span
class="k">`` etc. inside and no extra wrapper class; the template puts the body inside
``<div class="post-body">``, so ``app/static/css/pygments.css`` (built by
``scripts/build_pygments_css.py``) scopes its token rules under ``.post-body pre``.
Nothing emitted here carries a ``style`` attribute, because the CSP forbids inline styles.

Images (``_image``): every ``<img>`` loads lazily; an image from another site (``https:``) is
fetched with ``referrerpolicy="no-referrer"``, so readers' visits are not reported to it; an
``http:`` image becomes a link to it (the CSP allows only ``'self'`` and ``https:`` images, and a
page served over https would not show it). An image of this site's library
(``/media/<name>.<ext>``, described by the ``images`` the caller passes) also gets its
``width``/``height`` (no layout shift) and a ``srcset`` of its narrower copies with ``sizes``.
Markdown without images renders exactly as before.

Scroll boxes (``_scroll_boxes``, after sanitising, so these attributes are ours and no author's):
every ``<pre>`` and every ``<table>`` (wrapped in ``<div class="table-scroll">``) is a labelled
region that takes focus (``tabindex="0" role="region" aria-label="Code"`` / ``"Table"``), so a
keyboard can scroll a long line or a wide table inside its own box; the page never scrolls
sideways. Bodies are rendered on save: ``flask posts rerender`` brings stored ones up to date.

Comments are plain text: ``linkify_text`` escapes them and links the same bare addresses.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from html import escape, unescape
from html.parser import HTMLParser
from typing import Any, Final
from urllib.parse import unquote

import nh3
from linkify_it import LinkifyIt
from linkify_it.main import Match
from markdown_it import MarkdownIt
from markdown_it.common.normalize_url import normalizeLink
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import OptionsDict
from markupsafe import Markup
from markupsafe import escape as escape_markup
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.token import STANDARD_TYPES
from pygments.util import ClassNotFound

__all__ = [
    "LocalImage",
    "linkify_text",
    "make_excerpt",
    "reading_minutes",
    "render_bio",
    "render_markdown",
    "shorten",
]

ELLIPSIS: Final = "…"
_ALIGN_STYLE = re.compile(r"text-align:\s*(left|center|right)\s*;?", re.IGNORECASE)
_LANGUAGE_CLASS = re.compile(r"language-[A-Za-z0-9_+#.-]{1,64}")
_TOKEN_CLASSES: Final = frozenset(cls for cls in STANDARD_TYPES.values() if cls)
# Pygments names a non-standard token subtype "<parent class>-<Suffix>", e.g. "c-Something".
_DERIVED_TOKEN_CLASS = re.compile(r"([a-z0-9]+)(?:-[A-Za-z0-9]+)+")
_FORMATTER: Final = HtmlFormatter(nowrap=True)
_WHITESPACE = re.compile(r"\s+")
# Second line of defence behind markdown-it's validateLink and nh3's url_schemes: a relative
# href such as "jav%09ascript:x" is harmless to browsers, but nobody needs it either.
_INVISIBLE = re.compile(r"[\x00-\x20\x7f-\x9f\s\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]+")
_SCRIPT_SCHEMES: Final = ("javascript:", "vbscript:", "data:", "file:")


@lru_cache(maxsize=256)
def _lexer_for(language: str) -> Lexer | None:
    """Return the Pygments lexer for a fence's language name, or None when unknown."""
    try:
        return get_lexer_by_name(language, stripnl=False)
    except (ClassNotFound, ValueError):
        return None


def _highlight(code: str, language: str, _attrs: str) -> str:
    """Return class-only Pygments markup for a fence, or "" so markdown-it escapes it plainly."""
    if not language:
        return ""
    lexer = _lexer_for(language.lower())
    if lexer is None:
        return ""
    try:
        return highlight(code, lexer, _FORMATTER)
    except Exception:  # a buggy lexer must not break a post; fall back to plain code
        return ""


def _post_process(state: StateCore) -> None:
    """Shift headings down one level and move table alignment from style to align."""
    for token in state.tokens:
        if token.type in ("heading_open", "heading_close"):
            level = min(int(token.tag[1]) + 1, 6)
            token.tag = f"h{level}"
        elif token.type in ("th_open", "td_open"):
            style = token.attrs.pop("style", None)
            match = _ALIGN_STYLE.fullmatch(str(style)) if style is not None else None
            if match:
                token.attrs["align"] = match.group(1).lower()


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    """Drop disguised script URLs; keep only language-* classes on code, token classes on span."""
    if attribute in ("href", "src"):
        return None if _is_disguised_script_url(value) else value
    if attribute in ("width", "height"):
        return value if value.isascii() and value.isdigit() and len(value) <= 5 else None
    if attribute == "srcset":
        parts = value.split(", ")
        return value if all(_SRCSET.fullmatch(part) for part in parts) else None
    if attribute == "sizes":
        return value if value == IMAGE_SIZES else None
    if attribute != "class":
        return value
    if tag == "code":
        kept = [c for c in value.split() if _LANGUAGE_CLASS.fullmatch(c)]
    elif tag == "span":
        kept = [c for c in value.split() if _is_token_class(c)]
    else:
        return None
    return " ".join(kept) or None


def _is_disguised_script_url(url: str) -> bool:
    """Return whether a URL spells a script-capable scheme once decoded and squashed."""
    squashed = _INVISIBLE.sub("", unquote(unescape(url))).lower()
    return squashed.startswith(_SCRIPT_SCHEMES)


def _is_token_class(name: str) -> bool:
    """Return whether a class name is one Pygments' HtmlFormatter emits for a token."""
    if name in _TOKEN_CLASSES:
        return True
    match = _DERIVED_TOKEN_CLASS.fullmatch(name)
    return match is not None and match.group(1) in _TOKEN_CLASSES


@dataclass(frozen=True)
class LocalImage:
    """An image of this site's library as a post shows it: its size and narrower copies."""

    filename: str  # "<name>.<ext>"
    width: int
    height: int
    variant_widths: tuple[int, ...]

    def url(self, width: int | None = None) -> str:
        name, ext = self.filename.split(".")
        return f"/media/{name}-{width}.{ext}" if width else f"/media/{self.filename}"


# How wide an image in a post is drawn: the text column (``--measure`` in inkwell.css) at most.
IMAGE_SIZES: Final = "(max-width: 42rem) 100vw, 42rem"
_LOCAL_IMAGE = re.compile(r"/media/([0-9a-f]{32}\.(?:jpg|png|webp))")
_SRCSET = re.compile(r"/media/[0-9a-f]{32}(?:-[0-9]{1,4})?\.(?:jpg|png|webp) [0-9]{1,4}w")


def _image_as_link(
    renderer: RendererHTML, tokens: list[Token], idx: int, options: OptionsDict, env: Any
) -> str:
    src = str(tokens[idx].attrGet("src") or "")
    alt = renderer.renderInlineAsText(tokens[idx].children or [], options, env)
    link = Token("link_open", "a", 1, attrs={"href": src})
    return renderer.renderToken([link], 0, options, env) + escape(alt or src) + "</a>"


def _image(
    renderer: RendererHTML, tokens: list[Token], idx: int, options: OptionsDict, env: Any
) -> str:
    """An ``<img>`` as the module docstring says; an ``http:`` image as a link to it."""
    token = tokens[idx]
    alt = renderer.renderInlineAsText(token.children or [], options, env)
    src = str(token.attrGet("src") or "")
    if src.lower().startswith("http:"):
        return _image_as_link(renderer, tokens, idx, options, env)
    token.attrSet("alt", alt)
    token.attrSet("loading", "lazy")
    if src.lower().startswith(("https:", "//")):
        token.attrSet("referrerpolicy", "no-referrer")
    local = _LOCAL_IMAGE.fullmatch(src)
    image = env.get("images", {}).get(local.group(1)) if local else None
    if isinstance(image, LocalImage):
        token.attrSet("width", str(image.width))
        token.attrSet("height", str(image.height))
        if image.variant_widths:
            sources = [f"{image.url(w)} {w}w" for w in image.variant_widths]
            token.attrSet("srcset", ", ".join([*sources, f"{image.url()} {image.width}w"]))
            token.attrSet("sizes", IMAGE_SIZES)
    return renderer.renderToken(tokens, idx, options, env)


class _BareAddresses(LinkifyIt):
    """The bare addresses that become links: http(s):// and mailto: ones, and www. hosts.

    Other schemes (ftp:, //) are left alone, and so are names without "www." that merely end
    in a country code ("app.py", "README.md"), which linkify-it would otherwise link.
    """

    def __init__(self) -> None:
        super().__init__(options={"fuzzy_link": True, "fuzzy_email": False, "fuzzy_ip": False})
        self.add("ftp:", None)
        self.add("//", None)

    def match(self, text: str) -> list[Match] | None:
        """linkify-it's matches, less the fuzzy ones that do not start with "www."."""
        found = super().match(text) or []
        return [m for m in found if m.schema or m.raw.lower().startswith("www.")]


_LINKIFY: Final = _BareAddresses()
_MD: Final = MarkdownIt(
    "commonmark", {"html": False, "highlight": _highlight, "linkify": True}
).enable(["table", "strikethrough", "linkify"])
_MD.linkify = _LINKIFY
_MD.core.ruler.push("inkwell_post_process", _post_process)
_MD.add_render_rule("image", _image)

_ALIGN_VALUES: Final = {"left", "center", "right"}
ALLOWED_TAGS: Final = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "s",
    "blockquote", "ul", "ol", "li", "code", "pre", "a", "img",
    "table", "thead", "tbody", "tr", "th", "td", "span",
}  # fmt: skip
ALLOWED_ATTRIBUTES: Final = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height", "srcset", "sizes"},
    "ol": {"start"},
    "code": {"class"},
    "span": {"class"},
}
ALLOWED_ATTRIBUTE_VALUES: Final = {
    "img": {"loading": {"lazy"}, "referrerpolicy": {"no-referrer"}},
    "th": {"align": _ALIGN_VALUES},
    "td": {"align": _ALIGN_VALUES},
}
ALLOWED_URL_SCHEMES: Final = {"http", "https", "mailto"}
LINK_REL: Final = "nofollow noopener"
_CLEANER: Final = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    clean_content_tags={"script", "style"},
    attributes=ALLOWED_ATTRIBUTES,
    attribute_filter=_filter_attribute,
    strip_comments=True,
    link_rel=LINK_REL,
    tag_attribute_values=ALLOWED_ATTRIBUTE_VALUES,
    url_schemes=ALLOWED_URL_SCHEMES,
)


# nh3 writes these tags bare (no attribute of theirs is allowed), and an author's "<pre>" text
# comes out as "&lt;pre&gt;", so plain replacement finds exactly the elements it means.
CODE_BOX: Final = '<pre tabindex="0" role="region" aria-label="Code">'
TABLE_BOX: Final = '<div class="table-scroll" tabindex="0" role="region" aria-label="Table"><table>'


def _scroll_boxes(html: str) -> str:
    """Make sanitized code blocks and tables keyboard-scrollable regions (module docstring)."""
    html = html.replace("<pre>", CODE_BOX)
    return html.replace("<table>", TABLE_BOX).replace("</table>", "</table></div>")


def render_markdown(source: str, images: Mapping[str, LocalImage] | None = None) -> str:
    """Render untrusted Markdown to sanitized, CSP-safe HTML.

    ``images`` describes the library images (by ``<name>.<ext>``) the source may show.
    """
    return _scroll_boxes(_CLEANER.clean(_MD.render(source, {"images": dict(images or {})})))


# A member's bio is a few lines under their name: emphasis, links, lists and quotes, but no
# headings (a "#" line stays text, so a bio never outranks the profile's own headings), images
# (the avatar is the profile's picture; an image becomes a link to it, named by its alt text)
# or code blocks. The same sanitizer as posts.
_BIO_MD: Final = (
    MarkdownIt("commonmark", {"html": False, "linkify": True})
    .enable(["strikethrough", "linkify"])
    .disable(["heading", "lheading", "fence", "code"])
)
_BIO_MD.linkify = _LINKIFY


_BIO_MD.add_render_rule("image", _image_as_link)


def render_bio(source: str) -> str:
    """Render a member's untrusted bio Markdown to sanitized, CSP-safe HTML."""
    return _CLEANER.clean(_BIO_MD.render(source))


COMMENT_LINK_REL: Final = "nofollow ugc noopener"
_LINKED_SCHEMES: Final = ("http://", "https://", "mailto:")


def linkify_text(text: str) -> Markup:
    """Plain text as HTML: escaped, with its bare addresses as links (``rel`` nofollow ugc).

    Only http, https and mailto links are made; trailing punctuation stays outside the link.
    """
    parts: list[str] = []
    start = 0
    for found in _LINKIFY.match(text) or []:
        href = normalizeLink(found.url)
        if not href.lower().startswith(_LINKED_SCHEMES) or _is_disguised_script_url(href):
            continue
        parts.append(escape_markup(text[start : found.index]))
        parts.append(
            Markup('<a href="{}" rel="{}">{}</a>').format(href, COMMENT_LINK_REL, found.text)
        )
        start = found.last_index
    parts.append(escape_markup(text[start:]))
    return Markup("").join(parts)


# Excerpts and reading time ----------------------------------------------------------------
#
# Both read the stored HTML as its top-level blocks (a paragraph, a list, a quote, a heading, a
# code block…). The excerpt is the first paragraph of prose: headings, code blocks, rules and
# images are skipped (an image's alt text is not prose), and a post with no paragraph at all
# falls back to its first list, quote or table. It is cut at a word boundary, or between two
# characters in scripts written without spaces (Chinese, Japanese), with "…" inside the limit.
# ``migrations/versions/4d8e2f6a1c37_post_summary_and_reading_time.py`` holds a frozen copy of
# these rules for the posts saved before them: change it there only with a new migration.

_NESTED_BLOCK_TAGS: Final = frozenset(
    {"p", "br", "li", "blockquote", "ul", "ol", "tr", "th", "td", "pre", "h1", "h2", "h3", "h4",
     "h5", "h6", "table", "thead", "tbody", "div"}
)  # fmt: skip
_VOID_TAGS: Final = frozenset({"br", "hr", "img", "wbr"})
_SKIPPED_TAGS: Final = frozenset({"script", "style", "template"})
_NOT_PROSE: Final = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "pre", "hr"})
# Words a minute for text written with spaces, characters a minute for Chinese and Japanese.
WORDS_PER_MINUTE: Final = 225
CJK_CHARACTERS_PER_MINUTE: Final = 400
# Han ideographs, kana, CJK punctuation and full-width forms: text that breaks between any two
# characters. Hangul is not among them (Korean puts spaces between words).
_CJK = re.compile(
    "[\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u31f0-\u31ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef\U00020000-\U0003ffff]"
)
# Left out before the ellipsis: spaces, commas, colons, semicolons and dashes, CJK ones too.
_TRAILING_PUNCTUATION: Final = " ,;:-\u2013\u2014\u3001\uff0c\uff1b\uff1a"


@dataclass
class _Block:
    """A top-level element of a post's HTML and its text."""

    tag: str
    parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return _WHITESPACE.sub(" ", "".join(self.parts)).strip()


class _BlockReader(HTMLParser):
    """Split an HTML fragment into its top-level blocks, with a space at every inner boundary."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[_Block] = []
        self._depth = 0
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Open a block at the top level, note a boundary inside one, or enter skipped text."""
        if tag in _SKIPPED_TAGS:
            self._skipping += 1
            return
        if self._depth == 0:
            self.blocks.append(_Block(tag))
        elif tag in _NESTED_BLOCK_TAGS:
            self.blocks[-1].parts.append(" ")
        if tag not in _VOID_TAGS:
            self._depth += 1

    def handle_endtag(self, tag: str) -> None:
        """Close an element, or leave skipped text."""
        if tag in _SKIPPED_TAGS:
            self._skipping = max(self._skipping - 1, 0)
            return
        if tag in _VOID_TAGS:
            return
        self._depth = max(self._depth - 1, 0)
        if self._depth and tag in _NESTED_BLOCK_TAGS:
            self.blocks[-1].parts.append(" ")

    def handle_data(self, data: str) -> None:
        """Keep text outside skipped elements; loose text at the top level is a paragraph."""
        if self._skipping:
            return
        if self._depth == 0:
            if not data.strip():
                return
            self.blocks.append(_Block("p"))
        self.blocks[-1].parts.append(data)


def _blocks(html: str) -> list[_Block]:
    reader = _BlockReader()
    reader.feed(html)
    reader.close()
    return reader.blocks


def _first_prose(blocks: list[_Block]) -> str:
    """The first paragraph's text; without one, the first list, quote or table's."""
    texts = [(block.tag, block.text) for block in blocks if block.tag not in _NOT_PROSE]
    paragraph = next((text for tag, text in texts if tag == "p" and text), None)
    return paragraph or next((text for _tag, text in texts if text), "")


def _breaks_before(text: str, index: int) -> bool:
    """Whether a line may break before ``text[index]``: at a space, or beside CJK text."""
    before, after = text[index - 1], text[index]
    if unicodedata.combining(after):
        return False
    return (
        before.isspace() or after.isspace() or bool(_CJK.match(before)) or bool(_CJK.match(after))
    )


def shorten(text: str, limit: int) -> str:
    """``text`` as it is if it fits ``limit`` characters, else cut at the last break that
    leaves room for "…" (a word boundary, or between CJK characters), with "…" added.

    A single word longer than the room is cut inside it: there is no other place.
    """
    if len(text) <= limit:
        return text
    if limit <= len(ELLIPSIS):
        return ELLIPSIS[: max(limit, 0)]
    room = limit - len(ELLIPSIS)
    cut = next((i for i in range(room, 0, -1) if _breaks_before(text, i)), room)
    return text[:cut].rstrip(_TRAILING_PUNCTUATION) + ELLIPSIS


def make_excerpt(html: str, limit: int = 280) -> str:
    """The first paragraph of prose of a post's HTML as plain text, shortened to ``limit``."""
    return shorten(_first_prose(_blocks(html)), limit)


def plain_text(html: str) -> str:
    """All the text of a post's HTML (code included), its blocks apart by a space."""
    return " ".join(block.text for block in _blocks(html))


def reading_minutes(html: str) -> int:
    """Minutes to read a post's HTML (all of its text, code included), rounded up, at least 1.

    Words count at ``WORDS_PER_MINUTE``; Chinese and Japanese characters, written without
    spaces, at ``CJK_CHARACTERS_PER_MINUTE`` each.
    """
    text = " ".join(block.text for block in _blocks(html))
    characters = len(_CJK.findall(text))
    words = len(_CJK.sub(" ", text).split())
    per_both = WORDS_PER_MINUTE * CJK_CHARACTERS_PER_MINUTE
    minutes = -(-(words * CJK_CHARACTERS_PER_MINUTE + characters * WORDS_PER_MINUTE) // per_both)
    return max(minutes, 1)

"""Markdown rendering: an XSS corpus that must come out inert, plus what should render."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser
from urllib.parse import unquote

import pytest

from app.services.markdown import (
    _CLEANER,
    CODE_BOX,
    TABLE_BOX,
    LocalImage,
    make_excerpt,
    reading_minutes,
    render_markdown,
)

XSS_PAYLOADS: list[tuple[str, str]] = [
    ("script-tag", "<script>alert(1)</script>"),
    ("script-mixed-case", "<ScRiPt src=//evil.example/x.js></sCrIpT>"),
    ("script-in-paragraph", "hello <script>alert(document.cookie)</script> world"),
    ("img-onerror", '<img src="x" onerror="alert(1)">'),
    ("img-onerror-unquoted", "<img src=x onerror=alert(1)//>"),
    ("svg-onload", "<svg onload=alert(1)><circle r=1 /></svg>"),
    ("iframe", '<iframe src="javascript:alert(1)"></iframe>'),
    ("iframe-srcdoc", '<iframe srcdoc="<script>alert(1)</script>"></iframe>'),
    ("object", '<object data="javascript:alert(1)"></object>'),
    ("embed", '<embed src="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">'),
    ("style-tag", "<style>body { background: url(javascript:alert(1)) }</style>"),
    ("style-attribute", '<p style="color:red">styled</p>'),
    ("link-javascript", "[x](javascript:alert(1))"),
    ("link-javascript-mixed-case", "[x](JaVaScRiPt:alert(1))"),
    ("link-javascript-tab-entity", "[x](jav&#x09;ascript:alert(1))"),
    ("link-javascript-colon-entity", "[x](javascript&#58;alert(1))"),
    ("link-javascript-newline", "[x](<java\nscript:alert(1)>)"),
    ("link-javascript-percent-newline", "[x](java%0ascript:alert(1))"),
    ("link-javascript-leading-space", "[x](%20javascript:alert(1))"),
    ("link-javascript-angle", "[x](<javascript:alert(1)>)"),
    ("autolink-javascript", "<javascript:alert(1)>"),
    ("autolink-javascript-mixed-case", "<JaVaScRiPt:alert(1)>"),
    ("reference-javascript", "[x][r]\n\n[r]: JaVaScRiPt:alert(1)"),
    ("reference-javascript-entity", '[x][r]\n\n[r]: jav&#x61;script:alert(1) "t"'),
    ("link-vbscript", "[x](vbscript:msgbox(1))"),
    ("link-vbscript-upper", "[x](VBScript:msgbox(1))"),
    ("link-data-html", "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)"),
    ("link-data-image", "[x](data:image/png;base64,iVBORw0KGgo=)"),
    ("image-javascript", "![x](javascript:alert(1))"),
    ("image-data", "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)"),
    ("image-vbscript", "![x](vbscript:msgbox(1))"),
    ("html-comment", "<!-- <script>alert(1)</script> -->"),
    ("conditional-comment", "<!--[if IE]><script>alert(1)</script><![endif]-->"),
    ("anchor-onclick", '<a href="https://example.com" onclick="alert(1)">x</a>'),
    ("anchor-javascript", '<a href="javascript:alert(1)">x</a>'),
    ("title-quote-injection", '[x](https://example.com "a\\" onmouseover=\\"alert(1)")'),
    ("title-single-quote-injection", "[x](https://example.com 'a\\' onmouseover=alert(1) x=\\'')"),
    ("image-alt-injection", '![a" onerror="alert(1)](https://example.com/i.png)'),
    ("fence-info-injection", '```"><script>alert(1)</script>\ncode\n```'),
    ("fence-info-onclick", '```python" onclick="alert(1)\ncode\n```'),
    ("inline-html-in-table", "| a |\n|---|\n| <img src=x onerror=alert(1)> |"),
    ("form-and-input", '<form action="javascript:alert(1)"><input onfocus=alert(1) autofocus>'),
    ("meta-refresh", '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">'),
    ("base-href", '<base href="javascript:alert(1)//">'),
    ("math-mglyph", "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>"),
    ("nul-bytes", "[x](java\x00script:alert(1)) <scr\x00ipt>alert(1)</script>\x00"),
    ("rtl-override", "[\u202eegnahc](https://example.com/\u202egnp.exe) \u202e<script>x</script>"),
    ("template-literals", "{{7*7}} {% raw %}{{ config }}{% endraw %} ${7*7}"),
]

_INVISIBLE = re.compile(r"[\x00-\x20\x7f-\x9f\s\u200b-\u200f\u202a-\u202e\ufeff]+")
_BAD_SCHEMES = ("javascript:", "data:", "vbscript:")
_ACTIVE_TAGS = {"script", "style", "iframe", "object", "embed", "svg", "math", "form", "input"}
_SERIALIZED_TAG = re.compile(r'<[a-zA-Z][^\s/>]*(?:\s+[^\s=/>]+(?:="[^"]*")?)*\s*/?>')
_QUOTED_VALUE = re.compile(r'="[^"]*"')
_ACTIVE_TAGS |= {"meta", "base", "link", "frame", "frameset", "template", "noscript"}


class _TagCollector(HTMLParser):
    """Collect every real start tag and its attributes, as a browser would parse them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.comments: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)


def _assert_inert(html: str) -> None:
    """Assert that sanitized HTML can run no script and carries no inline style."""
    lowered = html.lower()
    assert "<script" not in lowered
    assert "<!--" not in html
    collector = _TagCollector()
    collector.feed(html)
    collector.close()
    assert not collector.comments
    for tag, attrs in collector.tags:
        assert tag not in _ACTIVE_TAGS, tag
        for name, value in attrs:
            assert not re.fullmatch(r"on\w+", name), (tag, name)
            assert name != "style", tag
            if name in ("href", "src", "action", "formaction", "data", "srcset"):
                decoded = _INVISIBLE.sub("", unquote(unescape(value or ""))).lower()
                assert not decoded.startswith(_BAD_SCHEMES), (tag, name, value)
    # Belt and braces, independent of HTMLParser: attribute names of every serialized tag.
    for tag in _SERIALIZED_TAG.finditer(html):
        names = re.findall(r"\s([^\s=/>]+)", _QUOTED_VALUE.sub("", tag.group(0)))
        assert not [n for n in names if n.lower() == "style" or n.lower().startswith("on")], tag


@pytest.mark.parametrize(
    "payload", [payload for _name, payload in XSS_PAYLOADS], ids=[n for n, _ in XSS_PAYLOADS]
)
def test_xss_payload_is_inert(payload: str) -> None:
    _assert_inert(render_markdown(payload))


@pytest.mark.parametrize(
    "html",
    [
        "<script>x</script>",
        '<img src="x" onerror="alert(1)">',
        '<a href="JaVa&#x09;Script:alert(1)">x</a>',
        '<a href="java%0ascript:alert(1)">x</a>',
        '<img src="data:image/png;base64,AAAA">',
        '<a href="vbscript:x">x</a>',
        '<p style="color:red">x</p>',
        "<p><!-- hidden --></p>",
        "<svg><circle /></svg>",
    ],
)
def test_inertness_check_catches_live_markup(html: str) -> None:
    with pytest.raises(AssertionError):
        _assert_inert(html)


def test_corpus_is_big_enough() -> None:
    assert len(XSS_PAYLOADS) >= 25
    assert len({name for name, _payload in XSS_PAYLOADS}) == len(XSS_PAYLOADS)


@pytest.mark.parametrize(
    "payload",
    [
        "<script>alert(1)</script>",
        '<img src="x" onerror="alert(1)">',
        "<b>bold</b>",
        "<!-- comment -->",
    ],
)
def test_raw_html_comes_out_as_escaped_text(payload: str) -> None:
    html = render_markdown(payload)
    assert "&lt;" in html
    assert unescape(re.sub(r"<[^>]+>", "", html)).strip() == payload


def test_template_syntax_stays_literal() -> None:
    html = render_markdown("{{7*7}} and {% raw %} and `{{ config }}`")
    assert "{{7*7}}" in html
    assert "{% raw %}" in html
    assert "<code>{{ config }}</code>" in html
    assert "49" not in html


def test_nul_bytes_are_replaced() -> None:
    html = render_markdown("a\x00b")
    assert "\x00" not in html
    assert "a\ufffdb" in html


def test_disguised_link_keeps_its_text_but_loses_its_href() -> None:
    html = render_markdown("[click](jav&#x09;ascript:alert(1))")
    assert ">click</a>" in html
    assert "href" not in html


@pytest.mark.parametrize(
    "source",
    [
        "x" * 100_000,
        "[" * 100_000,
        ">" * 100_000,
        "*a" * 50_000,
        "<" * 100_000,
        "- " * 50_000,
        "```python\n" + "x = (" * 20_000,
        "| a |\n|---|\n" + "| b |\n" * 15_000,
    ],
    ids=["plain", "brackets", "quotes", "emphasis", "angles", "list", "code", "table"],
)
def test_very_long_input_renders(source: str) -> None:
    html = render_markdown(source)
    assert isinstance(html, str)
    _assert_inert(html)


# --- what should render ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("# A", "<h2>A</h2>"),
        ("## B", "<h3>B</h3>"),
        ("### C", "<h4>C</h4>"),
        ("#### D", "<h5>D</h5>"),
        ("##### E", "<h6>E</h6>"),
        ("###### F", "<h6>F</h6>"),
        ("Setext\n======", "<h2>Setext</h2>"),
        ("Setext\n------", "<h3>Setext</h3>"),
    ],
)
def test_headings_shift_down_one_level(source: str, expected: str) -> None:
    html = render_markdown(source)
    assert html.strip() == expected
    assert "<h1" not in html


def test_lists() -> None:
    html = render_markdown("- one\n- two\n\n3. three\n4. four")
    assert "<ul>\n<li>one</li>\n<li>two</li>\n</ul>" in html
    assert '<ol start="3">\n<li>three</li>\n<li>four</li>\n</ol>' in html


def test_emphasis_strong_and_strikethrough() -> None:
    html = render_markdown("*em* **strong** ~~gone~~")
    assert html.strip() == "<p><em>em</em> <strong>strong</strong> <s>gone</s></p>"


def test_blockquote_rule_and_inline_code() -> None:
    html = render_markdown("> quoted `a < b`\n\n---")
    assert "<blockquote>\n<p>quoted <code>a &lt; b</code></p>\n</blockquote>" in html
    assert "<hr>" in html


@pytest.mark.parametrize(
    "source",
    [
        "[link](https://example.com)",
        "<https://example.com>",
        "[link][r]\n\n[r]: https://example.com",
    ],
    ids=["inline", "autolink", "reference"],
)
def test_links_get_nofollow_noopener(source: str) -> None:
    html = render_markdown(source)
    assert '<a href="https://example.com" rel="nofollow noopener">' in html


def test_link_title_relative_and_mailto_urls_are_kept() -> None:
    html = render_markdown('[a](/posts/x "The title") [b](mailto:me@example.com)')
    assert '<a href="/posts/x" title="The title" rel="nofollow noopener">a</a>' in html
    assert '<a href="mailto:me@example.com" rel="nofollow noopener">b</a>' in html


def test_images_keep_src_alt_and_title_and_load_lazily() -> None:
    html = render_markdown('![A cat](/static/cat.png "Cat")')
    assert '<img src="/static/cat.png" alt="A cat" title="Cat" loading="lazy">' in html


RICH_WITHOUT_IMAGES = (
    "# Title\n\nSome **bold** [link](https://example.com) and `code`, <b>raw</b>.\n\n"
    "```python\nprint(1)\n```\n\n| a | b |\n|:-|-:|\n| 1 | 2 |\n\n> quote\n\n1. one\n2. two\n"
)
# What the renderer made before images were handled (the commit before the media library),
# plus the scroll boxes around code and tables.
RICH_WITHOUT_IMAGES_HTML = (
    '<h2>Title</h2>\n<p>Some <strong>bold</strong> <a href="https://example.com" '
    'rel="nofollow noopener">link</a> and <code>code</code>, &lt;b&gt;raw&lt;/b&gt;.</p>\n'
    f'{CODE_BOX}<code class="language-python"><span class="nb">print</span><span class="p">(</span>'
    '<span class="mi">1</span><span class="p">)</span>\n</code></pre>\n'
    f"{TABLE_BOX}\n<thead>\n<tr>\n"
    '<th align="left">a</th>\n<th align="right">b</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n'
    '<td align="left">1</td>\n<td align="right">2</td>\n</tr>\n</tbody>\n</table></div>\n'
    "<blockquote>\n<p>quote</p>\n</blockquote>\n<ol>\n<li>one</li>\n<li>two</li>\n</ol>\n"
)


def test_a_post_without_images_renders_exactly_as_before() -> None:
    assert render_markdown(RICH_WITHOUT_IMAGES) == RICH_WITHOUT_IMAGES_HTML


def test_an_image_from_another_site_sends_no_referrer() -> None:
    html = render_markdown("![x](https://example.com/a.png) ![y](//example.com/b.png)")
    assert (
        '<img src="https://example.com/a.png" alt="x" loading="lazy" referrerpolicy="no-referrer">'
    ) in html
    assert 'src="//example.com/b.png" alt="y" loading="lazy" referrerpolicy="no-referrer"' in html


def test_an_http_image_becomes_a_link_to_it() -> None:
    html = render_markdown("![A chart](http://example.com/chart.png) ![](http://example.com/c.png)")
    assert "<img" not in html
    assert '<a href="http://example.com/chart.png" rel="nofollow noopener">A chart</a>' in html
    assert (
        '<a href="http://example.com/c.png" rel="nofollow noopener">http://example.com/c.png</a>'
    ) in html


NAME = "0123456789abcdef0123456789abcdef"


def test_a_library_image_gets_its_size_and_srcset() -> None:
    image = LocalImage(f"{NAME}.webp", 1200, 900, (480, 960))
    html = render_markdown(f"![Plan](/media/{NAME}.webp)", {image.filename: image})
    assert html == (
        f'<p><img src="/media/{NAME}.webp" alt="Plan" loading="lazy" width="1200" height="900" '
        f'srcset="/media/{NAME}-480.webp 480w, /media/{NAME}-960.webp 960w, '
        f'/media/{NAME}.webp 1200w" sizes="(max-width: 42rem) 100vw, 42rem"></p>\n'
    )
    small = LocalImage(f"{NAME}.png", 300, 200, ())
    html = render_markdown(f"![](/media/{NAME}.png)", {small.filename: small})
    assert 'width="300" height="200"' in html
    assert "srcset" not in html


@pytest.mark.parametrize(
    ("attributes", "kept"),
    [
        ('loading="eager"', ""),
        ('referrerpolicy="unsafe-url"', ""),
        ('width="100%"', ""),
        ('srcset="https://evil.example/x.png 1w"', ""),
        ('sizes="100vw"', ""),
        ('style="width:1px"', ""),
        ('loading="lazy" width="10"', 'loading="lazy" width="10"'),
    ],
)
def test_the_sanitizer_admits_only_the_image_attributes_the_renderer_writes(
    attributes: str, kept: str
) -> None:
    cleaned = _CLEANER.clean(f'<img src="/a.png" {attributes}>')
    assert cleaned == f'<img src="/a.png"{" " + kept if kept else ""}>'


def test_disallowed_scheme_link_loses_href() -> None:
    html = render_markdown("[ftp](ftp://example.com/file)")
    assert "ftp://" not in html


def test_fenced_python_is_highlighted_with_classes_only() -> None:
    html = render_markdown('```python\ndef greet(name: str) -> str:\n    return f"Hi {name}"\n```')
    assert html.startswith(f'{CODE_BOX}<code class="language-python">')
    assert '<span class="k">def</span>' in html
    assert '<span class="nf">greet</span>' in html
    assert "style" not in html


def test_fenced_language_name_is_case_insensitive() -> None:
    html = render_markdown("```Python\nimport os\n```")
    assert '<span class="kn">import</span>' in html


def test_unknown_language_falls_back_to_escaped_plain_code() -> None:
    html = render_markdown("```no-such-language\n<b>&amp;</b>\n```")
    assert html.strip() == (
        f'{CODE_BOX}<code class="language-no-such-language">'
        "&lt;b&gt;&amp;amp;&lt;/b&gt;\n</code></pre>"
    )


def test_fence_without_language_is_plain() -> None:
    assert render_markdown("```\nx < 1\n```").strip() == f"{CODE_BOX}<code>x &lt; 1\n</code></pre>"


def test_indented_code_is_plain() -> None:
    assert render_markdown("    x = 1").strip() == f"{CODE_BOX}<code>x = 1\n</code></pre>"


def test_tables_render_with_align_attributes_not_styles() -> None:
    html = render_markdown("| a | b | c | d |\n|:--|:-:|--:|---|\n| 1 | 2 | 3 | 4 |")
    assert TABLE_BOX in html
    assert "<thead>" in html
    assert "<tbody>" in html
    assert '<th align="left">a</th>' in html
    assert '<th align="center">b</th>' in html
    assert '<td align="right">3</td>' in html
    assert "<td>4</td>" in html
    assert "style" not in html


def test_code_blocks_and_tables_are_labelled_regions_a_keyboard_can_scroll() -> None:
    html = render_markdown("```\nlong line\n```\n\n    indented\n\n| a |\n|---|\n| 1 |\n")
    assert html.count('<pre tabindex="0" role="region" aria-label="Code">') == 2
    assert "<pre>" not in html
    assert (
        html.count(
            '<div class="table-scroll" tabindex="0" role="region" aria-label="Table"><table>'
        )
        == 1
    )
    assert html.count("</table></div>") == 1


@pytest.mark.parametrize(
    "source",
    [
        '<pre tabindex="5" role="button">x</pre>',
        '<div class="table-scroll" tabindex="0">x</div>',
        "`<pre>` and `<table>` in text, and <table> raw",
        '<a href="https://x.example" tabindex="0" role="region" aria-label="Code">x</a>',
    ],
)
def test_authors_cannot_write_the_scroll_box_attributes(source: str) -> None:
    for html in (render_markdown(source), _CLEANER.clean(source)):
        collector = _TagCollector()
        collector.feed(html)
        collector.close()
        assert [t for t, _ in collector.tags if t == "div"] == []
        names = {name for _tag, attrs in collector.tags for name, _value in attrs}
        assert not names & {"tabindex", "role", "aria-label", "class"}, html


def test_render_is_pure() -> None:
    source = "# Title\n\n```python\nx = 1\n```\n\n[a](https://example.com)"
    assert render_markdown(source) == render_markdown(source)


def test_empty_input() -> None:
    assert render_markdown("") == ""


# --- excerpts -------------------------------------------------------------------------------


def test_excerpt_of_short_text_is_unchanged_plain_text() -> None:
    html = render_markdown("Some **bold** text with `code` and [a link](https://example.com).")
    assert make_excerpt(html) == "Some bold text with code and a link."


def test_excerpt_has_no_tags_and_decodes_entities() -> None:
    html = render_markdown('Fish &amp; chips <3 "quoted" and `a < b`')
    excerpt = make_excerpt(html)
    assert excerpt == 'Fish & chips <3 "quoted" and a < b'
    assert "&amp;" not in excerpt
    assert "&lt;" not in excerpt


def test_excerpt_collapses_whitespace() -> None:
    assert make_excerpt("<p>a\n\n   b\t c<br>\nd</p>\n<p>e</p>") == "a b c d"


@pytest.mark.parametrize(
    ("markdown", "excerpt"),
    [
        ("# Intro\nThis post is about tea.", "This post is about tea."),
        ("Intro\n=====\nThis post is about tea.", "This post is about tea."),
        ("## Intro\n\n### Part one\n\nThis post is about tea.", "This post is about tea."),
        ("![A cup](https://e.com/cup.png)\n\nThis post is about tea.", "This post is about tea."),
        ("```python\nx = 1\n```\n\nThis post is about tea.", "This post is about tea."),
        ("    indented code\n\nThis post is about tea.", "This post is about tea."),
        ("- one\n- two\n\nThis post is about tea.", "This post is about tea."),
        ("> A quote.\n\nThis post is about tea.", "This post is about tea."),
        ("---\n\nThis post is about tea.\n\nSecond paragraph.", "This post is about tea."),
    ],
    ids=["atx-heading", "setext-heading", "headings", "image", "fence", "indented-code", "list",
         "quote", "rule"],
)  # fmt: skip
def test_excerpt_is_the_first_paragraph_of_prose(markdown: str, excerpt: str) -> None:
    assert make_excerpt(render_markdown(markdown)) == excerpt


def test_excerpt_never_glues_a_heading_to_the_text() -> None:
    excerpt = make_excerpt("<h2>Intro</h2><p>This post</p>")
    assert excerpt == "This post"
    assert "IntroThis" not in make_excerpt("<h2>Intro</h2>This post")


def test_without_a_paragraph_the_excerpt_is_the_first_list_or_quote() -> None:
    assert make_excerpt(render_markdown("# Shopping\n\n- tea\n- *milk*\n\n> later")) == "tea milk"
    assert make_excerpt(render_markdown("> To be,\n> or not.\n\n- x")) == "To be, or not."


def test_a_post_of_headings_code_and_images_has_an_empty_excerpt() -> None:
    html = render_markdown("# Title\n\n```\ncode\n```\n\n![alt text](https://e.com/a.png)")
    assert make_excerpt(html) == ""


def test_excerpt_cuts_at_a_word_boundary_with_ellipsis() -> None:
    html = render_markdown("alpha beta gamma delta epsilon")
    excerpt = make_excerpt(html, limit=20)
    assert excerpt == "alpha beta gamma…"
    assert len(excerpt) <= 20


def test_excerpt_cut_exactly_before_a_space_keeps_the_whole_word() -> None:
    assert make_excerpt("<p>alpha beta gamma</p>", limit=11) == "alpha beta…"


def test_excerpt_never_cuts_a_word_in_the_middle() -> None:
    text = "Tea is the second most consumed drink in the world after water, by far."
    for limit in range(8, len(text)):
        excerpt = make_excerpt(f"<p>{text}</p>", limit=limit)
        words = excerpt.removesuffix("…").split()
        whole = text.split()[: len(words)]
        assert words[:-1] == whole[:-1], (limit, excerpt)
        assert words[-1] == whole[-1].rstrip(","), (limit, excerpt)  # a comma before "…" goes
        assert len(excerpt) <= limit


def test_excerpt_never_exceeds_the_limit() -> None:
    text = " ".join(f"word{i}" for i in range(500))
    for limit in (1, 2, 5, 17, 100, 280):
        excerpt = make_excerpt(f"<p>{text}</p>", limit=limit)
        assert len(excerpt) <= limit
        assert excerpt.endswith("…")


def test_excerpt_of_one_long_word_is_hard_cut() -> None:
    assert make_excerpt("<p>" + "x" * 50 + "</p>", limit=10) == "x" * 9 + "…"


def test_excerpt_after_a_short_word_skips_a_long_one_whole() -> None:
    assert make_excerpt("<p>see " + "x" * 50 + "</p>", limit=10) == "see…"


def test_excerpt_exactly_at_limit_is_not_cut() -> None:
    assert make_excerpt("<p>" + "y" * 280 + "</p>") == "y" * 280
    assert make_excerpt("<p>" + "y" * 281 + "</p>") == "y" * 279 + "…"


def test_excerpt_drops_trailing_punctuation_before_ellipsis() -> None:
    assert make_excerpt("<p>one, two, three</p>", limit=10) == "one, two…"


def test_cjk_excerpt_is_cut_between_characters() -> None:
    text = "今日は良い天気です。公園で散歩をしました。" * 20
    excerpt = make_excerpt(f"<p>{text}</p>", limit=30)
    assert excerpt == text[:29] + "…"


def test_cjk_excerpt_keeps_latin_words_whole_and_drops_a_trailing_comma() -> None:
    html = "<p>我们用Python编写\uff0c然后部署到服务器上</p>"
    assert make_excerpt(html, limit=6) == "我们用…"
    assert make_excerpt(html, limit=12) == "我们用Python编写…"


def test_excerpt_does_not_split_a_letter_from_its_accent() -> None:
    decomposed = "cafe\u0301 " * 3 + "e\u0301" * 20
    assert make_excerpt(f"<p>{decomposed}</p>", limit=23).count("\u0301") == 3


def test_excerpt_ignores_script_and_style_content() -> None:
    assert make_excerpt("<script>b()</script><style>p{}</style><p>a</p><p>c</p>") == "a"


# --- reading time ----------------------------------------------------------------------------


def _words(count: int) -> str:
    return render_markdown(" ".join(["word"] * count))


@pytest.mark.parametrize(
    ("words", "minutes"), [(0, 1), (1, 1), (225, 1), (226, 2), (450, 2), (451, 3), (900, 4)]
)
def test_reading_time_is_words_over_225_rounded_up_at_least_one(words: int, minutes: int) -> None:
    assert reading_minutes(_words(words)) == minutes


def test_reading_time_counts_headings_lists_and_code_too() -> None:
    part = " ".join(["w"] * 100)
    html = render_markdown(
        f"# {part}\n\n- {part}\n\n```\n{part}\n```\n\n![{part}](https://e.com/a.png)"
    )
    assert reading_minutes(html) == 2  # 300 words: the image's alt text is not read


def test_reading_time_counts_cjk_characters_at_400_a_minute() -> None:
    assert reading_minutes(f"<p>{'字' * 400}</p>") == 1
    assert reading_minutes(f"<p>{'字' * 401}</p>") == 2
    assert reading_minutes(f"<p>{'字' * 1200}</p>") == 3
    mixed = "<p>" + "字" * 200 + " " + " ".join(["word"] * 113) + "</p>"  # ½ + 113/225 > 1
    assert reading_minutes(mixed) == 2


# --- the sanitizer on its own (second line of defence behind markdown-it) --------------------


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ('<span class="k evil">x</span>', '<span class="k">x</span>'),
        ('<span class="evil">x</span>', "<span>x</span>"),
        ('<code class="language-py other">x</code>', '<code class="language-py">x</code>'),
        ('<pre class="x" style="color:red">x</pre>', "<pre>x</pre>"),
        ('<table><tr><td align="justify">x</td></tr></table>', "<table><tbody><tr><td>x</td>"),
        (
            '<a href="https://x.example" rel="opener" target="_blank">x</a>',
            'rel="nofollow noopener"',
        ),
        ('<a href="java%09script:alert(1)">x</a>', '<a rel="nofollow noopener">x</a>'),
        ('<img src="data:image/png;base64,AAAA" alt="x">', '<img alt="x">'),
        ("<div><iframe src=x></iframe>text</div>", "text"),
    ],
)
def test_sanitizer_allow_list(html: str, expected: str) -> None:
    cleaned = _CLEANER.clean(html)
    assert expected in cleaned
    _assert_inert(cleaned)

"""Every page of the site in Chromium, at 390 px and 1280 px, light and dark: nothing wider than
the window, and no serious or critical axe finding.

``PAGES`` is the list of pages, one line each; ``EXCLUDED`` names the GET routes that are not
HTML pages, each with the reason. ``test_every_get_route_is_a_page_or_excluded`` reads the
route map (``app.url_map``), so a new GET route fails the suite until it gets a line in one of
the two. To cover a new page, add a line to ``PAGES``::

    Page("main.archive", "/archive"),                     # anyone
    Page("admin.settings", "/admin/settings", ADMIN),     # a signed-in administrator
    Page("main.tag", "/tags/{tag}"),                      # {…}: a value from the ``site`` fixture

and, when it needs content the site does not have yet, add it to the ``site`` fixture below.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

import pyotp
import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, expect
from playwright.sync_api import Page as Tab
from werkzeug.datastructures import FileStorage

from app.extensions import db
from app.models import Passkey, User, utcnow
from app.services import media, mfa, posts, profiles, tokens
from app.services.notifications import Topic
from tests.factories import create_post, create_user
from tests.helpers import PASSWORD
from tests.images import photo

VISITOR, MEMBER, ADMIN, HALF_SIGNED_IN = "visitor", "member", "admin", "half signed in"
WHO = {
    VISITOR: "nobody signed in",
    MEMBER: "writer: owns the post, the image library, two-factor off",
    ADMIN: "chief: an administrator with two-factor sign-in on",
    HALF_SIGNED_IN: "keeper: password given, the two-factor code not yet",
}


@dataclass(frozen=True)
class Page:
    """One page: the route it shows, its address, who looks at it, and what to do once there."""

    endpoint: str  # "" for a page no route serves (error pages)
    path: str  # "{name}" is filled from the ``site`` fixture
    who: str = VISITOR
    status: int = 200
    then: Callable[[Tab], None] | None = None  # e.g. press a button: the page that answers


def press(button: str, shows: str) -> Callable[[Tab], None]:
    def step(tab: Tab) -> None:
        tab.get_by_role("button", name=button, exact=True).click()
        expect(tab.get_by_text(shows).first).to_be_visible()

    return step


NEW_CODES = "Make new recovery codes"
PAGES = [
    # Anyone
    Page("main.index", "/"),
    Page("posts.show", "/posts/{post}"),  # code, a table, a long word and URL, an image, replies
    Page("main.tag", "/tags/{tag}"),
    Page("main.profile", "/users/writer"),
    Page("main.search_page", "/search?q=prose"),
    Page("main.search_page", "/search"),
    Page("discover.archive", "/archive"),
    Page("discover.month", "/archive/{year}/{month}"),
    Page("discover.tags", "/tags"),
    Page("auth.login", "/auth/login"),
    Page("auth.register", "/auth/register"),
    Page("auth.reset_request", "/auth/reset"),
    Page("auth.reset_with_token", "/auth/reset/{reset_token}"),
    Page("auth.reset_with_token", "/auth/reset/expired", status=400),
    Page("account.confirm_email", "/account/email/confirm/{email_token}"),
    Page("notifications.unsubscribe", "/notifications/unsubscribe/{unsubscribe_token}"),
    Page("", "/no-such-page", status=404),
    Page("", "/auth/logout", status=405),
    # A member
    Page("posts.show", "/posts/{post}?reply_to={comment_id}#reply", MEMBER),
    Page("account.devices_page", "/account/sessions", MEMBER),
    Page("account.password", "/account/password", MEMBER),
    Page("account.email", "/account/email", MEMBER),
    Page("account.my_posts", "/account/posts", MEMBER),
    Page("profiles.edit", "/account/profile", MEMBER),
    Page("media.avatar", "/account/avatar", MEMBER),
    Page("media.library", "/media", MEMBER),
    Page("notifications.settings", "/account/notifications", MEMBER),
    Page("mfa.security", "/account/security", MEMBER),  # enrolling: QR code and key; a passkey
    Page("passkeys.remove", "/account/passkeys/{passkey_id}/remove", MEMBER),
    Page("auth.reauthenticate", "/auth/reauthenticate", MEMBER),
    Page("posts.new", "/posts/new", MEMBER),
    Page("posts.new", "/posts/new", MEMBER, then=press("Save", "Give your post a title.")),
    Page("posts.edit", "/posts/{post}/edit", MEMBER),
    Page("posts.edit", "/posts/{post}/edit", MEMBER, then=press("Preview", "not saved yet")),
    Page("posts.confirm_delete", "/posts/{post}/delete", MEMBER),
    Page("posts.confirm_delete_comment", "/comments/{comment_id}/delete", MEMBER),
    Page("", "/admin/", MEMBER, status=403),
    # An administrator
    Page("mfa.security", "/account/security", ADMIN),  # two-factor on
    Page("mfa.security", "/account/security", ADMIN, then=press(NEW_CODES, "Your recovery codes")),
    Page("admin.dashboard", "/admin/", ADMIN),
    Page("admin.users", "/admin/users", ADMIN),
    Page("admin.confirm_deactivate", "/admin/users/{writer_id}/deactivate", ADMIN),
    Page("admin.confirm_reset_two_factor", "/admin/users/{keeper_id}/reset-two-factor", ADMIN),
    Page("admin.posts", "/admin/posts", ADMIN),
    Page("admin.confirm_post_action", "/admin/posts/{post_id}/unpublish", ADMIN),
    Page("admin.confirm_post_action", "/admin/posts/{post_id}/delete", ADMIN),
    Page("admin.comments", "/admin/comments", ADMIN),
    Page("admin.confirm_delete_comment", "/admin/comments/{comment_id}/delete", ADMIN),
    Page("admin.audit", "/admin/audit", ADMIN),
    Page("site_settings.edit", "/admin/settings", ADMIN),
    # Half signed in
    Page("mfa.code", "/auth/two-factor", HALF_SIGNED_IN),
]

# GET routes that are not HTML pages a person reads (each tested where its behaviour is).
EXCLUDED = {
    "static": "stylesheets and icons",
    "media.file": "image bytes",
    "main.feed": "Atom XML",
    "discover.tag_feed": "Atom XML",
    "discover.author_feed": "Atom XML",
    "main.sitemap": "XML for search engines",
    "main.robots": "plain text",
    "main.healthz": "JSON for load balancers",
    "admin.audit_csv": "a CSV download",
    "account.index": "a redirect to account.devices_page",
    "theme.switch": "a redirect back to the page it came from (test_theme_switch.py)",
    "i18n.switch": "a redirect back to the page it came from (tests/integration/test_i18n.py)",
}

# (window, the device's scheme, the footer's choice, what the page must look like): each way a
# page gets its colours once (tests/unit/test_contrast.py checks the colours themselves).
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
COMBINATIONS = [
    (PHONE, "light", "system", "light"),
    (PHONE, "dark", "system", "dark"),
    (DESKTOP, "dark", "light", "light"),  # chosen light on a dark device
    (DESKTOP, "light", "dark", "dark"),  # chosen dark on a light device
]

BODY = """Some prose, with `inline code`, then code in several token kinds, a long word and a table.

```python
# a comment that is long enough to need scrolling inside its box on any phone at all, surely
def greet(name: str) -> str:
    return f"hello {name!r}" + str(42)
```

Averyveryveryveryveryveryveryveryveryveryveryveryveryveryverylongword and
https://example.com/a/very/long/address/that/never/breaks/anywhere/at/all/whatever/happens

> A quotation, with a [link](https://example.com/).

| language | year | a long heading for a column | and another one | and one more |
| --- | ---: | --- | --- | --- |
| Python | 1991 | interpreted | Guido van Rossum | batteries included |

1. a list
2. with two items

![A field in two colours](IMAGE)
"""


def _upload(name: str) -> FileStorage:
    return FileStorage(io.BytesIO(photo(900, 600)), filename=name, content_type="image/jpeg")


def _two_factor_on(user: User) -> str:
    """Turn on two-factor sign-in for ``user``; one of their recovery codes."""
    enrolment = mfa.status(user).enrolment
    assert enrolment is not None
    codes = mfa.confirm_enrolment(user, pyotp.TOTP(enrolment.key.replace(" ", "")).now())
    assert codes
    return codes[0]


@pytest.fixture
def site(app: Flask) -> dict[str, str]:
    """Content for every page: what fills the table's ``{…}``, and the admin's recovery code."""
    with app.test_request_context():
        chief = create_user("chief", is_admin=True)
        writer = create_user("writer")
        keeper = create_user("keeper")
        reader = create_user("reader")
        image = media.upload(writer, _upload("field.jpg")).item
        media.set_avatar(writer, _upload("me.jpg"))
        profiles.update_profile(
            writer,
            display_name="Wendy Writer",
            bio="Writes about *type* and code. " + "Longwordwithoutanyspaces" * 4,
            website="https://example.com/" + "a-long-path/" * 8,
            time_zone="Europe/Paris",
        )
        post = create_post(
            writer,
            title="Themes in colour and a rather long title " + "x" * 60,
            body=BODY.replace("IMAGE", f"/media/{image.filename}"),
            tags=("Python", "Typography" * 4),
        )
        create_post(writer, title="A draft", status="draft")
        posts.create_post(
            writer,
            title="Later",
            body="Soon.",
            tags=[],
            status="published",
            publish_at=utcnow() + timedelta(days=3),
        )
        comment = posts.add_comment(post, reader, "A comment with a " + "long" * 20 + "word.")
        posts.add_comment(post, writer, "A reply to it.", reply_to=comment.id)
        passkey = Passkey(
            user=writer,
            credential_id=b"every-page",
            public_key=b"not used here",
            user_handle=b"handle",
            name="Laptop " + "with a long name" * 2,
            device_type="multi_device",
            backed_up=True,
        )
        db.session.add(passkey)
        db.session.commit()
        state = tokens.account_state(writer)
        _two_factor_on(keeper)  # stays half signed in: the code page, and the admin's reset page
        return {
            "post": post.slug,
            "post_id": str(post.id),
            "year": str(post.published_at.year),
            "month": str(post.published_at.month),
            "passkey_id": str(passkey.id),
            "comment_id": str(comment.id),
            "tag": "python",
            "writer_id": str(writer.id),
            "keeper_id": str(keeper.id),
            "reset_token": tokens.make_reset_token(reader),
            "email_token": tokens.make_email_token(writer.id, state, "wendy@example.org"),
            "unsubscribe_token": tokens.make_unsubscribe_token(reader, Topic.REPLIES),
            "admin_code": _two_factor_on(chief),
        }


def _password_step(tab: Tab, base: str, username: str) -> None:
    tab.goto(f"{base}/auth/login")
    tab.get_by_label("Username or email").fill(username)
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in", exact=True).click()


def _enter(tab: Tab, base: str, who: str, site: dict[str, str]) -> None:
    """Bring ``tab`` into the state ``who`` names."""
    if who == MEMBER:
        _password_step(tab, base, "writer")
    elif who == ADMIN:
        _password_step(tab, base, "chief")
        tab.get_by_label("Code", exact=True).fill(site["admin_code"])
        tab.get_by_role("button", name="Sign in").click()
    elif who == HALF_SIGNED_IN:  # five minutes to give the code: started again each time
        _password_step(tab, base, "keeper")
        expect(tab.get_by_role("heading", name="Enter your code")).to_be_visible()
        return
    if who in {MEMBER, ADMIN}:
        expect(tab.get_by_test_id("current-user")).to_be_visible()


# The innermost elements that reach past the window's right edge: what to fix.
STICKING_OUT = """width => {
  const reach = e => e.getBoundingClientRect().left + Math.max(e.scrollWidth, e.offsetWidth);
  return [...document.body.querySelectorAll("*")]
    .filter(e => reach(e) > width && ![...e.children].some(c => reach(c) > width))
    .slice(0, 3)
    .map(e => e.tagName.toLowerCase() + (e.className ? "." + e.className : ""));
}"""


def _background_is_dark(tab: Tab) -> bool:
    colour = tab.evaluate("getComputedStyle(document.body).backgroundColor")
    red, green, blue = (int(part) for part in re.findall(r"\d+", colour)[:3])
    return red + green + blue < 3 * 128


def _problems(tab: Tab, axe: Axe, name: str, width: int, theme: str) -> list[str]:
    found = []
    scroll = tab.evaluate("document.documentElement.scrollWidth")
    if scroll > width:
        found.append(f"{name}: {scroll} px wide: {tab.evaluate(STICKING_OUT, width)}")
    if _background_is_dark(tab) != (theme == "dark"):
        found.append(f"{name}: not {theme}")
    for violation in axe.run(tab).response["violations"]:
        if violation["impact"] in {"serious", "critical"}:
            targets = [node["target"] for node in violation["nodes"]][:3]
            found.append(f"{name}: {violation['id']} ({violation['impact']}) {targets}")
    return found


@pytest.fixture
def tabs(browser: Browser) -> Iterator[dict[str, Tab]]:
    """One tab per kind of reader, each in its own context (its own cookies), reused throughout."""
    contexts: list[BrowserContext] = []
    found = {}
    for who in WHO:
        context = browser.new_context()
        context.set_default_timeout(15_000)
        contexts.append(context)
        found[who] = context.new_page()
    yield found
    for context in contexts:
        context.close()


@pytest.mark.browser
def test_every_page_fits_and_passes_axe_at_both_widths_in_both_themes(
    live_server: str, site: dict[str, str], tabs: dict[str, Tab]
) -> None:
    axe = Axe()
    problems: list[str] = []
    for who, tab in tabs.items():
        if who != HALF_SIGNED_IN:
            _enter(tab, live_server, who, site)
    for viewport, device, choice, theme in COMBINATIONS:
        for who, tab in tabs.items():
            tab.set_viewport_size(viewport)  # type: ignore[arg-type]
            tab.emulate_media(color_scheme=device)  # type: ignore[arg-type]
            tab.goto(f"{live_server}/theme?theme={choice}")
            if who == HALF_SIGNED_IN:
                _enter(tab, live_server, who, site)
        for page in PAGES:
            tab = tabs[page.who]
            name = (
                f"{viewport['width']} px {theme} ({device} device, {choice}) {page.who} {page.path}"
            )
            response = tab.goto(live_server + page.path.format_map(site))
            assert response is not None
            if response.status != page.status:
                problems.append(f"{name}: status {response.status}, expected {page.status}")
            if page.then is not None:
                page.then(tab)
            problems += _problems(tab, axe, name, viewport["width"], theme)
    assert not problems, "\n".join(problems)


def test_every_get_route_is_a_page_or_excluded(app: Flask) -> None:
    """A GET route nobody listed fails here: give it a line in PAGES (or, if it is not an HTML
    page, in EXCLUDED with the reason)."""
    routes = {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in (rule.methods or ())}
    listed = {page.endpoint for page in PAGES if page.endpoint}
    unlisted = sorted(routes - listed - EXCLUDED.keys())
    assert not unlisted, f"GET routes with no line in PAGES or EXCLUDED: {unlisted}"
    stale = sorted((listed | EXCLUDED.keys()) - routes)
    assert not stale, f"listed, but no such GET route: {stale}"
    assert not listed & EXCLUDED.keys(), "both a page and excluded"
    adapter = app.url_map.bind("localhost")
    anything: defaultdict[str, str] = defaultdict(lambda: "1")
    for page in PAGES:
        if page.endpoint:
            path = page.path.format_map(anything).partition("?")[0].partition("#")[0]
            assert adapter.match(path)[0] == page.endpoint, page.path


# What each stacked table's cell puts before its value on a phone (its ::before content).
STACKED_LABELS = """[...document.querySelectorAll('.stacked-table td[data-label]')]
    .map(cell => getComputedStyle(cell, '::before').content)"""


@pytest.mark.browser
def test_every_page_in_chinese_fits_and_passes_axe(
    live_server: str, site: dict[str, str], tabs: dict[str, Tab]
) -> None:
    """The same pages for a browser that asks for Chinese (``Accept-Language: zh-CN``), at the
    phone's width: ``<html lang="zh-Hans">``, nothing wider than the window, no serious axe
    finding. Pages reached by pressing a button are left to the English pass (its labels)."""
    axe = Axe()
    problems: list[str] = []
    for who, tab in tabs.items():
        _enter(tab, live_server, who, site)  # in English: the steps read English labels
        tab.set_viewport_size(PHONE)  # type: ignore[arg-type]
        tab.emulate_media(color_scheme="light")
        tab.context.set_extra_http_headers({"Accept-Language": "zh-CN,zh;q=0.9"})
    for page in PAGES:
        if page.then is not None:
            continue
        tab = tabs[page.who]
        name = f"zh-CN {page.who} {page.path}"
        response = tab.goto(live_server + page.path.format_map(site))
        assert response is not None
        if response.status != page.status:
            problems.append(f"{name}: status {response.status}, expected {page.status}")
        if (lang := tab.evaluate("document.documentElement.lang")) != "zh-Hans":
            problems.append(f"{name}: lang={lang!r}")
        problems += _problems(tab, axe, name, PHONE["width"], "light")
        # A stacked table's labels end in a full-width colon, with no space after it.
        labels = tab.evaluate(STACKED_LABELS)
        problems += [f"{name}: label {label}" for label in labels if "\uff1a" not in label]
    assert not problems, "\n".join(problems)

"""Chinese and English: who chooses the language, the switch, and a page cache that never mixes
them (app/services/i18n.py)."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask, render_template_string
from flask.testing import FlaskClient
from flask_babel import force_locale
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import IntegerField

from app.extensions import db
from app.models import User
from app.services.i18n import format_ago, format_when
from app.timezones import local_label
from tests.conftest import AppFactory, Inbox
from tests.factories import create_post, create_user
from tests.helpers import PASSWORD, AuthActions, require, send_form, set_cookie_headers, submit

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
CHINESE = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}
ENGLISH_HTML = '<html lang="en"'
CHINESE_HTML = '<html lang="zh-Hans"'


def html_lang(client: FlaskClient, path: str = "/", **headers: str) -> str:
    page = client.get(path, headers=headers).text
    return "zh-Hans" if CHINESE_HTML in page else "en" if ENGLISH_HTML in page else "?"


@pytest.mark.parametrize(
    ("accept_language", "language"),
    [
        ("", "en"),
        ("zh-CN", "zh-Hans"),
        ("zh-SG,en;q=0.5", "zh-Hans"),
        ("zh-Hans-CN", "zh-Hans"),
        ("zh", "zh-Hans"),
        ("en-GB,zh-CN;q=0.8", "en"),
        ("fr-FR,zh-CN;q=0.7,en;q=0.5", "zh-Hans"),
        ("de, *;q=0.5", "en"),
        ("zh-TW", "en"),  # Traditional script is not offered: the next language decides
        ("zh-Hant-HK,zh-CN;q=0.5", "zh-Hans"),
        ("zh-CN;q=0, en", "en"),
    ],
)
def test_accept_language_picks_english_or_simplified_chinese(
    client: FlaskClient, accept_language: str, language: str
) -> None:
    assert html_lang(client, **{"Accept-Language": accept_language}) == language


def test_the_default_locale_setting_answers_a_browser_that_asks_for_neither(
    make_app: AppFactory,
) -> None:
    client = make_app({"DEFAULT_LOCALE": "zh-Hans"}).test_client()
    assert html_lang(client, **{"Accept-Language": "de"}) == "zh-Hans"
    assert html_lang(client, **{"Accept-Language": "en"}) == "en"


def test_a_visitor_switches_with_a_link_and_a_cookie(client: FlaskClient) -> None:
    home = client.get("/")
    assert 'href="/language?lang=zh-Hans"' in home.text
    assert 'name="csrf_token"' not in home.text, "a visitor's footer carries no token"
    switched = client.get("/language?lang=zh-Hans&next=/tags/news", headers={"Referer": "x"})
    assert switched.status_code == 303
    assert switched.headers["Location"] == "/tags/news"
    cookie = set_cookie_headers(switched)["lang"]["lang"]
    assert cookie.value == "zh-Hans"
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert html_lang(client) == "zh-Hans"
    assert html_lang(client, **{"Accept-Language": "en"}) == "zh-Hans", "the choice wins"
    client.get("/language?lang=en")
    assert html_lang(client, **CHINESE) == "en"


@pytest.mark.parametrize(
    "query", ["lang=fr", "lang=", "lang=zh-Hant", "lang=en%00", "lang=zh-hans", ""]
)
def test_an_unknown_language_is_refused(client: FlaskClient, query: str) -> None:
    response = client.get(f"/language?{query}")
    assert response.status_code == 400
    assert "lang" not in set_cookie_headers(response)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "/\\evil", "x"])
def test_the_switch_never_leaves_the_site(client: FlaskClient, target: str) -> None:
    response = client.get("/language", query_string={"lang": "en", "next": target})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_a_cookie_holding_anything_else_is_no_choice(client: FlaskClient) -> None:
    client.set_cookie("lang", "klingon")
    assert html_lang(client, **CHINESE) == "zh-Hans"
    assert html_lang(client) == "en"


def test_a_member_saves_the_language_with_a_posted_form(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    with app.app_context():
        create_user("reader")
    auth.login()
    page = client.get("/users/reader")
    assert 'action="/language"' in page.text
    assert client.post("/language", data={"lang": "zh-Hans"}).status_code == 400, "CSRF"
    saved = send_form(client, page, "/language", lang="zh-Hans")
    assert saved.status_code == 303
    assert saved.headers["Location"] == "/users/reader"
    with app.app_context():
        assert db.session.scalar(sa.select(User.locale)) == "zh-Hans"
    assert html_lang(client, **{"Accept-Language": "en"}) == "zh-Hans"


def test_a_visitor_cannot_post_the_members_form(client: FlaskClient) -> None:
    response = client.post("/language", data={"lang": "zh-Hans"})
    assert response.status_code in {302, 400}
    assert "lang" not in set_cookie_headers(response)


def test_a_saved_preference_beats_the_cookie_and_the_header(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    with app.app_context():
        create_user("reader")
    auth.login()
    assert html_lang(client, **CHINESE) == "zh-Hans", "no preference yet: the header"
    client.set_cookie("lang", "en")
    assert html_lang(client, **CHINESE) == "en", "the cookie beats the header"
    submit(client, "/account/profile", {"time_zone": "UTC", "locale": "zh-Hans"})
    with app.app_context():
        assert db.session.scalar(sa.select(User.locale)) == "zh-Hans"
    assert html_lang(client, **{"Accept-Language": "en"}) == "zh-Hans", "the preference wins"
    assert 'lang="zh-Hans" aria-current="true"' in client.get("/").text
    submit(client, "/account/profile", {"time_zone": "UTC", "locale": ""})
    assert html_lang(client, **CHINESE) == "en", "back to the cookie"


def test_the_profile_refuses_an_unknown_language(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    with app.app_context():
        create_user("reader")
    auth.login()
    response = submit(client, "/account/profile", {"time_zone": "UTC", "locale": "fr"})
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(sa.select(User.locale)) is None


def test_pages_vary_on_what_chooses_the_language(client: FlaskClient) -> None:
    vary = client.get("/").headers["Vary"]
    assert "Accept-Language" in vary
    assert "Cookie" in vary


def test_a_missing_files_page_varies_on_the_language_its_bytes_do_not(
    client: FlaskClient,
) -> None:
    """A 404 under /static/ is a page in the reader's language (found by a review)."""
    missing = client.get("/static/no-such-file.css", headers=CHINESE)
    assert missing.status_code == 404
    assert "Accept-Language" in missing.headers.get("Vary", "")
    with client.get("/static/css/inkwell.css") as found:
        assert "Accept-Language" not in found.headers.get("Vary", "")


# The page cache never mixes languages ---------------------------------------------------------


def _assert_languages_are_kept_apart(first: FlaskClient, second: FlaskClient) -> None:
    """``first`` fills the cache in one language; ``second`` reads it in each."""
    for path in ("/", "/posts/first", "/tags/news"):
        filled = first.get(path, headers=CHINESE)
        assert filled.headers["X-Cache"] == "MISS"
        assert CHINESE_HTML in filled.text
        english = second.get(path)
        assert english.headers["X-Cache"] == "MISS", f"{path}: an English reader got a Chinese hit"
        assert ENGLISH_HTML in english.text
        for headers in (CHINESE, {"Accept-Language": "zh-SG"}):
            hit = second.get(path, headers=headers)
            assert hit.headers["X-Cache"] == "HIT"
            assert CHINESE_HTML in hit.text
            assert "Accept-Language" in hit.headers["Vary"]
        assert ENGLISH_HTML in second.get(path, headers={"Accept-Language": "en"}).text
        second.set_cookie("lang", "en")
        cookie_english = second.get(path, headers=CHINESE)
        assert cookie_english.headers["X-Cache"] == "HIT"
        assert ENGLISH_HTML in cookie_english.text, "the cookie beats the header on a hit too"
        second.delete_cookie("lang")


@pytest.mark.parametrize("wsgi_hits", [True, False], ids=["wsgi-hit", "flask-hit"])
def test_the_page_cache_keeps_languages_apart_in_redis(
    make_app: AppFactory, wsgi_hits: bool
) -> None:
    require(bool(TEST_REDIS_URL), "Redis (TEST_REDIS_URL, started by make test)")
    settings = {
        "REDIS_URL": TEST_REDIS_URL,
        "PAGE_CACHE_PREFIX": f"inkwell-test:{uuid.uuid4().hex}",
        "PAGE_CACHE_WSGI_HITS": wsgi_hits,
    }
    first, second = make_app(settings), make_app(settings)
    with first.app_context():
        create_post(create_user("writer"), title="First", tags=("news",))
    second_client = second.test_client()
    if not wsgi_hits:
        # A visitor whose session cookie exists is answered by Flask's hook, not the WSGI layer.
        second_client.set_cookie(second.config["SESSION_COOKIE_NAME"], "x")
    _assert_languages_are_kept_apart(first.test_client(), second_client)


def test_the_page_cache_keeps_languages_apart_in_process(app: Flask) -> None:
    with app.app_context():
        create_post(create_user("writer"), title="First", tags=("news",))
    _assert_languages_are_kept_apart(app.test_client(), app.test_client())


def test_the_shared_post_list_is_kept_per_language(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    """A member's home page is their header around a stored post list (``shared_fragment``)."""
    with app.app_context():
        post = create_post(create_user("writer"), title="First", tags=("news",))
        published = post.published_at
        create_user("reader")
    assert published is not None
    auth.login()
    chinese = client.get("/", headers=CHINESE).text
    assert f"{published.year}年{published.month}月{published.day}日" in chinese
    client.set_cookie("lang", "en")
    english = client.get("/", headers=CHINESE).text
    assert f"{published.day} {published:%B %Y}" in english
    assert "年" not in english


# What a reader meets is in their language ------------------------------------------------------


def test_the_404_page_is_in_the_readers_language(client: FlaskClient) -> None:
    chinese = client.get("/no/such/page", headers=CHINESE)
    assert chinese.status_code == 404
    assert "页面不存在" in chinese.text
    english = client.get("/no/such/page")
    assert "Page not found" in english.text
    assert "页面不存在" not in english.text


def test_form_errors_and_flashes_are_in_the_readers_language(
    app: Flask, client: FlaskClient
) -> None:
    with app.app_context():
        create_user("reader")
    client.set_cookie("lang", "zh-Hans")
    refused = submit(client, "/auth/login", {"username": "reader", "password": "wrong"})
    assert "用户名、邮箱或密码不正确。" in refused.text
    blank = submit(client, "/auth/login", {"username": "", "password": ""})
    assert "请输入用户名或邮箱。" in blank.text
    assert "请输入密码。" in blank.text
    signed_in = submit(client, "/auth/login", {"username": "reader", "password": PASSWORD})
    assert signed_in.status_code == 302
    assert "已登录为 reader。" in client.get("/").text
    client.set_cookie("lang", "en")
    submit(client, "/auth/logout", {}, form_url="/")
    refused = submit(client, "/auth/login", {"username": "reader", "password": "wrong"})
    assert "Incorrect username, email or password." in refused.text


def test_a_bad_email_address_is_refused_in_chinese_without_an_english_reason(
    client: FlaskClient,
) -> None:
    """email_validator explains in English only (found by a review): Chinese readers get the
    sentence alone, English readers the reason too."""
    client.set_cookie("lang", "zh-Hans")
    sent = submit(client, "/auth/register", {"username": "someone", "email": "bad"})
    assert "@-sign" not in sent.text
    assert "请输入有效的邮箱地址。" in sent.text
    client.set_cookie("lang", "en")
    sent = submit(client, "/auth/register", {"username": "someone", "email": "bad"})
    assert "Enter a valid email address: An email address must have an @-sign." in sent.text


class _NumberForm(FlaskForm):
    class Meta:
        csrf = False

    number = IntegerField()


def test_wtforms_own_messages_are_translated_too(app: Flask, client: FlaskClient) -> None:
    """Our messages on the fields, and one WTForms writes itself (a wrong e-mail in EqualTo's
    place is ours too; Flask-WTF hands WTForms' own catalog to Flask-Babel)."""
    client.set_cookie("lang", "zh-Hans")
    sent = submit(client, "/auth/register", {"username": "", "email": "", "password": "x"})
    assert "请设置用户名。" in sent.text
    assert "Choose a username." not in sent.text
    for headers, expected in ((CHINESE, "不是有效的整数。"), ({}, "Not a valid integer value.")):
        with app.test_request_context(headers=headers):
            form = _NumberForm(formdata=MultiDict({"number": "x"}))
            assert not form.validate()
            assert form.errors == {"number": [expected]}


def test_mail_is_written_in_the_recipients_language(mail_app: Flask, inbox: Inbox) -> None:
    with mail_app.app_context():
        create_user("li", email="li@example.com")
        create_user("ann", email="ann@example.com").locale = "zh-Hans"
        db.session.commit()
    client = mail_app.test_client()
    # A visitor reading in Chinese asks for a reset: the mail follows the request's language.
    client.set_cookie("lang", "zh-Hans")
    submit(client, "/auth/reset", {"email": "li@example.com"})
    # An English request for a member who saved Chinese: the mail follows the member.
    english = mail_app.test_client()
    submit(english, "/auth/reset", {"email": "ann@example.com"})
    inbox.deliver()
    (li,) = inbox.to("li@example.com")
    assert li["Subject"] == "[Inkwell] 重设密码"
    body = li.get_body(("plain",)).get_content()
    assert "li，你好：" in body  # noqa: RUF001
    assert "请在一小时内打开此链接设置新密码" in body
    (ann,) = inbox.to("ann@example.com")
    assert ann["Subject"] == "[Inkwell] 重设密码"
    assert "请在一小时内打开此链接" in ann.get_body(("html",)).get_content()


def test_mail_is_english_without_a_choice(mail_app: Flask, inbox: Inbox) -> None:
    with mail_app.app_context():
        create_user("li", email="li@example.com")
    submit(mail_app.test_client(), "/auth/reset", {"email": "li@example.com"})
    inbox.deliver()
    (mail,) = inbox.to("li@example.com")
    assert mail["Subject"] == "[Inkwell] Reset your password"
    assert "Hello li," in mail.get_body(("plain",)).get_content()


def test_the_home_and_login_pages_are_in_the_readers_language(
    app: Flask, client: FlaskClient
) -> None:
    with app.app_context():
        create_post(create_user("writer"), title="First", tags=("news",))
    home = client.get("/", headers=CHINESE).text
    for words in ("最新文章", "跳到正文", "登录", "注册", "搜索", "作者", "阅读约 1 分钟", "主题"):
        assert words in home, words
    for english in ("Latest posts", "Skip to content", "Register", "min read"):
        assert english not in home, english
    assert "First" in home, "posts are never translated"
    login = client.get("/auth/login", headers=CHINESE).text
    for words in ("用户名或邮箱", "密码", "在此设备上记住我", "忘记密码了", "创建账号"):
        assert words in login, words
    english = client.get("/auth/login").text
    assert "Forgot your password?" in english
    assert "忘记密码" not in english


def test_the_archive_tags_and_search_count_are_in_the_readers_language(
    app: Flask, client: FlaskClient
) -> None:
    with app.app_context():
        post = create_post(
            create_user("writer"), title="Kites", body="About kites.", tags=("news",)
        )
        published = post.published_at
        assert published is not None
    archive = client.get("/archive", headers=CHINESE).text
    for words in ("<title>归档 ·", ">归档</h1>", f">{published.month}月<", "1 篇文章"):
        assert words in archive, words
    for english in ("Archive", "1 post", published.strftime("%B")):
        assert english not in archive, english
    month = client.get(f"/archive/{published.year}/{published.month}", headers=CHINESE).text
    assert f"{published.year}年{published.month}月的文章" in month
    assert "Posts from" not in month
    tags = client.get("/tags", headers=CHINESE).text
    for words in ("<title>标签 ·", ">标签</h1>", "#news", "1 篇文章"):
        assert words in tags, words
    assert "1 post" not in tags
    found = client.get("/search", query_string={"q": "kite"}, headers=CHINESE).text
    assert "“kite”共 1 条结果" in found
    assert "1 result" not in found
    assert "<title>搜索：kite ·" in found  # noqa: RUF001  (full-width, no space after)
    assert "<title>Search: kite ·" in client.get("/search", query_string={"q": "kite"}).text
    english = client.get("/archive").text
    assert ">Archive</h1>" in english
    assert "1 post<" in english
    assert published.strftime("%B") in english


def test_dates_are_written_the_way_each_language_writes_them(app: Flask) -> None:
    instant = datetime(2030, 5, 1, 7, 30, tzinfo=UTC)
    with app.test_request_context(headers=CHINESE):
        paris = local_label(instant, ZoneInfo("Europe/Paris"))
        assert paris == "2030年5月1日 09:30 CEST\uff08UTC+2\uff09"  # full-width brackets
        assert format_when(instant) == "2030年5月1日"
        assert format_ago(datetime.now(UTC) - timedelta(minutes=3)) == "3分钟前"
    with app.test_request_context():
        assert local_label(instant, ZoneInfo("Europe/Paris")) == "1 May 2030, 09:30 CEST (UTC+2)"
        assert format_when(instant, "month") == "May 2030"
        assert format_ago(datetime.now(UTC) - timedelta(minutes=3)) == "3 minutes ago"


def test_the_flash_after_saving_a_language_is_in_the_new_language(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    with app.app_context():
        create_user("reader")
    auth.login()
    saved = submit(client, "/account/profile", {"time_zone": "UTC", "locale": "zh-Hans"})
    assert saved.status_code == 302
    assert "你的个人资料已保存。" in client.get(saved.headers["Location"]).text
    back = submit(client, "/account/profile", {"time_zone": "UTC", "locale": "en"})
    page = client.get(back.headers["Location"], headers=CHINESE).text
    assert "Your profile is saved." in page
    assert "你的个人资料已保存" not in page


def test_signing_in_greets_a_member_in_their_saved_language(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    """The greeting is written after the member is known, so in the language they saved."""
    with app.app_context():
        create_user("reader").locale = "zh-Hans"
        db.session.commit()
    signed_in = auth.login()
    assert signed_in.status_code == 302
    assert "已登录为 reader。" in client.get("/").text


def test_a_time_the_clocks_skip_is_refused_in_the_readers_language(app: Flask) -> None:
    from app.timezones import LocalTimeError, to_utc

    paris, skipped = ZoneInfo("Europe/Paris"), datetime(2030, 3, 31, 2, 30)  # noqa: DTZ001
    with app.test_request_context(headers=CHINESE), pytest.raises(LocalTimeError) as refused:
        to_utc(skipped, paris)
    assert "2030年3月31日" in str(refused.value)
    assert "02:30" in str(refused.value)
    assert "March" not in str(refused.value)
    with app.test_request_context(), pytest.raises(LocalTimeError) as refused:
        to_utc(skipped, paris)
    assert str(refused.value).startswith("02:30 on 31 March 2030 does not exist in Europe/Paris")


def test_templates_translate_as_flask_babel_would_forced_or_not(app: Flask) -> None:
    """``i18n.install_template_gettext`` keeps a catalog per locale: it must still follow the
    request's language and any ``force_locale`` inside it, in and out, every time."""
    template = "{{ _('Sign in') }}|{{ pgettext('sign-in result', 'Signed in') }}"
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        chinese = render_template_string(template)
        with force_locale("en"):
            english = render_template_string(template)
        assert render_template_string(template) == chinese
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert render_template_string(template) == english
    assert english == "Sign in|Signed in"
    assert chinese == "登录|登录成功"


def test_template_translations_format_and_escape_as_jinjas_newstyle_callables(app: Flask) -> None:
    """The single-call ``_`` (``i18n.install_template_gettext``) keeps Jinja's newstyle rules:
    every message is a format string ("%%" is "%"), variables are escaped, a variable may be
    called ``message`` or ``n``, plural forms get ``num``, and ``_`` follows ``gettext``."""
    template = (
        "{{ _('100%% done') }}|{{ _('%(message)s and %(n)s', message='<b>', n=2) }}|"
        "{{ ngettext('%(num)d comment', '%(num)d comments', 3) }}|"
        "{{ npgettext('x', '%(num)d reply', '%(num)d replies', 1) }}|{{ _('Sign in') }}"
    )
    with app.test_request_context(headers={"Accept-Language": "en"}):
        shown = render_template_string(template)
    assert shown == "100% done|&lt;b&gt; and 2|3 comments|1 reply|Sign in"
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert render_template_string(template).endswith("|登录")

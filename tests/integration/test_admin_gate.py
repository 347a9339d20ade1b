"""``/admin/``: anonymous → sign-in, member → 403, admin → page; re-checked on every request."""

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import AnyConverter

from app.extensions import db
from app.models import User
from tests.factories import create_user
from tests.helpers import AuthActions, csrf_token


def test_anonymous_is_sent_to_sign_in_with_next(client: FlaskClient) -> None:
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login?next=%2Fadmin%2F"


def test_member_gets_a_403_page_not_a_login_redirect(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    with app.app_context():
        create_user("member")
    auth.login("member")
    response = client.get("/admin/")
    assert response.status_code == 403
    assert "You do not have permission" in response.text
    assert "Admin</a>" not in client.get("/").text


def test_admin_sees_the_dashboard(app: Flask, client: FlaskClient, auth: AuthActions) -> None:
    with app.app_context():
        create_user("boss", is_admin=True)
        create_user("member")
    auth.login("boss")
    response = client.get("/admin/")
    assert response.status_code == 200
    assert "Administration" in response.text
    assert response.headers["Cache-Control"] == "no-store"
    assert 'href="/admin/">Admin</a>' in client.get("/").text


def test_admin_login_follows_next_back_to_admin(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        create_user("boss", is_admin=True)
    login_url = client.get("/admin/").headers["Location"]
    response = AuthActions(client).login("boss", next_url=login_url.split("next=")[1])
    assert response.headers["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_removing_admin_rights_takes_effect_on_the_next_request(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    with app.app_context():
        create_user("boss", is_admin=True)
    auth.login("boss", remember=True)
    assert client.get("/admin/").status_code == 200
    with app.app_context():
        db.session.execute(sa.update(User).values(is_admin=False))
        db.session.commit()
    assert client.get("/admin/").status_code == 403


def admin_urls(app: Flask) -> list[tuple[str, str]]:
    """(method, url) for every rule under /admin/ (the admin blueprint, the site settings) and
    every value of its any() converters."""
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin/"):
            continue
        choices: list[dict[str, str]] = [{}]
        for name in rule.arguments:
            converter = rule._converters[name]
            values = sorted(converter.items) if isinstance(converter, AnyConverter) else ["1"]
            choices = [{**choice, name: value} for choice in choices for value in values]
        for values in choices:
            url = rule.build(values)[1]
            urls += [(method, url) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return urls


def test_every_admin_route_is_gated(app: Flask, client: FlaskClient, auth: AuthActions) -> None:
    """The blueprint-wide guard covers each admin URL and action, including any added later."""
    urls = admin_urls(app)
    assert len(urls) > 15
    with app.app_context():
        create_user("member")
    member = app.test_client()
    AuthActions(member).login("member")
    token = csrf_token(member.get("/").text)
    anonymous_token = csrf_token(client.get("/auth/login").text)
    for method, url in urls:
        anonymous = client.open(url, method=method, data={"csrf_token": anonymous_token})
        assert anonymous.status_code == 302, (method, url)
        assert anonymous.headers["Location"].startswith("/auth/login?next=")
        response = member.open(url, method=method, data={"csrf_token": token})
        assert response.status_code == 403, (method, url)

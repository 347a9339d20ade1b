"""``/admin/``: anonymous → sign-in, member → 403, admin → page; re-checked on every request."""

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.models import User
from tests.factories import create_user
from tests.helpers import AuthActions


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


def test_every_admin_route_is_gated(app: Flask, client: FlaskClient, auth: AuthActions) -> None:
    """The blueprint-wide guard covers each admin URL, including any added later."""
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("admin.")]
    assert rules
    with app.app_context():
        create_user("member")
    member = app.test_client()
    AuthActions(member).login("member")
    for rule in rules:
        url = rule.build(dict.fromkeys(rule.arguments, "1"))[1]
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert client.open(url, method=method).status_code in {302, 400}, (method, url)
            assert member.open(url, method=method).status_code in {403, 400}, (method, url)

"""Concurrent registrations of one name: exactly one account, friendly errors for the rest.

Each thread is its own browser (test client with its own cookies and CSRF token); a barrier
releases all the POSTs at once, so the database's unique constraint is what decides.
"""

import threading
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask import Flask

from app.extensions import db
from app.models import User
from tests.helpers import PASSWORD, csrf_token

RACERS = 8


def _race(app: Flask, make_form: Callable[[int], dict[str, str]]) -> list[tuple[int, str]]:
    clients = [app.test_client() for _ in range(RACERS)]
    tokens = [csrf_token(client.get("/auth/register").text) for client in clients]
    barrier = threading.Barrier(RACERS)
    results: list[tuple[int, str]] = [(0, "")] * RACERS

    def register(index: int) -> None:
        barrier.wait()
        response = clients[index].post(
            "/auth/register", data={"csrf_token": tokens[index], **make_form(index)}
        )
        results[index] = (response.status_code, response.text)

    threads = [threading.Thread(target=register, args=(i,)) for i in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.parametrize(
    ("make_form", "message"),
    [
        (
            lambda i: {"username": "Racer" if i % 2 else "racer", "email": f"racer{i}@example.com"},
            "That username is taken",
        ),
        (
            lambda i: {"username": f"racer{i}", "email": "same@example.com"},
            "That email address cannot be used",
        ),
    ],
    ids=["same-username", "same-email"],
)
def test_concurrent_registrations_yield_one_account(
    app: Flask, make_form: Callable[[int], dict[str, str]], message: str
) -> None:
    def form(index: int) -> dict[str, str]:
        return {**make_form(index), "password": PASSWORD, "confirm": PASSWORD}

    results = _race(app, form)
    statuses = sorted(status for status, _ in results)
    assert statuses == [302] + [422] * (RACERS - 1), statuses
    assert all(message in text for status, text in results if status == 422)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1

"""The fault suite: gunicorn in production config on a real PostgreSQL, with Redis and SMTP, while
each dependency is really stopped. Each test asserts: no 5xx outside the outage (a 503 page during
it is fine), every acknowledged write present exactly once, no stale page, and mail requested
during an outage delivered after it.
"""

from __future__ import annotations

import http.client
import json
import re
import threading
import time

import pytest

from tests.faults.components import (
    HangingSmtpServer,
    LoadRecorder,
    MailWorker,
    PostgresCluster,
    ProductionServer,
    RedisServer,
    SmtpInbox,
    get,
    outage,
    production_env,
    wait_until,
)
from tests.helpers import PASSWORD, HttpSession, csrf_token, free_port, submission_token

pytestmark = pytest.mark.faults


@pytest.fixture
def database(postgres_cluster: PostgresCluster) -> PostgresCluster:
    postgres_cluster.upgrade_schema()
    return postgres_cluster


def _register(server: ProductionServer, username: str) -> HttpSession:
    """A member signed in through the real registration form."""
    session = server.session()
    page = session.request("GET", "/auth/register").text
    form = {
        "csrf_token": csrf_token(page),
        "username": username,
        "email": f"{username}@example.com",
        "password": PASSWORD,
        "confirm": PASSWORD,
    }
    assert session.request("POST", "/auth/register", form).status == 302
    return session


def _publish(session: HttpSession, title: str) -> int:
    editor = session.request("GET", "/posts/new").text
    form = {
        "csrf_token": csrf_token(editor),
        "submission_token": submission_token(editor) or "",
        "title": title,
        "body": f"The body of {title}.",
        "status": "published",
    }
    return session.request("POST", "/posts/new", form).status


def _reset(server: ProductionServer, email: str) -> int:
    session = server.session()
    form = {"csrf_token": csrf_token(session.request("GET", "/auth/reset").text), "email": email}
    return session.request("POST", "/auth/reset", form).status


def _count(database: PostgresCluster, sql: str) -> int:
    return int(database.execute(sql)[0][0])


# SMTP -------------------------------------------------------------------------------------------


def test_smtp_refusing_costs_nothing_and_the_mail_arrives_once_it_is_back(
    database: PostgresCluster,
) -> None:
    port = free_port()  # nothing listens: every connection is refused
    env = production_env(database.url, mail_port=port)
    with ProductionServer(env, workers=2) as server, MailWorker(env) as worker:
        _register(server, "alice")
        statuses = [_reset(server, "alice@example.com") for _ in range(3)]
        statuses += [_reset(server, "nobody@example.com") for _ in range(2)]
        assert statuses == [302] * 5, "a reset request never depends on the mail server"
        waiting = "SELECT count(*) FROM mail_outbox WHERE status = 'pending' AND last_error > ''"
        skipped = "SELECT count(*) FROM mail_outbox WHERE status = 'skipped'"
        wait_until(
            lambda: _count(database, waiting) == 3 and _count(database, skipped) == 2,
            20,
            "the worker's first pass: three failed attempts, two unknown addresses skipped",
        )
        with SmtpInbox(port) as inbox:
            database.execute("UPDATE mail_outbox SET next_attempt_at = now()")  # skip the backoff
            messages = inbox.wait_for(3, timeout=20)
            time.sleep(1)  # anything sent twice would arrive now
            assert [str(m["To"]) for m in inbox.messages] == ["alice@example.com"] * 3
        assert worker.is_running()
    assert {str(m["Subject"]) for m in messages} == {"[Inkwell] Reset your password"}
    assert _count(database, "SELECT count(*) FROM mail_outbox WHERE status = 'skipped'") == 2


def test_smtp_hanging_holds_no_request(
    database: PostgresCluster, hanging_smtp: HangingSmtpServer
) -> None:
    env = production_env(database.url, mail_port=hanging_smtp.port, mail_timeout=1)
    with ProductionServer(env, workers=2) as server:
        _register(server, "alice")
        # More requests than workers: with mail sent in the request, these would queue behind
        # MAIL_TIMEOUT each; here none of them so much as connects to the mail server.
        recorder = LoadRecorder(server.url, [get("/"), get("/healthz")], total=30)
        with recorder:
            statuses = [_reset(server, "alice@example.com") for _ in range(5)]  # the hourly limit
        assert statuses == [302] * 5
        assert recorder.failures() == []
        assert hanging_smtp.connections == 0
        with MailWorker(env):
            wait_until(lambda: hanging_smtp.connections >= 1, 20, "the worker's attempt")
            wait_until(
                lambda: (
                    _count(
                        database,
                        "SELECT count(*) FROM mail_outbox WHERE last_error LIKE '%timed out%'",
                    )
                    >= 1
                ),
                20,
                "a timed-out attempt recorded",
            )
        health = server.healthz()
        assert health.status == 200
        assert json.loads(health.text)["mail_outbox"]["waiting"] == 5


# Redis ------------------------------------------------------------------------------------------


def test_redis_killed_and_restored_from_a_snapshot_serves_no_stale_page(
    database: PostgresCluster, redis_persistent: RedisServer
) -> None:
    env = production_env(database.url, redis_url=redis_persistent.url)
    with ProductionServer(env, workers=2) as server:
        alice = _register(server, "alice")
        assert _publish(alice, "Before the snapshot") == 302
        reader = server.session()
        assert "Before the snapshot" in reader.request("GET", "/").text
        assert reader.request("GET", "/").headers["X-Cache"] == "HIT"
        redis_persistent.snapshot()  # the version and the cached page, as they are now

        assert _publish(alice, "After the snapshot") == 302
        assert "After the snapshot" in reader.request("GET", "/").text

        recorder = LoadRecorder(
            server.url, [get("/"), get("/posts/before-the-snapshot")], duration=60
        )
        with recorder, outage() as window:
            redis_persistent.kill()
            # Redis down: reading, signing in and writing all go on (slower, never stale).
            assert "After the snapshot" in reader.request("GET", "/").text
            assert _publish(alice, "During the outage") == 302
            assert (
                server.healthz().text.count('"redis": "down"')
                + server.healthz().text.count('"redis":"down"')
                >= 1
            )
            redis_persistent.start()  # restored: the old version and the old page are back
            window.close()
            for _ in range(10):
                home = reader.request("GET", "/")
                assert home.status == 200
                assert "After the snapshot" in home.text, "a stale page from the snapshot"
                assert "During the outage" in home.text
        assert recorder.failures() == []
    assert _count(database, "SELECT count(*) FROM posts") == 3


# PostgreSQL -------------------------------------------------------------------------------------


def test_postgres_restart_is_a_short_503_and_loses_nothing(database: PostgresCluster) -> None:
    env = production_env(database.url)
    with ProductionServer(env, workers=2) as server:
        alice = _register(server, "alice")
        assert _publish(alice, "Steady") == 302
        recorder = LoadRecorder(server.url, [get("/posts/steady"), get("/")], duration=60)
        acknowledged: list[str] = []
        with recorder:
            for number in range(3):
                title = f"Before {number}"
                if _publish(alice, title) == 302:
                    acknowledged.append(title)
            with outage() as window:
                database.restart(mode="immediate")
            time.sleep(0.5)
            for number in range(3):
                title = f"After {number}"
                if _publish(alice, title) == 302:
                    acknowledged.append(title)
        statuses = recorder.statuses()
        assert recorder.failures(outside=[window], grace=2.0) == [], statuses
        assert all(status in (200, 503, None) for status in statuses), statuses
        assert len(acknowledged) == 6
        titles = [row[0] for row in database.execute("SELECT title FROM posts")]
        assert sorted(titles) == sorted(["Steady", *acknowledged]), "each exactly once"


def test_postgres_read_only_serves_reads_and_refuses_writes_in_words(
    database: PostgresCluster,
) -> None:
    env = production_env(database.url)
    with ProductionServer(env, workers=2) as server:
        alice = _register(server, "alice")
        assert _publish(alice, "Readable") == 302
        database.set_read_only(True)
        try:
            for path in ("/", "/posts/readable", "/account/sessions"):
                assert alice.request("GET", path).status == 200, path
            assert server.session().request("GET", "/posts/readable").status == 200
            health = server.healthz()
            assert health.status == 200
            assert "degraded" in health.text
            editor = alice.request("GET", "/posts/new").text
            refused = alice.request(
                "POST",
                "/posts/new",
                {
                    "csrf_token": csrf_token(editor),
                    "submission_token": submission_token(editor) or "",
                    "title": "Typed while read-only",
                    "body": "Keep every word of this.",
                    "status": "published",
                },
            )
            assert refused.status == 503
            assert "Keep every word of this." in refused.text
            assert "was not saved" in refused.text
        finally:
            database.set_read_only(False)
        assert _publish(alice, "Writable again") == 302
    titles = sorted(row[0] for row in database.execute("SELECT title FROM posts"))
    assert titles == ["Readable", "Writable again"]


def test_postgres_stopped_is_a_503_page_and_an_unhealthy_server(database: PostgresCluster) -> None:
    env = production_env(database.url)
    with ProductionServer(env, workers=2) as server:
        alice = _register(server, "alice")
        database.stop(mode="immediate")
        try:
            page = server.session().request("GET", "/")
            assert page.status == 503
            assert "Our database is not answering right now" in page.text
            assert alice.request("GET", "/account/sessions").status == 503
            # A page that needs no data is served, named by SITE_NAME (the settings are unreadable).
            login = server.session().request("GET", "/auth/login")
            assert login.status == 200
            assert '<meta property="og:site_name" content="Inkwell">' in login.text
            health = server.healthz()
            assert health.status == 503
            assert '"readable": false' in health.text.replace(
                '"readable":false', '"readable": false'
            )
        finally:
            database.start()
        wait_until(lambda: server.healthz().status == 200, 20, "recovery after the restart")
        assert alice.request("GET", "/account/sessions").status == 200, "still signed in"


# gunicorn workers -------------------------------------------------------------------------------


def _post_until_answered(session: HttpSession, form: dict[str, str]) -> str:
    """Send a form, and send it again (as a browser would) until an answer comes back."""
    for _ in range(30):
        try:
            response = session.request("POST", "/posts/new", form)
        except (OSError, http.client.HTTPException):  # refused, reset, or cut off mid-answer
            time.sleep(0.1)
            continue  # the worker died with the request: no answer, so retry the same form
        if response.status == 302:
            return str(response.headers["Location"])
        raise AssertionError(f"unexpected {response.status}")
    raise AssertionError("no answer after 30 tries")


def test_workers_killed_mid_request_never_lose_or_double_a_post(database: PostgresCluster) -> None:
    # Up to 150 posts from three members: more than the per-member hourly limit allows.
    env = {**production_env(database.url), "FLASK_POST_RATE_LIMIT": "1000 per hour"}
    with ProductionServer(env, workers=2) as server:
        writers = [_register(server, f"writer{number}") for number in range(3)]
        stop = threading.Event()
        kills: list[int] = []

        def kill_workers() -> None:
            while not stop.wait(0.1) and len(kills) < 8:
                pids = server.worker_pids()
                if pids:
                    kills.append(server.kill_worker(pids[0]))

        killer = threading.Thread(target=kill_workers, daemon=True)
        killer.start()
        locations: list[str] = []
        try:
            while (len(kills) < 8 or len(locations) < 20) and len(locations) < 150:
                session = writers[len(locations) % len(writers)]
                try:
                    editor = session.request("GET", "/posts/new")
                except (OSError, http.client.HTTPException):
                    continue  # the editor page itself met a dying worker: open it again
                if editor.status != 200:
                    continue
                form = {
                    "csrf_token": csrf_token(editor.text),
                    "submission_token": submission_token(editor.text) or "",
                    "title": f"Post number {len(locations)}",
                    "body": "x" * 2000,
                    "status": "published",
                }
                locations.append(_post_until_answered(session, form))
        finally:
            stop.set()
            killer.join()
        server.wait_for_workers(2)
    assert len(kills) >= 5, "workers were killed while the posts were sent"
    sent = len(locations)
    assert len(set(locations)) == sent
    titles = [row[0] for row in database.execute("SELECT title FROM posts")]
    assert sorted(titles) == sorted(f"Post number {index}" for index in range(sent))
    assert all(re.fullmatch(r"/posts/post-number-\d+", location) for location in locations)

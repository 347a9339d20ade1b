"""Smoke tests of the fault-injection harness: each component does what components.py says."""

from __future__ import annotations

import smtplib
import time
from email.message import EmailMessage

import psycopg
import pytest

from tests.faults.components import (
    HangingSmtpServer,
    LoadRecorder,
    MailWorker,
    PostgresCluster,
    ProductionServer,
    RedisServer,
    SmtpInbox,
    Window,
    get,
    outage,
    port_is_open,
    post,
    production_env,
    wait_until,
)
from tests.helpers import PASSWORD, free_port

pytestmark = pytest.mark.faults


def _register(server: ProductionServer, username: str) -> int:
    """Register through the real form on ``server``; the status of the POST."""
    form = {
        "username": username,
        "email": f"{username}@example.com",
        "password": PASSWORD,
        "confirm": PASSWORD,
    }
    session = server.session()
    response = post("/auth/register", form, form_page="/auth/register")(session)
    assert 'data-testid="current-user">' + username in session.request("GET", "/").text
    return response.status


def test_postgres_stop_and_start_on_the_same_port(postgres_cluster: PostgresCluster) -> None:
    port = postgres_cluster.port
    postgres_cluster.execute("CREATE TABLE kept (x int)")
    postgres_cluster.execute("INSERT INTO kept VALUES (1)")
    idle = postgres_cluster.connect()

    postgres_cluster.stop()
    assert not postgres_cluster.is_running()
    assert not port_is_open(port)
    with pytest.raises(psycopg.OperationalError):
        postgres_cluster.connect(connect_timeout=1)
    with pytest.raises(psycopg.OperationalError):
        idle.execute("SELECT 1")
    idle.close()

    postgres_cluster.start()
    assert postgres_cluster.port == port
    assert postgres_cluster.execute("SELECT x FROM kept") == [(1,)]

    postgres_cluster.stop("immediate")  # a crash: the next start recovers from the WAL
    postgres_cluster.start()
    assert postgres_cluster.execute("SELECT x FROM kept") == [(1,)]


def test_postgres_read_only_reaches_new_and_open_connections(
    postgres_cluster: PostgresCluster,
) -> None:
    postgres_cluster.execute("CREATE TABLE notes (x int)")
    with (
        postgres_cluster.connect() as opened_before,
        postgres_cluster.connect(autocommit=False) as in_transaction,
    ):
        in_transaction.execute("INSERT INTO notes VALUES (0)")  # a transaction now in progress

        postgres_cluster.set_read_only(True)
        with (
            postgres_cluster.connect() as fresh,
            pytest.raises(psycopg.errors.ReadOnlySqlTransaction),
        ):
            fresh.execute("INSERT INTO notes VALUES (1)")
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            opened_before.execute("INSERT INTO notes VALUES (2)")
        # The transaction that began before the switch keeps writing and commits...
        in_transaction.execute("INSERT INTO notes VALUES (3)")
        in_transaction.commit()
        # ...but its connection's next transaction is read-only.
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            in_transaction.execute("INSERT INTO notes VALUES (4)")
        in_transaction.rollback()
        assert postgres_cluster.execute("SELECT x FROM notes ORDER BY x") == [(0,), (3,)]

        postgres_cluster.set_read_only(False)
        opened_before.execute("INSERT INTO notes VALUES (5)")
    assert postgres_cluster.execute("SELECT x FROM notes ORDER BY x") == [(0,), (3,), (5,)]


def test_postgres_terminate_connections(postgres_cluster: PostgresCluster) -> None:
    with postgres_cluster.connect() as first, postgres_cluster.connect() as second:
        assert postgres_cluster.client_connections() == 2
        assert postgres_cluster.terminate_connections() == 2
        for connection in (first, second):
            with pytest.raises(psycopg.OperationalError, match="administrator command"):
                connection.execute("SELECT 1")
    assert postgres_cluster.client_connections() == 0
    assert postgres_cluster.execute("SELECT 1") == [(1,)]  # the server itself is fine


def test_redis_kill_and_start_restores_the_snapshot(redis_persistent: RedisServer) -> None:
    port = redis_persistent.port
    with redis_persistent.client() as client:
        client.set("before", "1")
    redis_persistent.snapshot()
    with redis_persistent.client() as client:
        client.set("after", "2")

    redis_persistent.kill()
    assert not redis_persistent.is_running()
    assert not port_is_open(port)
    redis_persistent.start()

    assert redis_persistent.port == port
    with redis_persistent.client() as client:
        assert client.get("before") == b"1"
        assert client.get("after") is None


def test_redis_without_persistence_comes_back_empty(redis_ephemeral: RedisServer) -> None:
    with redis_ephemeral.client() as client:
        client.set("key", "value")
    with pytest.raises(RuntimeError):
        redis_ephemeral.snapshot()
    redis_ephemeral.kill()
    redis_ephemeral.start()
    with redis_ephemeral.client() as client:
        assert client.dbsize() == 0


def test_hanging_smtp_server_never_sends_a_banner(hanging_smtp: HangingSmtpServer) -> None:
    started = time.monotonic()
    # smtplib turns the socket timeout while reading the banner into SMTPServerDisconnected.
    with pytest.raises(smtplib.SMTPServerDisconnected, match="timed out"):
        smtplib.SMTP("127.0.0.1", hanging_smtp.port, timeout=1)
    assert 0.9 < time.monotonic() - started < 5
    assert hanging_smtp.connections == 1


def test_smtp_inbox_can_start_later_on_a_port_chosen_earlier() -> None:
    port = free_port()
    with pytest.raises(ConnectionRefusedError):
        smtplib.SMTP("127.0.0.1", port, timeout=1)

    message = EmailMessage()
    message["From"] = "sender@example.com"
    message["To"] = "reader@example.com"
    message["Subject"] = "hello"
    message.set_content("body")
    with SmtpInbox(port) as inbox, smtplib.SMTP("127.0.0.1", port, timeout=5) as client:
        client.send_message(message)
        assert inbox.wait_for(1)[0]["Subject"] == "hello"
        assert len(inbox.to("reader@example.com")) == 1
    assert not port_is_open(port)


def test_production_gunicorn_on_the_cluster(
    postgres_cluster: PostgresCluster, redis_ephemeral: RedisServer
) -> None:
    postgres_cluster.upgrade_schema()
    env = production_env(postgres_cluster.url, redis_url=redis_ephemeral.url)
    with ProductionServer(env, workers=2) as server:
        health = server.healthz()
        assert health.status < 500 or health.status == 503
        assert server.session().request("GET", "/").status == 200

        # Sessions survive plain http (cookies not Secure-only in this harness).
        assert _register(server, "reader") == 302

        workers = server.worker_pids()
        assert len(workers) == 2
        killed = server.kill_worker(workers[0])
        replaced = server.wait_for_workers(exclude=[killed])
        assert killed not in replaced
        assert len(replaced) == 2

        recorder = LoadRecorder(server.url, [get("/"), get("/healthz")], total=20)
        samples = recorder.run()
        assert len(samples) == 20
        assert recorder.failures() == []
    assert server.process is None
    assert not port_is_open(server.port)


def test_load_recorder_sees_an_outage_only_inside_its_window(
    postgres_cluster: PostgresCluster,
) -> None:
    postgres_cluster.upgrade_schema()
    server = ProductionServer(production_env(postgres_cluster.url), workers=1)
    with (
        server,
        LoadRecorder(server.url, [get("/healthz")], duration=30, interval=0.02) as recorder,
    ):
        wait_until(lambda: len(recorder.samples) >= 5, 10, "traffic before the outage")
        with outage() as window:
            server.stop()
            wait_until(lambda: recorder.samples[-1].status is None, 10, "a failed request")
            server.start()
        wait_until(
            lambda: recorder.samples[-1].started > window.end, 10, "traffic after the outage"
        )
    assert any(sample.status is None for sample in recorder.samples)
    assert recorder.failures(outside=[window]) == []
    assert recorder.failures(outside=[Window(0, 0)]) != []


def test_mail_worker_delivers_to_the_inbox(
    postgres_cluster: PostgresCluster, redis_ephemeral: RedisServer
) -> None:
    postgres_cluster.upgrade_schema()
    env = production_env(postgres_cluster.url, redis_url=redis_ephemeral.url, mail_port=free_port())
    with ProductionServer(env, workers=1) as server, SmtpInbox(int(env["MAIL_PORT"])) as inbox:
        _register(server, "writer")
        reset = post("/auth/reset", {"email": "writer@example.com"}, form_page="/auth/reset")
        assert reset(server.session()).status == 302
        with MailWorker(env) as worker:
            messages = inbox.wait_for(1)
            assert worker.is_running()
            assert worker.stop() == 0
        assert any("writer@example.com" in str(m["To"]) for m in messages), worker.log()

"""Real components for fault-injection tests, each on 127.0.0.1 only and under the test's control.

Every class is a context manager (``with Thing(...) as thing:``) whose exit stops what it
started, also when the test fails, and has explicit methods to break and mend it mid-test:

- ``PostgresCluster``: a throwaway PostgreSQL 15 cluster (stop, start, read-only, kick clients).
- ``RedisServer``: redis-server, optionally with an explicit RDB snapshot to come back to.
- ``HangingSmtpServer``: accepts TCP connections and never says a word (no SMTP banner).
- ``SmtpInbox``: the real aiosmtpd server, started on a port chosen (and configured) earlier.
- ``ProductionServer``: gunicorn running ``wsgi:app`` in production config over plain http,
  with its workers' pids and a way to SIGKILL one.
- ``MailWorker``: ``flask mail worker`` as a subprocess.
- ``LoadRecorder``: bounded request traffic with (time, status) recorded for every request.

Nothing here talks to anything but loopback addresses, and every loop is bounded in time.
"""

from __future__ import annotations

import contextlib
import math
import os
import pwd
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Literal, Self

import psycopg
import redis
from aiosmtpd.controller import Controller

from tests.conftest import Inbox
from tests.helpers import (
    ROOT,
    GunicornServer,
    HttpResponse,
    HttpSession,
    app_free_environ,
    csrf_token,
    free_port,
    run_flask,
)

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
REDIS_SERVER = Path(os.environ.get("REDIS_SERVER", "/usr/bin/redis-server"))
SECRET_KEY = "fault-injection-production-secret-key-0123456789"


def postgres_available() -> bool:
    return (PG_BIN / "initdb").is_file() and (PG_BIN / "pg_ctl").is_file()


def redis_available() -> bool:
    return REDIS_SERVER.is_file()


def production_env(
    database_url: str,
    *,
    redis_url: str | None = None,
    mail_port: int | None = None,
    mail_timeout: int = 2,
    **extra: str,
) -> dict[str, str]:
    """The environment of the app in production config, for ``ProductionServer``/``MailWorker``.

    Plain http on loopback, so the session and remember cookies are not Secure-only
    (``FLASK_SESSION_COOKIE_SECURE=false``, ``FLASK_REMEMBER_COOKIE_SECURE=false``, the switch the
    README documents for trying production config over http): ``HttpSession``'s cookie jar never
    sends a Secure cookie over http, so a signed-in client would lose its session otherwise. The
    TLS tests (tests/integration/test_production_tls.py) keep covering the Secure flags.
    ``SITE_URL`` is filled in by ``ProductionServer`` (its own URL) unless given here.
    ``mail_port`` points the app at an SMTP server on 127.0.0.1 (no STARTTLS) with a short
    ``MAIL_TIMEOUT``, which may be a port where nothing listens yet. ``extra`` wins over all.
    """
    env = {
        "APP_ENV": "production",
        "SECRET_KEY": SECRET_KEY,
        "DATABASE_URL": database_url,
        "FLASK_SESSION_COOKIE_SECURE": "false",
        "FLASK_REMEMBER_COOKIE_SECURE": "false",
    }
    if redis_url is not None:
        env["REDIS_URL"] = redis_url
    if mail_port is not None:
        env |= {
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(mail_port),
            "MAIL_USE_TLS": "false",
            "MAIL_TIMEOUT": str(mail_timeout),
        }
    return env | extra


def wait_until(
    condition: Callable[[], bool], timeout: float, what: str, interval: float = 0.05
) -> None:
    """Poll ``condition`` until it holds; ``TimeoutError`` naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{what} did not happen within {timeout} s")
        time.sleep(interval)


def port_is_open(port: int) -> bool:
    """Whether something accepts TCP connections on 127.0.0.1:``port``."""
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


class _Managed:
    """Context-manager plumbing: ``__enter__`` calls ``start()``, ``__exit__`` calls ``close()``."""

    def start(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


# --------------------------------------------------------------------------------------------
# PostgreSQL


class PostgresCluster(_Managed):
    """A throwaway PostgreSQL cluster on 127.0.0.1 with database ``inkwell``, durability off.

    As root (as in CI) the cluster belongs to the ``postgres`` system user, created if missing,
    and the server commands run through ``runuser -u postgres --``, as scripts/test.sh does.
    That user must reach the cluster's folder, so ``tmp_dir`` must not sit under pytest's
    ``tmp_path`` (``/tmp/pytest-of-root`` is mode 0700); by default (``tmp_dir=None``) a folder
    of its own is made under the system temp dir and removed by ``close()``. A given ``tmp_dir``
    is kept; the cluster goes into ``tmp_dir/postgres``.

    The port is chosen once: ``start()`` after ``stop()`` comes back on the same port, so URLs
    handed to the app stay valid across an outage.
    """

    DATABASE = "inkwell"

    def __init__(self, tmp_dir: Path | None = None) -> None:
        self._own_dir = tmp_dir is None
        base = Path(tempfile.mkdtemp(prefix="inkwell-pg-")) if tmp_dir is None else tmp_dir
        self.base_dir = base
        self.home = base / "postgres"
        self.data_dir = self.home / "data"
        self.log_path = self.home / "server.log"
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{self.DATABASE}"
        # The libpq form, for psycopg directly (psql-style, no SQLAlchemy driver prefix).
        self.dsn = f"host=127.0.0.1 port={self.port} user=postgres dbname={self.DATABASE}"
        self._as_postgres: list[str] = []
        self._initialised = False
        self._database_created = False

    # -- lifecycle

    def start(self) -> None:
        """initdb (the first time) and start the server; creates database ``inkwell`` once."""
        if not self._initialised:
            self._initdb()
        if self.is_running():
            return
        options = (
            # A commit is acknowledged only once its WAL is written, as in production: the tests
            # stop this server with SIGQUIT ("immediate") and count acknowledged writes after.
            # fsync stays off: no test crashes the operating system under it.
            f"-p {self.port} -k {self.home} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=on -c full_page_writes=off"
        )
        self._pg_ctl("-l", str(self.log_path), "-w", "-t", "60", "start", "-o", options)
        if not self._database_created:
            with self.connect(dbname="postgres") as connection:
                connection.execute(f"CREATE DATABASE {self.DATABASE}")
                # set_read_only() probes with an INSERT here, out of the app's database.
                connection.execute("CREATE TABLE fault_probe (at timestamptz DEFAULT now())")
            self._database_created = True

    def stop(self, mode: Literal["smart", "fast", "immediate"] = "fast") -> None:
        """``pg_ctl stop -m MODE``: fast disconnects clients and shuts down cleanly; immediate
        is a crash (no checkpoint; the next start recovers from WAL)."""
        if self.is_running():
            self._pg_ctl("-m", mode, "-w", "-t", "60", "stop")

    def restart(self, mode: Literal["smart", "fast", "immediate"] = "fast") -> None:
        self.stop(mode)
        self.start()

    def close(self) -> None:
        """Stop (immediately: nothing here needs to survive) and remove what ``__init__`` made."""
        try:
            if self._initialised and self.is_running():
                self._pg_ctl("-m", "immediate", "-w", "-t", "60", "stop")
        finally:
            if self._own_dir:
                shutil.rmtree(self.base_dir, ignore_errors=True)

    def is_running(self) -> bool:
        if not self._initialised:
            return False
        status = subprocess.run(
            [*self._as_postgres, str(PG_BIN / "pg_ctl"), "-D", str(self.data_dir), "status"],
            capture_output=True,
            text=True,
            check=False,
        )
        return status.returncode == 0

    # -- faults

    def set_read_only(self, read_only: bool) -> None:
        """``ALTER SYSTEM SET default_transaction_read_only`` on/off, then ``pg_reload_conf()``.

        Returns once a NEW connection sees the setting (checked: an INSERT into a real table,
        ``fault_probe`` in database ``postgres``, is refused with ``ReadOnlySqlTransaction``
        when on, accepted when off; temporary tables stay writable in read-only transactions).

        Already-open connections see it too (measured on PostgreSQL 15, 150 of 150 idle
        connections in a loop, both directions): the postmaster signals every backend before
        it forks new ones, and an idle backend re-reads the configuration before it runs its
        next command, so once this method returns the NEXT transaction of every pooled
        connection is read-only (an INSERT fails with SQLSTATE 25006 ``ReadOnlySqlTransaction``,
        "cannot execute INSERT in a read-only transaction"). Not affected: a transaction
        already in progress (its read-only state is fixed when it begins: it can go on writing
        and commit) and a session that ran ``SET default_transaction_read_only`` itself. A
        read-only session can still run ``ALTER SYSTEM`` (it is no write to a table), so
        switching back off always works.
        """
        value = "on" if read_only else "off"
        with self.connect(options="-c default_transaction_read_only=off") as connection:
            connection.execute(f"ALTER SYSTEM SET default_transaction_read_only = {value}")
            connection.execute("SELECT pg_reload_conf()")
        wait_until(lambda: self._new_connection_is_read_only() == read_only, 10, "read-only")

    def _new_connection_is_read_only(self) -> bool:
        with self.connect(dbname="postgres") as connection:
            try:
                connection.execute("INSERT INTO fault_probe DEFAULT VALUES")
            except psycopg.errors.ReadOnlySqlTransaction:
                return True
        return False

    def terminate_connections(self, database: str | None = DATABASE) -> int:
        """``pg_terminate_backend`` for every client backend but this call's own, connected to
        ``database`` (``None``: any). Returns how many were terminated."""
        return self._over_clients(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity", database
        )

    def client_connections(self, database: str | None = DATABASE) -> int:
        """How many client backends are connected (to ``database``), not counting this check."""
        return self._over_clients("SELECT count(*) FROM pg_stat_activity", database)

    def _over_clients(self, select: str, database: str | None) -> int:
        """``select`` over the other client backends (of ``database``): a count."""
        query = select + " WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'"
        with self.connect(dbname="postgres") as connection:
            if database is None:
                row = connection.execute(query).fetchone()
            else:
                row = connection.execute(query + " AND datname = %s", (database,)).fetchone()
        assert row is not None
        return int(row[0])

    # -- helpers

    def connect(self, *, dbname: str = DATABASE, **kwargs: Any) -> psycopg.Connection[Any]:
        """A psycopg connection (autocommit unless ``autocommit=False``) as the ``postgres``
        superuser over TCP; ``kwargs`` go to ``psycopg.connect``."""
        kwargs.setdefault("connect_timeout", 5)
        kwargs.setdefault("autocommit", True)
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname=dbname, **kwargs
        )

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run one statement on a fresh autocommit connection; the rows if it returns any."""
        with self.connect() as connection:
            cursor = connection.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def upgrade_schema(self) -> None:
        """``flask --app wsgi db upgrade`` against this cluster (the real migrations)."""
        result = run_flask(self.url, "db", "upgrade")
        if result.returncode != 0:
            raise RuntimeError(f"flask db upgrade failed:\n{result.stdout}\n{result.stderr}")

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def _initdb(self) -> None:
        if os.geteuid() == 0:
            # initdb refuses to run as root: the cluster belongs to the postgres system user.
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                subprocess.run(
                    [
                        "useradd",
                        "--system",
                        "--no-create-home",
                        "--shell",
                        "/usr/sbin/nologin",
                        "postgres",
                    ],
                    check=True,
                )
            self._as_postgres = ["runuser", "-u", "postgres", "--"]
            self.base_dir.chmod(0o755)
            self.home.mkdir(parents=True, exist_ok=True)
            shutil.chown(self.home, user="postgres")
        else:
            self.home.mkdir(parents=True, exist_ok=True)
        initdb = [str(PG_BIN / "initdb"), "-D", str(self.data_dir), "-U", "postgres"]
        initdb += ["-A", "trust", "-E", "UTF8", "--no-sync"]
        result = subprocess.run(
            [*self._as_postgres, *initdb], capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"initdb failed in {self.data_dir} (the postgres user must be able to reach "
                f"it):\n{result.stdout}\n{result.stderr}"
            )
        self._initialised = True

    def _pg_ctl(self, *args: str) -> None:
        command = [*self._as_postgres, str(PG_BIN / "pg_ctl"), "-D", str(self.data_dir), *args]
        result = subprocess.run(
            command, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"pg_ctl {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}\n"
                f"server log:\n{self.log()[-3000:]}"
            )


# --------------------------------------------------------------------------------------------
# Redis


class RedisServer(_Managed):
    """``redis-server`` on a loopback port chosen once (``.url``), its files in ``tmp_dir``.

    Never saves by itself (``--save '' --appendonly no``). With ``persistence=True``,
    ``snapshot()`` writes ``dump.rdb`` (``SAVE``) at the moment the test chooses, and ``kill()``
    then ``start()`` comes back on the same port and folder with exactly that snapshot: what was
    written after it is lost, as after a crash. With ``persistence=False`` there is no snapshot
    and every ``start()`` begins empty (any ``dump.rdb`` is deleted first).
    """

    def __init__(self, tmp_dir: Path, persistence: bool) -> None:
        self.dir = tmp_dir
        self.persistence = persistence
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log_path = tmp_dir / f"redis-{self.port}.log"
        self.dump_path = tmp_dir / "dump.rdb"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start (again) on the same port and folder, loading ``dump.rdb`` if there is one."""
        if self.is_running():
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        if not self.persistence:
            self.dump_path.unlink(missing_ok=True)
        command = [
            str(REDIS_SERVER),
            "--bind",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--dir",
            str(self.dir),
            "--dbfilename",
            self.dump_path.name,
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--logfile",
            str(self.log_path),
        ]
        self.process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_until(self._answers, 10, f"redis-server on port {self.port} answering PING")

    def _answers(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(f"redis-server exited:\n{self.log()[-2000:]}")
        try:
            with self.client(socket_timeout=1) as client:
                # Still loading dump.rdb answers PING with an error (LOADING): not ready yet.
                return bool(client.ping())
        except redis.RedisError:
            return False

    def snapshot(self) -> None:
        """``SAVE``: write ``dump.rdb`` now; ``kill()`` + ``start()`` comes back to this state."""
        if not self.persistence:
            raise RuntimeError("snapshot() needs RedisServer(..., persistence=True)")
        with self.client() as client:
            client.save()

    def kill(self) -> None:
        """SIGKILL: no shutdown save, no goodbye to clients (their sockets are reset)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM: a clean shutdown (without saving: no save points are configured)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def restart(self) -> None:
        self.kill()
        self.start()

    def close(self) -> None:
        self.kill()

    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def client(self, **kwargs: Any) -> redis.Redis:
        """A redis-py client (use it in ``with``, which closes its connections)."""
        kwargs.setdefault("socket_timeout", 5)
        kwargs.setdefault("socket_connect_timeout", 5)
        return redis.Redis(host="127.0.0.1", port=self.port, db=0, **kwargs)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


# --------------------------------------------------------------------------------------------
# SMTP


class HangingSmtpServer(_Managed):
    """A TCP server on a free loopback port that accepts connections and never sends a byte.

    A client waiting for the SMTP banner hangs until its own timeout. Accepted sockets are kept
    open (and reads ignored) until ``close()``; ``.connections`` counts them.
    """

    def __init__(self) -> None:
        self.port = free_port()
        self.connections = 0
        self._listener: socket.socket | None = None
        self._accepted: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        self._thread = threading.Thread(target=self._serve, name="hanging-smtp", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        assert self._listener is not None
        while not self._stop.is_set():
            readable, _, _ = select.select([self._listener], [], [], 0.1)
            if not readable:
                continue
            try:
                connection, _ = self._listener.accept()
            except OSError:
                continue
            self._accepted.append(connection)
            self.connections += 1

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        for connection in self._accepted:
            connection.close()
        self._accepted.clear()
        if self._listener is not None:
            self._listener.close()
            self._listener = None


class SmtpInbox(_Managed):
    """The real SMTP server of tests/conftest.py (aiosmtpd + ``Inbox``) on a port given now.

    So a test can pick ``port = free_port()``, start the app with ``MAIL_PORT=port`` while
    nothing listens (the worker gets "connection refused"), and only later open the inbox with
    ``SmtpInbox(port)``. ``.messages`` are the parsed messages received.
    """

    def __init__(self, port: int | None = None) -> None:
        self.port = port if port is not None else free_port()
        self.inbox = Inbox()
        self._controller: Controller | None = None

    @property
    def messages(self) -> list[EmailMessage]:
        return self.inbox.messages

    def to(self, address: str) -> list[EmailMessage]:
        return self.inbox.to(address)

    def wait_for(self, count: int, timeout: float = 10) -> list[EmailMessage]:
        """Wait until at least ``count`` messages have arrived; all messages so far."""
        wait_until(lambda: len(self.messages) >= count, timeout, f"{count} message(s) arriving")
        return list(self.messages)

    def start(self) -> None:
        controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        controller.start()
        self._controller = controller

    def close(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


# --------------------------------------------------------------------------------------------
# The app: gunicorn and the mail worker


class ProductionServer(_Managed, GunicornServer):
    """``tests.helpers.GunicornServer`` (gunicorn ``wsgi:app``, gunicorn.conf.py) for faults.

    Differences from the base class:

    - the environment starts from ``production_env()``-style defaults (``APP_ENV=production``,
      a long ``SECRET_KEY``, ``SITE_URL`` = this server's own URL, cookies not Secure-only so
      that ``HttpSession`` keeps them over http), never inherits the app's settings from the
      shell, and ``env`` wins over all of it;
    - gunicorn's output goes to a log file (``log_path``, ``log()``), not to a pipe nobody
      reads: under a fault the error log grows fast, and a full pipe would block the workers;
    - ``start()`` waits only until gunicorn answers ``/healthz`` with any HTTP status (it may
      be 503 while the database is down, which is the point of some tests);
    - gunicorn's control socket is off (``--no-control-socket``; see ``__init__``);
    - ``worker_pids()``, ``kill_worker(pid)``, ``wait_for_workers(n)`` and ``stop()``.
    """

    def __init__(
        self, env: Mapping[str, str], workers: int = 2, *, log_path: Path | None = None
    ) -> None:
        super().__init__(dict(env), workers)
        # gunicorn 27 opens a control socket at one fixed path (~/.gunicorn/gunicorn.ctl) unless
        # told not to: two servers at once (two tests, or a developer's own) would share it.
        self.command.insert(self.command.index("wsgi:app"), "--no-control-socket")
        defaults = {
            "APP_ENV": "production",
            "SECRET_KEY": SECRET_KEY,
            "SITE_URL": self.url,
            "FLASK_SESSION_COOKIE_SECURE": "false",
            "FLASK_REMEMBER_COOKIE_SECURE": "false",
        }
        self.env = app_free_environ({**defaults, **env})
        self.workers = workers
        self._own_log = log_path is None
        if log_path is None:
            handle, name = tempfile.mkstemp(prefix="inkwell-gunicorn-", suffix=".log")
            os.close(handle)
            log_path = Path(name)
        self.log_path = log_path
        self._log_file: IO[bytes] | None = None

    def start(self, timeout: float = 30) -> None:
        """Start gunicorn; return once ``/healthz`` answers (any status) and all workers run."""
        if self.process is not None and self.process.poll() is None:
            return
        self._log_file = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.command,
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )
        process = self.process

        def answers() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log()[-3000:]}")
            try:
                self.healthz()
            except OSError:
                return False
            return True

        wait_until(answers, timeout, f"gunicorn answering /healthz on port {self.port}", 0.1)
        self.wait_for_workers(self.workers, timeout)

    def stop(self) -> None:
        """SIGTERM to the master (graceful stop of the workers), SIGKILL after 15 s."""
        if self.process is not None:
            if self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(timeout=10)
            self.process = None
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def close(self) -> None:
        workers = self._children()
        self.stop()
        # Workers that outlived a graceful stop (they get 5 s): ours, so ours to end.
        for pid in workers:
            if _is_alive(pid) and b"gunicorn" in _cmdline(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        if self._own_log:
            self.log_path.unlink(missing_ok=True)

    def session(self) -> HttpSession:
        return HttpSession(self.url)

    def healthz(self) -> HttpResponse:
        """GET /healthz (``OSError`` if nothing answers)."""
        return HttpSession(self.url).request("GET", "/healthz")

    def worker_pids(self) -> list[int]:
        """The pids of the live workers (children of the gunicorn master, zombies left out)."""
        return [pid for pid in self._children() if _is_alive(pid)]

    def _children(self) -> list[int]:
        if self.process is None or self.process.poll() is not None:
            return []
        pids: set[int] = set()
        for children in Path(f"/proc/{self.process.pid}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                pids.update(int(pid) for pid in children.read_text().split())
        return sorted(pids)

    def kill_worker(self, pid: int | None = None) -> int:
        """SIGKILL one worker (``pid``, default the first); the master will boot a new one."""
        workers = self.worker_pids()
        if pid is None:
            if not workers:
                raise RuntimeError("gunicorn has no live worker to kill")
            pid = workers[0]
        if pid not in workers:
            raise ValueError(f"{pid} is not a worker of this gunicorn (workers: {workers})")
        os.kill(pid, signal.SIGKILL)
        return pid

    def wait_for_workers(
        self, count: int | None = None, timeout: float = 30, exclude: Sequence[int] = ()
    ) -> list[int]:
        """Wait until ``count`` (default: as configured) live workers, none in ``exclude``."""
        wanted = self.workers if count is None else count

        def ready() -> bool:
            pids = self.worker_pids()
            return len(pids) == wanted and not set(pids) & set(exclude)

        wait_until(ready, timeout, f"{wanted} gunicorn workers")
        return self.worker_pids()

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _is_alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    # The state follows the parenthesised command name, which may itself contain spaces.
    return stat.rsplit(")", 1)[1].split()[0] not in {"Z", "X"}


class MailWorker(_Managed):
    """``python -m flask --app wsgi mail worker --poll 0.2`` in a subprocess, from the repo root.

    ``env`` is the app's environment (``production_env(...)``), on top of ``os.environ`` less
    the app's own settings; production needs a ``SITE_URL``, so links in its mail start with
    ``http://127.0.0.1:5000`` unless ``env`` names one. Output goes to ``log_path`` (``log()``).
    """

    def __init__(
        self, env: Mapping[str, str], *, poll: float = 0.2, log_path: Path | None = None
    ) -> None:
        self.env = app_free_environ({"SITE_URL": "http://127.0.0.1:5000", **env})
        self.command = [
            sys.executable,
            "-m",
            "flask",
            "--app",
            "wsgi",
            "mail",
            "worker",
            "--poll",
            str(poll),
        ]
        self._own_log = log_path is None
        if log_path is None:
            handle, name = tempfile.mkstemp(prefix="inkwell-mail-worker-", suffix=".log")
            os.close(handle)
            log_path = Path(name)
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None

    def start(self) -> None:
        if self.is_running():
            return
        self._log_file = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.command,
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )

    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 15) -> int:
        """SIGTERM and wait (SIGKILL after ``timeout`` s); the exit code (``-9`` if killed)."""
        if self.process is None:
            raise RuntimeError("the mail worker was not started")
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        return self.process.returncode

    def kill(self) -> None:
        """SIGKILL: the worker dies mid-whatever, as on a crash or an OOM kill."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def close(self) -> None:
        if self.process is not None:
            self.stop()
        if self._own_log:
            self.log_path.unlink(missing_ok=True)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


# --------------------------------------------------------------------------------------------
# Traffic

Action = Callable[[HttpSession], HttpResponse]


def get(path: str) -> Action:
    """An action for ``LoadRecorder``: GET ``path``."""

    def action(session: HttpSession) -> HttpResponse:
        return session.request("GET", path)

    action.__name__ = f"GET {path}"
    return action


def post(path: str, form: Mapping[str, str], *, form_page: str | None = None) -> Action:
    """An action: POST ``form`` to ``path``; with ``form_page``, GET that page first and send
    its CSRF token (a failed GET is what gets recorded then)."""

    def action(session: HttpSession) -> HttpResponse:
        data = dict(form)
        if form_page is not None:
            page = session.request("GET", form_page)
            if page.status != 200:
                return page
            data["csrf_token"] = csrf_token(page.text)
        return session.request("POST", path, data)

    action.__name__ = f"POST {path}"
    return action


@dataclass(frozen=True)
class Sample:
    """One request: when it started and ended (``time.monotonic()``), and what came back."""

    started: float
    ended: float
    action: str
    status: int | None  # None: no HTTP response at all (refused, reset, timed out)
    error: str | None = None

    @property
    def failed(self) -> bool:
        """A 5xx or no response."""
        return self.status is None or self.status >= 500


class LoadRecorder:
    """Requests in a loop, one after another, each recorded as a ``Sample``.

    ``actions`` run in turn (cycling) on one ``HttpSession`` (or ``session``, e.g. signed in).
    Bounded: stops after ``total`` requests or ``duration`` seconds, whichever comes first
    (at least one must be given; hard caps ``MAX_REQUESTS`` and ``MAX_SECONDS`` regardless).
    ``run()`` is synchronous; ``start()``/``stop()`` (or ``with``) run it in a thread while
    the test breaks things; ``outage()`` (or ``Window``) times a fault so that
    ``failures(outside=[window])`` checks "no 5xx or dropped request outside the outage".
    """

    MAX_REQUESTS = 5000
    MAX_SECONDS = 120.0

    def __init__(
        self,
        base_url: str,
        actions: Sequence[Action],
        *,
        total: int | None = None,
        duration: float | None = None,
        interval: float = 0.0,
        session: HttpSession | None = None,
    ) -> None:
        if not actions:
            raise ValueError("LoadRecorder needs at least one action")
        if total is None and duration is None:
            raise ValueError("LoadRecorder needs total= or duration= (loops are bounded)")
        self.session = session or HttpSession(base_url)
        self.actions = list(actions)
        self.total = min(total if total is not None else self.MAX_REQUESTS, self.MAX_REQUESTS)
        self.duration = min(
            duration if duration is not None else self.MAX_SECONDS, self.MAX_SECONDS
        )
        self.interval = interval
        self.samples: list[Sample] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._crash: BaseException | None = None

    def run(self) -> list[Sample]:
        deadline = time.monotonic() + self.duration
        for index in range(self.total):
            if self._stop.is_set() or time.monotonic() >= deadline:
                break
            action = self.actions[index % len(self.actions)]
            started = time.monotonic()
            try:
                response = action(self.session)
            except OSError as error:  # URLError, ConnectionResetError, TimeoutError…
                self.samples.append(
                    Sample(started, time.monotonic(), action.__name__, None, repr(error))
                )
            else:
                self.samples.append(
                    Sample(started, time.monotonic(), action.__name__, response.status)
                )
            if self.interval:
                self._stop.wait(self.interval)
        return self.samples

    def _run_in_thread(self) -> None:
        try:
            self.run()
        except BaseException as error:  # surfaced by stop(), never lost in the thread
            self._crash = error

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run_in_thread, name="load", daemon=True)
        self._thread.start()

    def stop(self) -> list[Sample]:
        """Stop after the request in flight (at most its 30 s timeout); all samples."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60)
            if self._thread.is_alive():
                raise RuntimeError("the load thread did not stop within 60 s")
        if self._crash is not None:
            raise self._crash
        return self.samples

    def wait(self, timeout: float | None = None) -> list[Sample]:
        """Wait for the loop to finish by itself (``total``/``duration``); all samples."""
        if self._thread is not None:
            self._thread.join(timeout=timeout if timeout is not None else self.duration + 60)
        return self.stop()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def failures(self, *, outside: Sequence[Window] = (), grace: float = 0.0) -> list[Sample]:
        """Samples with a 5xx or no response, except those that overlap one of the fault
        windows in ``outside`` stretched by ``grace`` seconds after its end (time to recover)."""
        return [
            sample
            for sample in self.samples
            if sample.failed
            and not any(
                sample.started <= window.end + grace and sample.ended >= window.start
                for window in outside
            )
        ]

    def statuses(self) -> dict[int | None, int]:
        """How many samples per status (``None``: no response)."""
        counts: dict[int | None, int] = {}
        for sample in self.samples:
            counts[sample.status] = counts.get(sample.status, 0) + 1
        return counts


@dataclass
class Window:
    """A stretch of time on the samples' clock (``time.monotonic()``): when a fault was on."""

    start: float
    end: float = math.inf

    def close(self) -> None:
        self.end = time.monotonic()


@contextlib.contextmanager
def outage() -> Iterator[Window]:
    """Time a fault: ``with outage() as window: <break it> ... <mend it>``, then
    ``recorder.failures(outside=[window])``. For a fault that spans code in several places,
    ``window = Window(time.monotonic())`` ... ``window.close()`` does the same."""
    window = Window(time.monotonic())
    try:
        yield window
    finally:
        window.close()

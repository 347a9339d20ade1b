"""Fixtures for the fault-injection suite: real servers on 127.0.0.1 that a test can break.

The tests carry ``@pytest.mark.faults`` themselves. Every fixture stops what it started, also
when the test fails; a missing server binary skips the test, or fails it under CI=true
(``tests.helpers.require``). The classes behind the fixtures are in ``tests/faults/components.py``;
use them directly for anything a fixture does not cover (a second Redis, an ``SmtpInbox`` opened
mid-test, ``ProductionServer``, ``MailWorker``, ``LoadRecorder``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.components import (
    REDIS_SERVER,
    HangingSmtpServer,
    PostgresCluster,
    RedisServer,
    postgres_available,
    redis_available,
)
from tests.helpers import require


@pytest.fixture
def postgres_cluster() -> Iterator[PostgresCluster]:
    """A fresh PostgreSQL 15 cluster with an empty database ``inkwell`` (no schema: call
    ``upgrade_schema()``), on its own port, stopped and removed after the test."""
    require(postgres_available(), "PostgreSQL server binaries (initdb, pg_ctl)")
    with PostgresCluster() as cluster:
        yield cluster


@pytest.fixture
def redis_persistent(tmp_path: Path) -> Iterator[RedisServer]:
    """redis-server that keeps what ``snapshot()`` saved across ``kill()`` + ``start()``."""
    require(redis_available(), f"redis-server ({REDIS_SERVER})")
    with RedisServer(tmp_path / "redis-persistent", persistence=True) as server:
        yield server


@pytest.fixture
def redis_ephemeral(tmp_path: Path) -> Iterator[RedisServer]:
    """redis-server without persistence: every ``start()`` after ``kill()`` begins empty."""
    require(redis_available(), f"redis-server ({REDIS_SERVER})")
    with RedisServer(tmp_path / "redis-ephemeral", persistence=False) as server:
        yield server


@pytest.fixture
def hanging_smtp() -> Iterator[HangingSmtpServer]:
    """A port that accepts SMTP connections and never sends the banner."""
    with HangingSmtpServer() as server:
        yield server

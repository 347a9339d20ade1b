"""gunicorn.conf.py read the way gunicorn reads it, with the environment .env.example gives."""

from __future__ import annotations

import gc
import runpy
import weakref
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def example_environment() -> dict[str, str]:
    """Every ``GUNICORN_*`` line of .env.example as written (empty values included)."""
    lines = (ROOT / ".env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line.startswith("GUNICORN_"))


def settings(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> dict[str, Any]:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_the_example_environment_gives_working_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    env = example_environment()
    assert {"GUNICORN_WORKERS", "GUNICORN_MAX_REQUESTS", "GUNICORN_ACCESS_LOG"} <= env.keys()
    conf = settings(monkeypatch, env)
    assert conf["workers"] >= 3  # 2 x cores + 1
    assert conf["preload_app"] is True
    assert conf["max_requests"] == 0  # no recycling unless asked
    assert conf["accesslog"] is None  # nginx logs requests


def test_recycling_and_the_access_log_are_there_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    conf = settings(
        monkeypatch,
        {"GUNICORN_WORKERS": "2", "GUNICORN_MAX_REQUESTS": "5000", "GUNICORN_ACCESS_LOG": "-"},
    )
    assert (conf["workers"], conf["max_requests"], conf["max_requests_jitter"]) == (2, 5000, 500)
    assert conf["accesslog"] == "-"


def test_workers_fork_from_a_frozen_heap(monkeypatch: pytest.MonkeyPatch) -> None:
    """``pre_fork`` moves what the preloaded master built to the collector's permanent
    generation: a worker's full collections then skip it (an 85 ms stall otherwise)."""
    conf = settings(monkeypatch, example_environment())
    kept = [object() for _ in range(10)]  # something the master holds

    class Node:
        pass

    dead = Node()
    dead.itself = dead  # type: ignore[attr-defined]  (a cycle nothing refers to any more)
    gone = weakref.ref(dead)
    del dead
    gc.unfreeze()
    before = gc.get_freeze_count()
    try:
        conf["pre_fork"](None, None)
        assert gc.get_freeze_count() > before + len(kept)
        assert gone() is None, "dead cycles are collected, not frozen for good"
    finally:
        gc.unfreeze()

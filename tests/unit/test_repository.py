"""The repository stands alone: nothing in it points at files that live outside it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Spelled in pieces so that this file does not match itself.
OUTSIDE = ("SECURITY" + ".md", ".." + "/shared", "/work" + "/shared")


def _tracked_text_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    files = [ROOT / name.decode() for name in listed if name]
    return [path for path in files if path.is_file() and b"\0" not in path.read_bytes()[:4096]]


def test_no_file_points_outside_the_repository() -> None:
    files = _tracked_text_files()
    if not files:
        pytest.fail("git ls-files listed nothing: run the suite from a git checkout")
    offenders = [
        f"{path.relative_to(ROOT)}: {needle}"
        for path in files
        for needle in OUTSIDE
        if needle in path.read_text(errors="replace")
    ]
    assert offenders == []

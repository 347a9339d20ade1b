"""Cost of one password verification with the configured argon2id parameters (and neighbours).

Prints a table; run with `make bench`. Not a test: numbers depend on the machine.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import time

from argon2 import PasswordHasher, Type
from argon2.exceptions import VerifyMismatchError

from config import ProductionConfig

ROUNDS = 25
CANDIDATES = [
    (
        "OWASP floor (production)",
        ProductionConfig.PASSWORD_HASH_TIME_COST,
        ProductionConfig.PASSWORD_HASH_MEMORY_KIB,
        ProductionConfig.PASSWORD_HASH_PARALLELISM,
    ),
    ("OWASP alternative", 1, 47104, 1),
    ("argon2-cffi default (RFC 9106 low-mem)", 3, 65536, 4),
]


def measure(time_cost: int, memory_kib: int, parallelism: int) -> list[float]:
    hasher = PasswordHasher(
        time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID
    )
    stored = hasher.hash("correct horse battery staple")
    samples = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        with contextlib.suppress(VerifyMismatchError):
            hasher.verify(stored, "wrong guess")
        samples.append(time.perf_counter() - started)
    return samples


ROW = "{:<40} {:>2} {:>8} {:>2} {:>8} {:>8} {:>8}"


def main() -> None:
    print(f"argon2id verify, {ROUNDS} rounds each, {os.cpu_count()} CPU(s)\n")
    print(ROW.format("parameters", "t", "m (KiB)", "p", "p50 ms", "p95 ms", "/s/core"))
    for label, t, m, p in CANDIDATES:
        samples = sorted(measure(t, m, p))
        p50 = statistics.median(samples)
        p95 = samples[int(len(samples) * 0.95) - 1]
        print(
            ROW.format(label, t, m, p, f"{p50 * 1000:.1f}", f"{p95 * 1000:.1f}", f"{1 / p50:.0f}")
        )


if __name__ == "__main__":
    main()

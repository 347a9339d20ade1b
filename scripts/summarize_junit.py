"""Print one line per test run and a combined closing line from pytest's JUnit XML reports."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def counts(report: Path) -> tuple[int, int, int]:
    root = ET.parse(report).getroot()  # noqa: S314  (our own pytest output)
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    total = sum(int(s.get("tests", 0)) for s in suites)
    failed = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
    skipped = sum(int(s.get("skipped", 0)) for s in suites)
    return total - failed - skipped, failed, skipped


def main(paths: list[str]) -> int:
    reports = [Path(p) for p in paths if Path(p).exists()]
    if not reports:
        print("no test report found", file=sys.stderr)
        return 1
    totals = [0, 0, 0]
    print()
    for report in reports:
        passed, failed, skipped = counts(report)
        print(f"  {report.stem:<11} {passed} passed, {failed} failed, {skipped} skipped")
        totals = [totals[0] + passed, totals[1] + failed, totals[2] + skipped]
    print(f"total: {totals[0]} passed, {totals[1]} failed, {totals[2]} skipped")
    return 1 if totals[1] or totals[0] == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""CSV that a spreadsheet opens as text: OWASP's CSV-injection defences, all of them.

A cell a spreadsheet reads as a formula can run commands or leak data (``=HYPERLINK(…)``,
``=cmd|' /C calc'!A0``). Following https://owasp.org/www-community/attacks/CSV_Injection:

- every field is quoted and embedded quotes are doubled (``csv.QUOTE_ALL``), so a separator
  inside a value never starts a new cell for a reader that splits on ``,``;
- a cell that begins with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a leading
  ``'``, which makes a spreadsheet read it as text. Leading whitespace, line feeds and quotes
  are skipped before looking, since spreadsheets trim them, and the full-width forms
  (U+FF1D, U+FF0B, U+FF0D, U+FF20) count too, since some spreadsheets normalize them to ASCII;
- a reader using another separator (``;`` in many locales, tab, ``|``) or ignoring quotes
  could still start a cell in the middle of a value: a ``'`` also goes before any formula
  character that follows such a separator, a quote or a line break.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator

FORMULA_START = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")
# Skipped before the first character is looked at: what spreadsheets trim or unquote.
LEADING = " \t\r\n\"'\u00a0\u3000"
# Where a reader with another separator, or none of our quoting, could start a new cell.
SMUGGLED = re.compile('([,;\t|\r\n"][ \u00a0\u3000]*)([=+\\-@\uff1d\uff0b\uff0d\uff20])')


def defuse(value: str) -> str:
    """``value`` as a cell no spreadsheet evaluates."""
    value = SMUGGLED.sub(r"\1'\2", value)
    first = value.lstrip(LEADING)[:1]
    if first in FORMULA_START or value[:1] in ("\t", "\r"):
        return "'" + value
    return value


def csv_lines(rows: Iterable[Iterable[str]]) -> Iterator[str]:
    """Each row as one CSV line, every cell quoted and defused, ready to stream."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
    for row in rows:
        writer.writerow([defuse(cell) for cell in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()

"""Unicode TR39 confusable skeletons: two strings that look alike have the same skeleton.

The data is Unicode's ``confusables.txt`` as shipped by the ``confusable-homoglyphs`` package,
which keeps it as a two-way map: every source character lists the prototype it is confused with,
and every prototype lists its sources (right-to-left characters are wrapped in U+200E marks).
TR39 maps each character to its prototype; the data is closed (a prototype is never a source), so
the map is a set of stars, one prototype amid its sources. Where a star has only two members the
two-way map cannot tell which one is the prototype: we pick one of them for both, consistently.
The skeletons are then not always TR39's own strings, but two strings have equal skeletons here
exactly when they have equal TR39 skeletons, and equality is all they are used for.
"""

from __future__ import annotations

import functools
import unicodedata

from confusable_homoglyphs import confusables

_DIRECTION_MARKS = str.maketrans("", "", "\u200e\u200f")


@functools.cache
def _homoglyphs() -> dict[str, tuple[str, ...]]:
    """Every character or string of the data, with what it is confusable with."""
    table: dict[str, tuple[str, ...]] = {}
    for key, entries in confusables.confusables_data.items():
        glyphs = tuple(entry["c"].translate(_DIRECTION_MARKS) for entry in entries)
        name = key.translate(_DIRECTION_MARKS)
        table[name] = table.get(name, ()) + glyphs
    return table


@functools.cache
def _prototype(char: str) -> str:
    """The (representative of the) TR39 prototype of one character."""
    glyphs = _homoglyphs().get(char, ())
    if len(glyphs) != 1:
        return char  # not confusable, or a prototype amid several sources
    (only,) = glyphs
    if len(only) > 1:
        return "".join(_prototype(part) for part in only)  # e.g. "m" → "rn"
    if len(_homoglyphs().get(only, ())) > 1:
        return only  # a source, and ``only`` is the prototype of several
    return min(char, only)  # a star of two: either may be the prototype


def skeleton(text: str) -> str:
    """TR39 ``skeleton(text)``: NFD, each character replaced by its prototype, NFD again."""
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFD", "".join(_prototype(char) for char in decomposed))

"""What each MRZ character position may hold, per ICAO 9303 format.

OCR repair needs to know whether an ambiguous glyph (O or 0, B or 8) sits in a date, a
name or an alphanumeric field; the parser reads fields by slicing and does not need this.
"""

from __future__ import annotations

from enum import Enum

from models.documents import MrzFormat


class Kind(Enum):
    DIGIT = "digit"
    LETTER = "letter"
    NAME = "name"
    ANY = "any"


def _spans(width: int, spans: list[tuple[int, int, Kind]]) -> tuple[Kind, ...]:
    kinds = [Kind.ANY] * width
    for start, end, kind in spans:
        for i in range(start, end):
            kinds[i] = kind
    return tuple(kinds)


_D, _L, _N, _A = Kind.DIGIT, Kind.LETTER, Kind.NAME, Kind.ANY
_TD2_TD3_LINE2 = [(0, 9, _A), (9, 10, _D), (10, 13, _L), (13, 20, _D), (20, 21, _L), (21, 28, _D)]

_LAYOUT: dict[MrzFormat, tuple[tuple[Kind, ...], ...]] = {
    MrzFormat.TD1: (
        _spans(30, [(0, 5, _L), (5, 14, _A), (14, 15, _D), (15, 30, _A)]),
        _spans(30, [(0, 7, _D), (7, 8, _L), (8, 15, _D), (15, 18, _L), (18, 29, _A), (29, 30, _D)]),
        _spans(30, [(0, 30, _N)]),
    ),
    MrzFormat.TD2: (
        _spans(36, [(0, 5, _L), (5, 36, _N)]),
        _spans(36, [*_TD2_TD3_LINE2, (28, 35, _A), (35, 36, _D)]),
    ),
    MrzFormat.TD3: (
        _spans(44, [(0, 5, _L), (5, 44, _N)]),
        _spans(44, [*_TD2_TD3_LINE2, (28, 42, _A), (42, 44, _D)]),
    ),
}


def field_kinds(fmt: MrzFormat) -> tuple[tuple[Kind, ...], ...]:
    return _LAYOUT[fmt]

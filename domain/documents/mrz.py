"""ICAO 9303 machine-readable zone parsing (TD1 cards, TD2, TD3 passports).

Structure problems (line count, length, alphabet) are raised as `MrzSyntaxError` because no
field can be trusted once positions shift; the API turns them into a 422 before a workflow
starts. Check-digit failures are *not* errors: the fields are still readable and a failure
is evidence (a typo, an OCR slip or a forgery) that an officer must weigh, so they are
reported in `MrzData.check_digit_failures` and become findings in the verifier.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from domain.documents.countries import icao_to_alpha2
from models.documents import MrzData, MrzFormat

FILLER = "<"
ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<")
_WEIGHTS = (7, 3, 1)
LAYOUTS: dict[MrzFormat, tuple[int, int]] = {
    MrzFormat.TD1: (3, 30),
    MrzFormat.TD2: (2, 36),
    MrzFormat.TD3: (2, 44),
}
_FIRST_LETTERS = frozenset("PVIAC")


class MrzSyntaxError(ValueError):
    """The text is not shaped like an MRZ, so no field position can be relied on."""


def char_value(char: str) -> int:
    if char.isdigit():
        return int(char)
    if "A" <= char <= "Z":
        return ord(char) - ord("A") + 10
    if char == FILLER:
        return 0
    raise ValueError(f"character {char!r} is not allowed in an MRZ")


def check_digit(data: str) -> str:
    """ICAO 9303 part 3 check digit: weights 7-3-1 repeated, sum modulo 10."""
    total = sum(char_value(c) * _WEIGHTS[i % 3] for i, c in enumerate(data))
    return str(total % 10)


def split_lines(text: str) -> list[str]:
    """Normalise pasted text: CRLF, surrounding blanks, and a single unbroken line."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if len(lines) == 1:
        joined = lines[0]
        for fmt in (MrzFormat.TD3, MrzFormat.TD2, MrzFormat.TD1):
            count, width = LAYOUTS[fmt]
            if len(joined) == count * width:
                return [joined[i * width : (i + 1) * width] for i in range(count)]
    return lines


def _expected_format(lines: list[str]) -> MrzFormat:
    if len(lines) == 3:
        return MrzFormat.TD1
    first = len(lines[0]) if lines else 0
    return MrzFormat.TD2 if abs(first - 36) < abs(first - 44) else MrzFormat.TD3


def _syntax_problem(lines: list[str]) -> tuple[str | None, MrzFormat]:
    if not lines:
        return "MRZ is empty", MrzFormat.TD3
    if len(lines) not in (2, 3):
        return (
            f"MRZ has {len(lines)} line(s); expected 3 lines of 30 (TD1), "
            "2 lines of 36 (TD2) or 2 lines of 44 (TD3)",
            MrzFormat.TD3,
        )
    fmt = _expected_format(lines)
    count, width = LAYOUTS[fmt]
    for number, line in enumerate(lines, start=1):
        if len(line) != width:
            return (
                f"line {number} has {len(line)} characters, expected {width} "
                f"for {fmt.value} ({count} lines of {width})",
                fmt,
            )
    for number, line in enumerate(lines, start=1):
        bad = [(i + 1, c) for i, c in enumerate(line) if c not in ALPHABET]
        if bad:
            shown = ", ".join(f"{pos} ({c!r})" for pos, c in bad[:5])
            more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
            return (
                f"line {number} has characters outside A-Z, 0-9 and '<' at position(s) "
                f"{shown}{more}",
                fmt,
            )
    if lines[0][0] not in _FIRST_LETTERS:
        return (
            f"line 1 position 1 is {lines[0][0]!r}; a document code starts with P, V, I, A or C",
            fmt,
        )
    return None, fmt


def mrz_syntax_error(text: str) -> str | None:
    """Why the text cannot be parsed as an MRZ, or None; cheap enough for request validation."""
    problem, _ = _syntax_problem(split_lines(text))
    return problem


@dataclass(frozen=True, slots=True)
class CheckDigit:
    field: str
    found: str
    expected: str
    value: str

    @property
    def ok(self) -> bool:
        if self.found == self.expected:
            return True
        # A filler check digit is allowed over an all-filler field (e.g. no personal number).
        return self.found == FILLER and set(self.value) <= {FILLER}


@dataclass(frozen=True, slots=True)
class ParsedMrz:
    """Parser output with the raw pieces the verifier needs beyond `MrzData`."""

    data: MrzData
    checks: list[CheckDigit] = field(default_factory=list)
    birth_raw: str = ""
    lines: tuple[str, ...] = ()

    @property
    def failed_checks(self) -> list[CheckDigit]:
        return [c for c in self.checks if not c.ok]


def _date(raw: str, year: int) -> dt.date | None:
    try:
        return dt.date(year, int(raw[2:4]), int(raw[4:6]))
    except ValueError:
        return None


def birth_date(raw: str, as_of: dt.date) -> dt.date | None:
    """Birth dates lie in the past: take the latest century that is not after `as_of`."""
    if not re.fullmatch(r"\d{6}", raw):
        return None
    yy = int(raw[:2])
    candidate = _date(raw, 2000 + yy)
    if candidate is not None and candidate <= as_of:
        return candidate
    return _date(raw, 1900 + yy)


def expiry_date(raw: str, as_of: dt.date) -> dt.date | None:
    """Expiry dates fall within ~50 years either side of `as_of` (documents last ≤ 15)."""
    if not re.fullmatch(r"\d{6}", raw):
        return None
    yy = int(raw[:2])
    year = 2000 + yy if 2000 + yy <= as_of.year + 49 else 1900 + yy
    return _date(raw, year)


def _names(field_text: str) -> tuple[str, str, bool]:
    truncated = not field_text.endswith(FILLER)
    primary, _, secondary = field_text.partition(FILLER * 2)

    def clean(part: str) -> str:
        return " ".join(part.replace(FILLER, " ").split())

    return clean(primary), clean(secondary), truncated


def _sex(char: str) -> str:
    return "X" if char == FILLER else char


def _overflow(number: str, check: str, optional: str) -> tuple[str, str, str]:
    """TD1/TD2 long document numbers: a filler check digit means the number continues in the
    optional data, whose last character before the next filler is the real check digit."""
    if check != FILLER or optional[:1] in ("", FILLER):
        return number, check, optional
    tail, _, rest = optional.partition(FILLER)
    return number + tail[:-1], tail[-1], rest


def _state(code: str) -> str:
    return code.replace(FILLER, "")


def parse_mrz_detailed(text: str, *, as_of: dt.date | None = None) -> ParsedMrz:
    lines = split_lines(text)
    problem, fmt = _syntax_problem(lines)
    if problem is not None:
        raise MrzSyntaxError(problem)
    today = as_of or dt.date.today()
    if fmt is MrzFormat.TD1:
        l1, l2, l3 = lines
        code, state = l1[0:2], l1[2:5]
        number, number_check, opt1 = _overflow(l1[5:14], l1[14], l1[15:30])
        birth, birth_check, sex = l2[0:6], l2[6], l2[7]
        expiry, expiry_check, nationality = l2[8:14], l2[14], l2[15:18]
        optional = " ".join(p for p in (opt1.strip(FILLER), l2[18:29].strip(FILLER)) if p)
        composite_over = l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29]
        composite = l2[29]
        name_field = l3
        personal: CheckDigit | None = None
    else:
        l1, l2 = lines
        code, state, name_field = l1[0:2], l1[2:5], l1[5:]
        birth, birth_check, sex = l2[13:19], l2[19], l2[20]
        expiry, expiry_check, nationality = l2[21:27], l2[27], l2[10:13]
        if fmt is MrzFormat.TD3:
            number, number_check = l2[0:9], l2[9]
            optional_raw = l2[28:42]
            personal = CheckDigit("optional_data", l2[42], check_digit(optional_raw), optional_raw)
            composite_over, composite = l2[0:10] + l2[13:20] + l2[21:43], l2[43]
        else:
            number, number_check, optional_raw = _overflow(l2[0:9], l2[9], l2[28:35])
            personal = None
            composite_over, composite = l2[0:10] + l2[13:20] + l2[21:35], l2[35]
        optional = optional_raw.strip(FILLER)
    checks = [
        CheckDigit("document_number", number_check, check_digit(number), number),
        CheckDigit("date_of_birth", birth_check, check_digit(birth), birth),
        CheckDigit("expiry_date", expiry_check, check_digit(expiry), expiry),
    ]
    if personal is not None:
        checks.append(personal)
    checks.append(CheckDigit("composite", composite, check_digit(composite_over), composite_over))
    surname, given, truncated = _names(name_field)
    nationality_code = _state(nationality)
    data = MrzData(
        format=fmt,
        document_code=code.replace(FILLER, ""),
        issuing_state=_state(state),
        surname=surname,
        given_names=given,
        document_number=number.replace(FILLER, ""),
        nationality=nationality_code,
        nationality_alpha2=icao_to_alpha2(nationality_code),
        date_of_birth=birth_date(birth, today),
        sex=_sex(sex),
        expiry_date=expiry_date(expiry, today),
        optional_data=optional,
        check_digit_failures=[c.field for c in checks if not c.ok],
        names_truncated=truncated,
    )
    return ParsedMrz(data=data, checks=checks, birth_raw=birth, lines=tuple(lines))


def parse_mrz(text: str, *, as_of: dt.date | None = None) -> MrzData:
    """Parse an MRZ; `as_of` fixes the century window so results are replay-deterministic."""
    return parse_mrz_detailed(text, as_of=as_of).data

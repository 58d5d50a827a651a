"""Turn per-character OCR evidence into an MRZ reading that never claims more than it knows.

The OCR step gives, for every MRZ position, the characters it saw with a probability (the
LSTM's own alternatives, pooled over several renderings of the same line). This module
decides what the MRZ says, and how sure that is:

- Position kinds (digits in dates, letters in codes and names) narrow each position's
  options; a letter read where only a digit may stand is mapped to its look-alike digit.
- Every check-digit-protected field is solved over the plausible options of its positions:
  each combination that satisfies the check digit is a reading, weighted by the product of
  its characters' probabilities. Readings at least 1/`_RIVAL_RATIO` as likely as the best
  are rivals; the composite check digit then prunes combinations across fields.
  One surviving reading that differs from the OCR's top choice is a *correction* (reported
  per field); more than one surviving reading is *ambiguous* (reported, never valid). This
  is what stops two look-alike swaps that cancel in the 7-3-1 sum (O->0 at weights 7 and 3)
  from passing as a clean read: the OCR evidence for the other reading makes it a rival.
- Fields no check digit covers (names, state codes, sex, document code) are *uncertain*
  when any character is weakly read or has a strong rival; state codes must also be ISO
  3166 alpha-3 or an ICAO special code, and a rival reading that is also a known code makes
  the field uncertain (AUT/AUS), while an unknown code with exactly one known rival is
  corrected to it (UPN->JPN when the OCR saw J as an option).

`valid` is true only when every check digit passes and nothing was ambiguous, uncertain or
corrected: a correction is the reader's best guess, not what it read (the frozen benchmark
had one correction that passed every check digit and was wrong), so it goes to a person.
"""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from domain.documents.countries import is_known_code
from domain.documents.layout import Kind, field_kinds
from domain.documents.mrz import ALPHABET, FILLER, LAYOUTS, char_value
from models.documents import MrzFormat

_TO_DIGIT = {"O": "0", "Q": "0", "D": "0", "U": "0", "I": "1", "L": "1", "Z": "2"}
_TO_DIGIT |= {"S": "5", "G": "6", "B": "8", "T": "7", "A": "4"}
_TO_LETTER = {"0": "O", "1": "I", "2": "Z", "5": "S", "6": "G", "8": "B", "4": "A", "7": "T"}
_LOOKALIKE = {"O": "0Q", "0": "OD", "Q": "O0", "D": "0O", "I": "1L", "1": "I", "L": "1I"}
_LOOKALIKE |= {"S": "5", "5": "S", "B": "8", "8": "B", "Z": "2", "2": "Z", "G": "6C"}
_LOOKALIKE |= {"6": "G", "C": "G", "U": "V", "V": "U"}
_OPTION_FLOOR = 0.06
"""An alternative below this probability is not considered at all."""
_RIVAL_RATIO = 25.0
"""A reading this many times less likely than the best no longer counts as a rival."""
_WEAK = 0.80
"""Top probability below which an unprotected character is uncertain."""
_STRONG_RIVAL = 0.12
"""An alternative this probable makes an unprotected character uncertain."""
_MAX_COMBINATIONS = 4096
"""Per field: combinations tried (the most certain positions keep only their top option
beyond this). Bounded so a page of garbage costs milliseconds, not minutes."""
_MAX_LOOSE = 256
"""Combinations of the positions only the composite protects (TD1 optional data)."""
_MAX_COMPOSITE = 5000
"""Total composite trials over all combinations of the fields' rival readings."""
_TWIN_PRIOR = 0.02
"""Prior of a look-alike the OCR did not offer, used only when nothing offered passes."""


@dataclass(frozen=True, slots=True)
class Cell:
    """What the OCR saw at one MRZ position: options with probabilities, best first."""

    options: tuple[tuple[str, float], ...]

    @property
    def top(self) -> str:
        return self.options[0][0] if self.options else FILLER

    @property
    def top_p(self) -> float:
        return self.options[0][1] if self.options else 0.0


def pool(reads: Sequence[Cell]) -> Cell:
    """Average several readings of one position (a missing reading counts as no vote)."""
    totals: dict[str, float] = {}
    for cell in reads:
        for char, p in cell.options:
            totals[char] = totals.get(char, 0.0) + p
    norm = sum(totals.values()) or 1.0
    ranked = sorted(((c, p / norm) for c, p in totals.items()), key=lambda x: (-x[1], x[0]))
    return Cell(tuple(ranked))


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    spots: tuple[tuple[int, int], ...]
    check: tuple[int, int]


def _protected(fmt: MrzFormat) -> tuple[list[_Field], _Field]:
    def span(row: int, a: int, b: int) -> tuple[tuple[int, int], ...]:
        return tuple((row, i) for i in range(a, b))

    if fmt is MrzFormat.TD1:
        fields = [
            _Field("document_number", span(0, 5, 14), (0, 14)),
            _Field("date_of_birth", span(1, 0, 6), (1, 6)),
            _Field("expiry_date", span(1, 8, 14), (1, 14)),
        ]
        composite = span(0, 5, 30) + span(1, 0, 7) + span(1, 8, 15) + span(1, 18, 29)
        return fields, _Field("composite", composite, (1, 29))
    fields = [
        _Field("document_number", span(1, 0, 9), (1, 9)),
        _Field("date_of_birth", span(1, 13, 19), (1, 19)),
        _Field("expiry_date", span(1, 21, 27), (1, 27)),
    ]
    if fmt is MrzFormat.TD3:
        fields.append(_Field("optional_data", span(1, 28, 42), (1, 42)))
        composite = span(1, 0, 10) + span(1, 13, 20) + span(1, 21, 43)
        return fields, _Field("composite", composite, (1, 43))
    composite = span(1, 0, 10) + span(1, 13, 20) + span(1, 21, 35)
    return fields, _Field("composite", composite, (1, 35))


def _unprotected(fmt: MrzFormat) -> list[tuple[str, tuple[tuple[int, int], ...]]]:
    def span(row: int, a: int, b: int) -> tuple[tuple[int, int], ...]:
        return tuple((row, i) for i in range(a, b))

    if fmt is MrzFormat.TD1:
        return [
            ("document_code", span(0, 0, 2)),
            ("issuing_state", span(0, 2, 5)),
            ("sex", span(1, 7, 8)),
            ("nationality", span(1, 15, 18)),
            ("names", span(2, 0, 30)),
        ]
    width = LAYOUTS[fmt][1]
    return [
        ("document_code", span(0, 0, 2)),
        ("issuing_state", span(0, 2, 5)),
        ("names", span(0, 5, width)),
        ("nationality", span(1, 10, 13)),
        ("sex", span(1, 20, 21)),
    ]


def _allowed(char: str, kind: Kind) -> bool:
    if char == FILLER:
        return True
    if kind is Kind.DIGIT:
        return char.isdigit()
    if kind in (Kind.LETTER, Kind.NAME):
        return char.isalpha()
    return True


def _options(cell: Cell, kind: Kind) -> list[tuple[str, float]]:
    """Plausible characters for one position given its kind, most likely first."""
    merged: dict[str, float] = {}
    for char, p in cell.options:
        target = char
        if not _allowed(char, kind):
            table = _TO_DIGIT if kind is Kind.DIGIT else _TO_LETTER
            mapped = table.get(char)
            if mapped is None:
                continue
            target = mapped
        merged[target] = merged.get(target, 0.0) + p
    # A weakly read look-alike keeps its twin in play even when the LSTM did not offer it.
    top = max(merged.items(), key=lambda x: x[1], default=(FILLER, 0.0))
    if top[1] < 0.9:
        for twin in _LOOKALIKE.get(top[0], ""):
            if _allowed(twin, kind) and twin not in merged:
                merged[twin] = _OPTION_FLOOR
    ranked = sorted(merged.items(), key=lambda x: (-x[1], x[0]))
    kept = [(c, p) for c, p in ranked if p >= _OPTION_FLOOR]
    return kept or ranked[:1] or [(FILLER, 0.0)]


_VALUE = {c: char_value(c) for c in ALPHABET}
_WEIGHTS = [(7, 3, 1)[i % 3] for i in range(64)]


def _fast_check_digit(value: str) -> str:
    """`mrz.check_digit` without per-character calls: decide() runs it thousands of times."""
    return str(sum(map(operator.mul, map(_VALUE.__getitem__, value), _WEIGHTS)) % 10)


def _check_ok(value: str, found: str) -> bool:
    if found == _fast_check_digit(value):
        return True
    return found == FILLER and set(value) <= {FILLER}


@dataclass(slots=True)
class Reading:
    """The decided MRZ and what the decision rests on."""

    fmt: MrzFormat
    lines: list[str]
    failed: list[str] = field(default_factory=list)
    corrected: list[str] = field(default_factory=list)
    ambiguous: list[str] = field(default_factory=list)
    uncertain: list[str] = field(default_factory=list)
    confidence: float = 0.0
    """Mean top probability over all positions (diagnostics and candidate ranking)."""

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def valid(self) -> bool:
        return not (self.failed or self.ambiguous or self.uncertain or self.corrected)

    @property
    def rank(self) -> tuple[int, float]:
        """Fewer problems first, then higher confidence."""
        problems = 4 * len(self.failed) + 2 * len(self.ambiguous) + len(self.uncertain)
        return (-problems, self.confidence)


def _enumerate(
    spots: Sequence[tuple[int, int]],
    options: dict[tuple[int, int], list[tuple[str, float]]],
    limit: int = _MAX_COMBINATIONS,
) -> Iterable[tuple[float, dict[tuple[int, int], str]]]:
    """Combinations of the spots' options, each with its log-likelihood; bounded in count
    by keeping only the top option of the most certain spots when there are too many."""
    choices = [options[s] for s in spots]
    total = math.prod(len(c) for c in choices)
    if total > limit:
        order = sorted(range(len(spots)), key=lambda i: -choices[i][0][1])
        trimmed = list(choices)
        for i in order:
            if total <= limit:
                break
            total //= len(trimmed[i])
            trimmed[i] = trimmed[i][:1]
        choices = trimmed
    for combo in itertools.product(*choices):
        loglik = sum(math.log(max(p, 1e-6)) for _, p in combo)
        yield loglik, {s: c for s, (c, _) in zip(spots, combo, strict=True)}


def _repairs(
    spots: Sequence[tuple[int, int]],
    options: dict[tuple[int, int], list[tuple[str, float]]],
    kinds: tuple[tuple[Kind, ...], ...],
    fld: _Field,
) -> list[tuple[float, dict[tuple[int, int], str]]]:
    """Classic check-digit repair when the OCR offered no passing alternative: every
    position may also be its look-alike twin, at a low prior, so one-swap repairs outrank
    two-swap ones and two different one-swap repairs are rivals (ambiguous)."""
    widened = dict(options)
    for r, i in spots:
        have = {c for c, _ in options[(r, i)]}
        extra = [
            (twin, _TWIN_PRIOR)
            for c in list(have)
            for twin in _LOOKALIKE.get(c, "")
            if twin not in have and _allowed(twin, kinds[r][i])
        ]
        widened[(r, i)] = options[(r, i)] + list(dict(extra).items())
    return [
        (ll, combo)
        for ll, combo in _enumerate(spots, widened)
        if _check_ok("".join(combo[s] for s in fld.spots), combo[fld.check])
    ]


def _rivals(
    solutions: list[tuple[float, dict[tuple[int, int], str]]],
) -> list[tuple[float, dict[tuple[int, int], str]]]:
    if not solutions:
        return []
    best = max(s[0] for s in solutions)
    cut = best - math.log(_RIVAL_RATIO)
    return sorted((s for s in solutions if s[0] >= cut), key=lambda s: -s[0])


def decide(cells: list[list[Cell]], fmt: MrzFormat) -> Reading:
    """The most likely MRZ consistent with the check digits, with its doubts listed."""
    kinds = field_kinds(fmt)
    options = {
        (r, i): _options(cells[r][i], kinds[r][i])
        for r in range(len(cells))
        for i in range(len(cells[r]))
    }
    top = {spot: opts[0][0] for spot, opts in options.items()}
    chosen = dict(top)
    failed: list[str] = []
    corrected: list[str] = []
    ambiguous: list[str] = []
    fields, composite = _protected(fmt)
    per_field: dict[str, list[tuple[float, dict[tuple[int, int], str]]]] = {}
    for fld in fields:
        spots = (*fld.spots, fld.check)
        solutions = [
            (ll, combo)
            for ll, combo in _enumerate(spots, options)
            if _check_ok("".join(combo[s] for s in fld.spots), combo[fld.check])
        ]
        if not solutions:
            solutions = _repairs(spots, options, kinds, fld)
        rivals = _rivals(solutions)
        per_field[fld.name] = rivals
        if not rivals:
            failed.append(fld.name)
            continue
        chosen.update(rivals[0][1])
    # Composite: over the fields' rival readings and the positions only it protects.
    in_fields = {s for fld in fields for s in (*fld.spots, fld.check)}
    loose = [s for s in (*composite.spots, composite.check) if s not in in_fields]
    field_sets = [per_field[f.name] or [(0.0, {})] for f in fields]
    combos: list[tuple[float, dict[tuple[int, int], str]]] = []
    loose_combos = list(_enumerate(loose, options, _MAX_LOOSE))
    trials = 0
    for picks in itertools.product(*field_sets):
        base = dict(chosen)
        base_ll = 0.0
        for ll, combo in picks:
            base.update(combo)
            base_ll += ll
        for ll, combo in loose_combos:
            trial = base | combo
            value = "".join(trial[s] for s in composite.spots)
            if _check_ok(value, trial[composite.check]):
                combos.append((base_ll + ll, trial))
        trials += len(loose_combos)
        if trials > _MAX_COMPOSITE:
            break
    survivors = _rivals(combos)
    if not survivors:
        failed.append("composite")
        for fld in fields:
            if len(per_field[fld.name]) > 1:
                ambiguous.append(fld.name)
    else:
        chosen = survivors[0][1]
        if len(survivors) > 1:
            for name, spots in [(f.name, (*f.spots, f.check)) for f in fields] + [
                ("composite", tuple(loose))
            ]:
                if any(s[1].get(p) != chosen.get(p) for s in survivors[1:] for p in spots):
                    ambiguous.append(name)
    for fld in fields:
        spots = (*fld.spots, fld.check)
        if any(chosen[s] != top[s] for s in spots):
            corrected.append(fld.name)
    if any(chosen[s] != top[s] for s in loose):
        corrected.append("composite")
    uncertain: list[str] = []
    for name, spots in _unprotected(fmt):
        parts = _name_parts(spots, chosen) if name == "names" else [(name, spots)]
        for part, part_spots in parts:
            verdict = _judge_unprotected(part, part_spots, options, chosen, top)
            if verdict == "corrected":
                corrected.append(part)
            elif verdict == "uncertain":
                uncertain.append(part)
    lines = ["".join(chosen[(r, i)] for i in range(len(cells[r]))) for r in range(len(cells))]
    confidence = sum(o[0][1] for o in options.values()) / max(len(options), 1)
    return Reading(
        fmt=fmt,
        lines=lines,
        failed=failed,
        corrected=sorted(set(corrected)),
        ambiguous=sorted(set(ambiguous)),
        uncertain=sorted(set(uncertain)),
        confidence=confidence,
    )


def _judge_unprotected(
    name: str,
    spots: tuple[tuple[int, int], ...],
    options: dict[tuple[int, int], list[tuple[str, float]]],
    chosen: dict[tuple[int, int], str],
    top: dict[tuple[int, int], str],
) -> str:
    """'ok', 'corrected' or 'uncertain'; may update `chosen` (state-code correction)."""
    if name in ("issuing_state", "nationality"):
        readings = [
            (ll, combo)
            for ll, combo in _enumerate(spots, options)
            if _state_shape("".join(combo[s] for s in spots))
        ]
        rivals = _rivals(readings)
        if len(rivals) != 1:
            return "uncertain"
        chosen.update(rivals[0][1])
        if any(chosen[s] != top[s] for s in spots):
            return "corrected"
        return _weak(spots, options)
    if name == "sex":
        char = chosen[spots[0]]
        if char not in "MFX<":
            return "uncertain"
        return _weak(spots, options)
    if name == "document_code":
        if chosen[spots[0]] not in "PVIAC":
            return "uncertain"
        return _weak(spots, options)
    if any(chosen[s] != top[s] for s in spots):
        return "uncertain" if _weak(spots, options) == "uncertain" else "corrected"
    return _weak(spots, options)


def _name_parts(
    spots: tuple[tuple[int, int], ...], chosen: dict[tuple[int, int], str]
) -> list[tuple[str, tuple[tuple[int, int], ...]]]:
    """Split the name field into surname and given names at the first '<<'; the filler
    run after the last name is not judged (three fillers never occur inside names)."""
    text = "".join(chosen[s] for s in spots)
    end = text.find(FILLER * 3)
    end = len(text) if end < 0 else end
    split = text.find(FILLER * 2)
    if split < 0 or split >= end:
        return [("surname", spots[:end])]
    return [("surname", spots[:split]), ("given_names", spots[split + 2 : end])]


def _weak(
    spots: Sequence[tuple[int, int]], options: dict[tuple[int, int], list[tuple[str, float]]]
) -> str:
    for s in spots:
        opts = options[s]
        if opts[0][1] < _WEAK or (len(opts) > 1 and opts[1][1] >= _STRONG_RIVAL):
            return "uncertain"
    return "ok"


def _state_shape(code: str) -> bool:
    """A known state code, fillers only at its end ('D<<')."""
    stripped = code.rstrip(FILLER)
    return FILLER not in stripped and bool(stripped) and is_known_code(stripped)

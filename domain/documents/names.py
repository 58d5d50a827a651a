"""Compare the names an applicant typed with the names printed in an MRZ.

An MRZ can only hold A-Z, so issuers transliterate (ICAO 9303 part 3 lets Ä become AE *or*
A, Ø become OE, ß become SS), turn hyphens into fillers, drop apostrophes, and truncate names
that do not fit the field. A naive equality test would refer every German, Nordic or
hyphenated applicant to a human, so every variant an issuer could legitimately have printed
is generated from the application side and the MRZ is checked against that set.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from anyascii import anyascii
from rapidfuzz.distance import Levenshtein

# ICAO 9303 part 3 recommended transliterations where anyascii's single choice is not the
# only one issuers use. The first option is the ICAO-preferred one.
_ICAO_OPTIONS: dict[str, tuple[str, ...]] = {
    "Ä": ("AE", "A"),
    "Å": ("AA", "A"),
    "Æ": ("AE",),
    "Ö": ("OE", "O"),
    "Ø": ("OE", "O"),
    "Ü": ("UE", "U"),
    "ẞ": ("SS",),
    "ß": ("SS",),
    "Þ": ("TH",),
    "Ð": ("D",),
    "Œ": ("OE",),
    "Ĳ": ("IJ",),
    "Ñ": ("N", "NXX"),
}
# Apostrophes of every flavour (ASCII, typographic, modifier letter, accents) and dots.
_DROPPED = re.compile("['`.\u2019\u2018\u00b4\u02bc]")
_SEPARATORS = re.compile(r"[^A-Z]+")
_MAX_VARIANTS = 256


class NameMatch(StrEnum):
    EXACT = "exact"
    TRANSLITERATED = "transliterated"
    TRUNCATED = "truncated"
    PARTIAL = "partial"
    MINOR_DIFFERENCE = "minor_difference"
    MISMATCH = "mismatch"

    @property
    def acceptable(self) -> bool:
        return self is not NameMatch.MISMATCH


def _char_options(char: str) -> tuple[str, ...]:
    upper = char.upper()
    if char in _ICAO_OPTIONS or upper in _ICAO_OPTIONS:
        return _ICAO_OPTIONS.get(char) or _ICAO_OPTIONS[upper]
    decomposed = unicodedata.normalize("NFD", upper)
    base = "".join(c for c in decomposed if not unicodedata.combining(c))
    if base.isascii():
        return (base,)
    return (anyascii(base).upper(),)


def mrz_variants(name: str) -> list[tuple[str, ...]]:
    """Every token sequence an issuer could print for `name`, ICAO-preferred first."""
    cleaned = _DROPPED.sub("", name.strip())
    per_char = [_char_options(c) for c in cleaned]
    variants: list[tuple[str, ...]] = []
    seen: set[tuple[str, ...]] = set()
    for combo in itertools.islice(itertools.product(*per_char), _MAX_VARIANTS):
        tokens = tuple(t for t in _SEPARATORS.split("".join(combo)) if t)
        if tokens not in seen:
            seen.add(tokens)
            variants.append(tokens)
    return variants


def _is_subsequence(short: tuple[str, ...], long: tuple[str, ...]) -> bool:
    it = iter(long)
    return all(token in it for token in short)


def _truncation_of(printed: str, full: str) -> bool:
    return len(printed) < len(full) and full.startswith(printed)


def compare_name(
    claimed: str, printed: str, *, truncated: bool = False, allow_partial: bool = False
) -> NameMatch:
    """How `printed` (MRZ, spaces for fillers) relates to `claimed` (free text).

    `truncated` says the MRZ field was full, so a prefix is acceptable; `allow_partial`
    accepts missing middle names (given names only; a partial surname is not tolerated).
    """
    mrz_tokens = tuple(printed.upper().split())
    variants = mrz_variants(claimed)
    if not variants or not mrz_tokens:
        both_empty = not mrz_tokens and all(not v for v in variants)
        return NameMatch.EXACT if both_empty else NameMatch.MISMATCH
    ascii_claim = claimed.isascii()
    mrz_joined = "".join(mrz_tokens)
    mrz_spaced = "<".join(mrz_tokens)
    for tokens in variants:
        if tokens == mrz_tokens or "".join(tokens) == mrz_joined:
            return NameMatch.EXACT if ascii_claim else NameMatch.TRANSLITERATED
    if truncated:
        for tokens in variants:
            if _truncation_of(mrz_spaced, "<".join(tokens)) or _truncation_of(
                mrz_joined, "".join(tokens)
            ):
                return NameMatch.TRUNCATED
    if allow_partial:
        for tokens in variants:
            if tokens[:1] == mrz_tokens[:1] and (
                _is_subsequence(mrz_tokens, tokens) or _is_subsequence(tokens, mrz_tokens)
            ):
                return NameMatch.PARTIAL
    if len(mrz_joined) >= 5 and any(
        Levenshtein.distance("".join(tokens), mrz_joined, score_cutoff=1) <= 1
        for tokens in variants
    ):
        return NameMatch.MINOR_DIFFERENCE
    return NameMatch.MISMATCH


@dataclass(frozen=True, slots=True)
class NameComparison:
    surname: NameMatch
    given_names: NameMatch


def compare_names(
    claimed_surname: str,
    claimed_given: str,
    mrz_surname: str,
    mrz_given: str,
    *,
    truncated: bool = False,
) -> NameComparison:
    return NameComparison(
        surname=compare_name(claimed_surname, mrz_surname, truncated=truncated),
        given_names=compare_name(claimed_given, mrz_given, truncated=truncated, allow_partial=True),
    )

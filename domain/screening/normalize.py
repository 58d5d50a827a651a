"""Names → comparison tokens.

Screening compares names written by different clerks in different scripts, so everything
that varies without changing who is meant is removed before comparison: script
(transliterated to ASCII), case, punctuation, honorifics, particles (al-, bin, von, de la),
legal-form suffixes, and spelling variants of the Arabic "abd al-" compound.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import jellyfish
from rigour.names import remove_org_types
from unidecode import unidecode

from models.screening import PartySchema

PARTICLES = frozenset(
    "al el ul bin ben ibn bint binti abu abou von van der den de la le del della da das dos "
    "du di y e".split()
)
"""Joining words that lists add or drop freely; never identifying on their own."""

HONORIFICS = frozenset(
    "mr mrs ms miss mx dr prof sir dame lord lady sheikh shaikh shaykh sheik haji hajji hadji "
    "alhaji mullah mulla maulana maulvi mawlawi mawlavi qari hafiz imam general gen colonel col "
    "major maj captain capt lieutenant lt sergeant sgt brigadier admiral commander "
    "engineer eng his her excellency he".split()
)

LEGAL_FORMS = frozenset(
    "llc ltd limited inc incorporated corp corporation co company plc gmbh ag kg mbh sa sas "
    "sarl srl spa bv nv oy ab asa as aps jsc ojsc cjsc pjsc ooo zao oao pao tov llp lp "
    "pte pvt sdn bhd fze fzco fzc fzllc est establishment cv de sociedad anonima".split()
)
"""Checked after rigour's org-type table, for the abbreviations lists leave dangling."""

ORG_SCHEMAS = frozenset({PartySchema.ORGANIZATION, PartySchema.COMPANY, PartySchema.LEGAL_ENTITY})

_APOSTROPHES = re.compile("['`\u00b4\u02bc\u02bb\u2019\u2018]")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_ABD = re.compile(r"^(abdoul|abdool|abdul|abdel|abdal|abdol|abdu|abd)(?=[a-z]{3,})")
_ABD_WORDS = frozenset({"abd", "abdu", "abdul", "abdel", "abdal", "abdol", "abdoul", "abdool"})
_ALLAH = frozenset({"allah", "ullah", "illah", "ollah", "alla", "ulla"})
LOW_WEIGHT = frozenset({"abd"}) | LEGAL_FORMS
"""Tokens kept for alignment but weighing little: they are shared by unrelated names."""


@dataclass(frozen=True, slots=True)
class NormName:
    """A name ready for comparison; computed once per list name at index build."""

    tokens: tuple[str, ...]
    phonetics: tuple[str, ...]
    weights: tuple[float, ...]
    joined: str

    @property
    def sort_key(self) -> tuple[str, ...]:
        return tuple(sorted(self.tokens))


def ascii_fold(text: str) -> str:
    """Transliterate to lower-case ASCII words (Cyrillic, Arabic, CJK, accents)."""
    text = _APOSTROPHES.sub("", text)
    return _NON_ALNUM.sub(" ", unidecode(text).lower()).strip()


def phonetic_key(token: str) -> str:
    """Metaphone with the leading vowel neutralised (Osama / Usama, Ibrahim / Ebrahim)."""
    if token.isdigit():
        return token
    key = jellyfish.metaphone(token) or token
    if token[0] in "aeiouy":
        key = "A" + key[1:] if key[:1] in "AEIOU" else "A" + key
    return key


def _split_abd(tokens: list[str]) -> list[str]:
    """'abd al karim' / 'abdul karim' / 'abdelkarim' → 'abd karim' (one spelling, split)."""
    out: list[str] = []
    for tok in tokens:
        if tok in _ABD_WORDS:
            out.append("abd")
            continue
        m = _ABD.match(tok)
        if m:
            out.append("abd")
            tok = tok[m.end() :]
        if out and out[-1] == "abd" and tok in _ALLAH:
            tok = "lah"
        out.append(tok)
    return out


def _drop_person_particles(tokens: list[str]) -> list[str]:
    # One-letter particles ("y", "e") only between names: at the edges they are initials.
    last = len(tokens) - 1
    return [
        t
        for i, t in enumerate(tokens)
        if t not in PARTICLES or (len(t) == 1 and (i == 0 or i == last))
    ]


@lru_cache(maxsize=65536)
def name_tokens(name: str, schema: PartySchema = PartySchema.PERSON) -> tuple[str, ...]:
    folded = ascii_fold(name)
    if schema in ORG_SCHEMAS:
        folded = remove_org_types(folded)
    raw = folded.split()
    if schema in ORG_SCHEMAS:
        kept = [t for t in raw if t not in PARTICLES]
        # Single letters left over from "S. A." or "L.L.C." say nothing about identity.
        kept = [t for t in kept if len(t) > 1 or t.isdigit()] or kept
    else:
        kept = [t for t in raw if t not in HONORIFICS]
        kept = _drop_person_particles(_split_abd(kept))
    # A name made only of stop words keeps them: better weak tokens than none.
    return tuple(kept or raw)


def token_weight(token: str) -> float:
    """Longer tokens identify more; short ones (+2) and low-weight ones still count a bit."""
    if token in LOW_WEIGHT:
        return 1.5
    return min(len(token), 10) + 2.0


@lru_cache(maxsize=65536)
def normalize_name(name: str, schema: PartySchema = PartySchema.PERSON) -> NormName:
    tokens = name_tokens(name, schema)
    return NormName(
        tokens=tokens,
        phonetics=tuple(phonetic_key(t) for t in tokens),
        weights=tuple(token_weight(t) for t in tokens),
        joined="".join(t for t in tokens if t not in LOW_WEIGHT) or "".join(tokens),
    )

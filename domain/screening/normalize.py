# ruff: noqa: RUF002, RUF003 - the homoglyph table spells look-alike letters
"""Names → comparison tokens.

Screening compares names written by different clerks in different scripts, so everything
that varies without changing who is meant is removed before comparison: script
(transliterated to ASCII), case, punctuation, honorifics, particles (al-, bin, von, de la),
legal-form suffixes, and spelling variants of the Arabic "abd al-" compound.

Script handling is per script, not one table for all:
- invisible format characters (zero-width spaces and joiners, soft hyphens) are removed
  first: they split or pad a token without changing what a reader sees;
- in a name that mixes Latin with Cyrillic or Greek letters, those letters are homoglyphs
  (Cyrillic "а" for Latin "a"), so they map to the Latin letter they look like, not to the
  sound they stand for; digits inside a word (0SAMA, Lad1n) map to the letters they imitate;
- Arabic-script names are written without short vowels, so no transliteration can recover
  "Saddam" from "صدام"; they are compared as consonant skeletons (see `skeleton`), and every
  Latin name carries its skeleton too;
- everything else goes through `anyascii` (ISC licence): Cyrillic, Greek, accents, CJK.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import jellyfish
from anyascii import anyascii
from rigour.names import remove_org_types

from domain.screening.frequencies import idf
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
    skeletons: tuple[str, ...] = ()
    """Consonant skeleton per token, the only form an Arabic-script name can be compared in."""
    arabic: bool = False
    """Written in Arabic script: `tokens` are skeletons already."""

    sort_key: tuple[str, ...] = ()
    """The tokens sorted: two names with equal sort keys are the same name reordered."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "sort_key", tuple(sorted(self.tokens)))

    def as_skeleton(self) -> NormName:
        """This name seen as consonant skeletons, to compare it with an Arabic-script name."""
        if self.arabic:
            return self
        kept = [(sk, w) for sk, w in zip(self.skeletons, self.weights, strict=True) if sk]
        skels = tuple(sk for sk, _ in kept)
        return NormName(
            skels, skels, tuple(len(sk) + 2.0 for sk in skels), "".join(skels), skels, True
        )


_FORMAT_CHARS = re.compile("[\u00ad\u034f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_LATIN = re.compile("[A-Za-z\u00c0-\u024f]")
_CYRILLIC_GREEK = re.compile("[\u0370-\u03ff\u0400-\u04ff]")
_CJK = re.compile("[\u1100-\u11ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_HOMOGLYPHS = str.maketrans(
    "АВЕКМНОРСТХУаеорсухіјѕһԁԛԝЅІЈёΑΒΕΖΗΙΚΜΝΟΡΤΥΧοαινρυκχ",
    "ABEKMHOPCTXYaeopcyxijshdqwSIJeABEZHIKMNOPTYXoaivpukx",
)
_INNER_NOISE = re.compile(r"(?<=[^\W_])[*#~^|+=](?=[^\W_])")
"""Symbols no name contains, inside a word ("Za*karia"): padding, not a word break. An
underscore is a word break: exports and user names join words with it ("Sven_Anders")."""
_LEET = str.maketrans("013457@$", "oieastas")
_LEET_TOKEN = re.compile(r"\b(?=[a-z0-9@$]*[a-z])(?=[a-z0-9@$]*[0-9@$])[a-z0-9@$]+\b")


def ascii_fold(text: str) -> str:
    """Transliterate to lower-case ASCII words, script by script (see the module doc)."""
    text = _APOSTROPHES.sub("", _FORMAT_CHARS.sub("", text))
    text = _INNER_NOISE.sub("", text)
    if _LATIN.search(text) and _CYRILLIC_GREEK.search(text):
        text = text.translate(_HOMOGLYPHS)
    # One CJK character is one syllable: keep them apart as the lists' romanisations do.
    text = _CJK.sub(lambda m: f" {m.group()} ", text)
    folded = anyascii(text).lower()
    folded = _LEET_TOKEN.sub(lambda m: m.group().translate(_LEET), folded)
    return _NON_ALNUM.sub(" ", folded).strip()


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


def _join_letter_runs(tokens: list[str]) -> list[str]:
    out: list[str] = []
    run = ""
    for tok in [*tokens, ""]:
        if len(tok) == 1 and not tok.isdigit():
            run += tok
            continue
        if len(run) > 1:
            out.append(run)
        run = ""
        if tok:
            out.append(tok)
    return out or tokens


def _drop_person_particles(tokens: list[str]) -> list[str]:
    # One-letter particles ("y", "e") only between names: at the edges they are initials.
    # A particle joins what follows it: as the last token it is a name ("John Le").
    last = len(tokens) - 1
    return [
        t
        for i, t in enumerate(tokens)
        if t not in PARTICLES or i == last or (len(t) == 1 and i == 0)
    ]


@lru_cache(maxsize=65536)
def name_tokens(name: str, schema: PartySchema = PartySchema.PERSON) -> tuple[str, ...]:
    if schema in ORG_SCHEMAS:
        # Before and after folding: rigour's table knows "S.A. de C.V." and "ООО" as
        # written, and "sa de cv" once folded.
        folded = remove_org_types(ascii_fold(remove_org_types(_FORMAT_CHARS.sub("", name))))
    else:
        folded = ascii_fold(name)
    raw = folded.split()
    if schema in ORG_SCHEMAS:
        # Runs of single letters are an acronym written with dots or spaces ("U.I.",
        # "T M G"): one token, as the same acronym written solid would be.
        kept = [t for t in _join_letter_runs(raw) if t not in PARTICLES]
        kept = [t for t in kept if t not in LEGAL_FORMS] or kept
    else:
        kept = [t for t in raw if t not in HONORIFICS]
        kept = _drop_person_particles(_split_abd(kept))
    # A name made only of stop words keeps them: better weak tokens than none.
    return tuple(kept or raw)


IDF_FLOOR = 3.0
"""Tokens at least as common as 1 in e^3 ≈ 20 names weigh only `MIN_WEIGHT`."""
MIN_WEIGHT = 0.5


def token_weight(token: str) -> float:
    """Rarity across lists and customers (`frequencies`): rare parts identify, common don't."""
    if token in LOW_WEIGHT:
        return MIN_WEIGHT
    return max(idf(token) - IDF_FLOOR, MIN_WEIGHT)


# Arabic letters → consonant classes shared with `_latin_skeleton`. Long vowels, alif,
# hamza, ain and ta marbuta carry no consonant a Latin spelling reliably shows.
_ARABIC_CLASSES = str.maketrans(
    {
        **dict.fromkeys("اأإآٱءئؤوىيیےعةۀ", ""),
        **dict.fromkeys("بپ", "b"),
        **dict.fromkeys("تطث", "t"),
        **dict.fromkeys("جژ", "j"),
        **dict.fromkeys("حهہھ", "h"),
        **dict.fromkeys("خغقكکگ", "k"),
        **dict.fromkeys("دذض", "d"),
        "ر": "r",
        **dict.fromkeys("زظ", "z"),
        **dict.fromkeys("سصشچ", "s"),
        "ف": "f",
        "ل": "l",
        "م": "m",
        "ن": "n",
    }
)
_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_ARABIC_LETTER = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
_ARABIC_PARTICLES = frozenset({"بن", "ابن", "بنت", "ابو", "أبو", "ال", "و", "بو"})
_LATIN_DIGRAPHS = (
    ("sch", "s"),
    ("kh", "k"),
    ("gh", "k"),
    ("sh", "s"),
    ("ch", "s"),
    ("th", "t"),
    ("dh", "d"),
    ("ph", "f"),
    ("dj", "j"),
    ("zh", "j"),
    ("x", "ks"),
)
_LATIN_CLASSES = str.maketrans("qcgvpaeiouyw", "kkkfb" + "\0" * 7)
_DOUBLE = re.compile(r"(.)\1+")


def _latin_skeleton(token: str) -> str:
    """'saddam' → 'sdm', 'tikriti' → 'tkrt': what an Arabic spelling of the token shows."""
    if token.isdigit():
        return token
    t = re.sub(r"(?<=[aeiou])h$", "", token)
    for digraph, cls in _LATIN_DIGRAPHS:
        t = t.replace(digraph, cls)
    return _DOUBLE.sub(r"\1", t.translate(_LATIN_CLASSES).replace("\0", ""))


def _arabic_skeletons(name: str) -> tuple[str, ...]:
    """Tokens of an Arabic-script name as consonant skeletons (article, 'abd', bin dropped)."""
    out: list[str] = []
    for raw in _ARABIC_MARKS.sub("", name).split():
        word = re.sub("[^\u0600-\u06ff\u0750-\u077f]", "", raw)
        if not word or word in _ARABIC_PARTICLES:
            continue
        parts = [word]
        if word.startswith("عبد") and len(word) > 3:
            parts = ["عبد", word[3:]]
        for part in parts:
            if part.startswith("ال") and len(part) > 3:
                part = part[2:]
            part = re.sub("[هة]$", "", part) if len(part) > 2 else part
            skel = _DOUBLE.sub(r"\1", part.translate(_ARABIC_CLASSES))
            if len(skel) > 2 and skel.endswith("h"):
                skel = skel[:-1]  # a final h is as often dropped by Latin spellings
            if skel:
                out.append(skel)
    return tuple(out)


@lru_cache(maxsize=65536)
def normalize_name(name: str, schema: PartySchema = PartySchema.PERSON) -> NormName:
    if _ARABIC_LETTER.search(name) and not _LATIN.search(name):
        skels = _arabic_skeletons(name)
        return NormName(
            tokens=skels,
            phonetics=skels,
            weights=tuple(len(sk) + 2.0 for sk in skels),
            joined="".join(skels),
            skeletons=skels,
            arabic=True,
        )
    tokens = name_tokens(name, schema)
    return NormName(
        tokens=tokens,
        phonetics=tuple(phonetic_key(t) for t in tokens),
        weights=tuple(token_weight(t) for t in tokens),
        joined="".join(t for t in tokens if t not in LOW_WEIGHT) or "".join(tokens),
        skeletons=tuple(_latin_skeleton(t) for t in tokens),
    )

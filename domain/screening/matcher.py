"""Name similarity and qualifiers (date of birth, country, entity type).

The name score aligns tokens order-insensitively: every token of one name is paired with
at most one token of the other by best similarity (edit distance, phonetic equality,
initials). Unpaired tokens cost their weight, but an unpaired extra token of the longer
name (a middle name one side omits) costs only a fraction, because lists and customers
disagree about middle names far more often than they share a surname by chance.

Qualifiers move the name score, never replace it: a matching date of birth confirms, a
birth year off by more than a year almost rules the pair out, and a person is not a ship.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from rapidfuzz import process
from rapidfuzz.distance import OSA, Levenshtein, Prefix

from domain.screening.entities import BirthDate
from domain.screening.normalize import ORG_SCHEMAS, NormName, normalize_name
from models.screening import PartySchema

MATCHER_VERSION = "clearway-names-1.0"

MIN_TOKEN_SIM = 0.3
"""Token pairs less similar than this (after `EDIT_STEEPNESS`) are not aligned at all."""
EDIT_STEEPNESS = 1.8
"""Each edit costs this many times its share of the token: 'kang' / 'yang' (one edit in
four letters, Levenshtein 0.75) are two different names (0.55), while 'nasrallah' /
'nasralah' (0.89) is a typo (0.8). Plain Levenshtein similarity made every one-letter
difference between short East-Asian or Arabic name parts look like a near match."""
INITIAL_SIM = 0.7
INITIAL_WEIGHT = 2.0
PHONETIC_SIM = 0.8
PHONETIC_MIN_EDIT_SIM = 0.55
PHONETIC_MIN_LEN = 5
"""Short syllables ('kong' / 'kang', 'chao' / 'chai') share codes without being one name."""
"""Metaphone is coarse ('rosa' / 'rihs', 'gula' / 'kayleigh'): equal codes count only for
tokens that are also spelled alike."""
PREFIX_SIM = 0.7
ONE_WORD_MIN_EDIT_SIM = 0.75
"""Two one-word names need this edit similarity (or a prefix) for more than their edit score."""
FIRST_LETTER_FACTOR = 0.8
_VOWELS = frozenset("aeiouy")
TRUNCATED_SIM = 0.75
TRUNCATED_MIN_LEN = 2
"""A name's last token cut short by a field length limit ('Jose Luis Mendoza Figu')."""
PREFIX_MIN_LEN = 5
ARTICLE_SIM = 0.9
_ARTICLES = frozenset({"al", "el", "ul"})
_ARTICLE = re.compile(r"(?:al|el|ul)(\w{3,}) \1")
SYLLABLE_MAX_LEN = 6
SYLLABLE_SIM = 0.3
"""Two short one-syllable tokens that differ only in their vowels, or only in their first
consonant, are two names however alike they look or sound: 'kang' / 'kong' / 'yang',
'zhang' / 'zheng', 'jian' / 'juan', 'jing' / 'bing'. In Chinese, Korean or Vietnamese
romanisation the onset and the vowel are what tell syllables apart (and typists rarely
miss a first letter). Longer tokens keep their edit and phonetic similarity: their vowels
vary with transliteration ('ahmed' / 'ahmad', 'omar' / 'umar'); so does an inserted or
doubled vowel ('shun' / 'shuen', 'farm' / 'faarm'), left to edit similarity."""
_VOWEL_RUN = re.compile("[aeiou]+")
_VOWEL = re.compile("[aeiou]")
SINGLE_TOKEN_FACTOR = 0.75
"""A one-token person name against a longer one ('Aisha' / 'Aisha Yusuf') is at best a
partial match, however rare the shared token. Tokens that weigh little by definition
(`LOW_WEIGHT`: the 'abd' split off 'Abdurrahman') do not count: 'Abdurrahman' is one
name."""
JOINED_MIN_SIM = 0.9
"""The joined-string comparison is for split or merged tokens ('abdel aziz' / 'abdelaziz'),
which agree almost letter for letter; below this it only rewards shared generic words."""
EXTRA_TOKEN_COST = {True: 0.8, False: 0.55}
"""Fraction of its weight an unpaired token of the longer name costs (org, person)."""
CONFLICT_COST = 0.5
SPLIT_MERGE_DISCOUNT = 0.04
WEAK_ALIAS_PENALTY = 0.15
"""OFAC calls its weak a.k.a.s (single names, nicknames) too broad to screen on alone: on
a weak alias a name needs 0.85 to hit with no DOB or country agreeing."""

DOB_EXACT_BONUS = 0.08
DOB_YEAR_BONUS = 0.03
DOB_MISMATCH_PENALTY = 0.3
COUNTRY_MATCH_BONUS = 0.02
COUNTRY_MISMATCH_PENALTY = 0.04
SCHEMA_MISMATCH_PENALTY = 0.2


def syllable_keys(token: str) -> tuple[str, str]:
    """Of a short one-syllable token: its vowels as placeholders ('zhang' -> 'zhVng', 'jian'
    -> 'jVVn') and its first consonant as one ('kang' -> '?ang'). Two tokens sharing a key
    are `SYLLABLE_SIM` apart at most. Any other token's keys equal no other token's."""
    if len(token) <= SYLLABLE_MAX_LEN and token.isalpha() and len(_VOWEL_RUN.findall(token)) == 1:
        onset = "?" + token[1:] if token[0] not in "aeiou" else "\0" + token
        return _VOWEL.sub("V", token), onset
    return "\0" + token, "\0" + token


def token_similarity(a: str, pa: str, b: str, pb: str) -> float:
    """Similarity of two tokens in [0, 1], steeper than edit similarity (see constants)."""
    sim = _token_similarity(a, pa, b, pb)
    if a != b and min(len(a), len(b)) > 1:
        (vowels_a, onset_a), (vowels_b, onset_b) = syllable_keys(a), syllable_keys(b)
        if vowels_a == vowels_b or onset_a == onset_b:
            return min(sim, SYLLABLE_SIM)  # 'kang' / 'kong' / 'yang': see SYLLABLE_SIM
    return sim


def _token_similarity(a: str, pa: str, b: str, pb: str) -> float:
    if a == b:
        return 1.0
    if len(a) == 1 or len(b) == 1:
        return INITIAL_SIM if a[0] == b[0] else 0.0
    if a.isdigit() or b.isdigit():
        return 0.0
    if _ARTICLE.fullmatch(a + " " + b) or _ARTICLE.fullmatch(b + " " + a):
        return ARTICLE_SIM  # "albakur" / "bakur": the Arabic article written solid
    edit = OSA.normalized_similarity(a, b)  # a transposition is one edit
    sim = max(0.0, 1.0 - (1.0 - edit) * EDIT_STEEPNESS)
    if pa == pb and min(len(a), len(b)) >= PHONETIC_MIN_LEN and edit >= PHONETIC_MIN_EDIT_SIM:
        return max(sim, PHONETIC_SIM)
    if a[0] != b[0] and not (a[0] in _VOWELS and b[0] in _VOWELS):
        # Typists rarely miss the first letter; different names often differ there
        # ('kang' / 'yang', 'jing' / 'bing').
        sim *= FIRST_LETTER_FACTOR
    if min(len(a), len(b)) >= PREFIX_MIN_LEN and (a.startswith(b) or b.startswith(a)):
        # Truncated token ("moham" / "mohammed") in lists with field length limits.
        sim = max(sim, PREFIX_SIM)
    return sim


@dataclass(frozen=True, slots=True)
class TokenFeatures:
    """What `similarity_array` needs of a list of tokens, as arrays.

    The index computes these once for its whole vocabulary and gathers a query's
    candidate tokens by id (one gather for the strings, one for the numbers), so a query
    pays for no string handling beyond one rapidfuzz call."""

    token_array: npt.NDArray[np.object_]
    features: npt.NDArray[np.int64]
    """One row per feature (`LENGTH` ... `ONSET_KEY`), one column per token; `PHONETIC` is
    an id in a phonetic-code vocabulary shared by both sides (-1: not in it), the two
    `syllable_keys` are hashed."""

    LENGTH, FIRST, START, DIGIT, SPECIAL, PHONETIC, ARTICLED, VOWELS_KEY, ONSET_KEY = range(9)
    """`START` is the first letter, or 0 for any vowel ('Ibrahim' / 'Ebrahim' start alike);
    `SPECIAL` marks initials and numbers, which most queries and candidates lack."""

    @classmethod
    def of(
        cls, tokens: Sequence[str], phonetics: Sequence[str], phonetic_ids: dict[str, int]
    ) -> TokenFeatures:
        array = np.empty(len(tokens), dtype=object)
        array[:] = list(tokens)
        keys = [syllable_keys(t) for t in tokens]
        features = np.array(
            [
                [len(t) for t in tokens],
                [ord(t[0]) for t in tokens],
                [0 if t[0] in _VOWELS else ord(t[0]) for t in tokens],
                [t.isdigit() for t in tokens],
                [len(t) == 1 or t.isdigit() for t in tokens],
                [phonetic_ids.get(p, -1) for p in phonetics],
                [t[:2] in _ARTICLES and len(t) >= 5 for t in tokens],
                [hash(vowels) for vowels, _ in keys],
                [hash(onset) for _, onset in keys],
            ],
            dtype=np.int64,
        ).reshape(9, len(tokens))
        return cls(array, features)

    @property
    def tokens(self) -> list[str]:
        out: list[str] = self.token_array.tolist()
        return out

    def take(self, ids: npt.NDArray[np.signedinteger[Any]]) -> TokenFeatures:
        return TokenFeatures(self.token_array[ids], self.features[:, ids])


def similarity_matrix(
    a_tokens: Sequence[str],
    a_phonetics: Sequence[str],
    b_tokens: Sequence[str],
    b_phonetics: Sequence[str],
) -> list[list[float]]:
    """`token_similarity` for every pair of tokens, in one vectorised pass."""
    codes: dict[str, int] = {}
    for code in [*a_phonetics, *b_phonetics]:
        codes.setdefault(code, len(codes))
    a = TokenFeatures.of(a_tokens, a_phonetics, codes)
    b = TokenFeatures.of(b_tokens, b_phonetics, codes)
    result: list[list[float]] = similarity_array(a, b).tolist()
    return result


def similarity_array(a: TokenFeatures, b: TokenFeatures) -> npt.NDArray[np.float64]:
    """`token_similarity` of a.tokens x b.tokens as an array.

    A query meets a few hundred candidate tokens; one rapidfuzz `cdist` call and numpy
    masks replace as many Python calls. Same rules in the same order, so the values are
    the ones `token_similarity` gives (a test holds them equal).
    """
    return similarity_parts(a, b)[0]


def similarity_parts(
    a: TokenFeatures, b: TokenFeatures
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """`similarity_array`, and where one token is a prefix of the other (at least
    `TRUNCATED_MIN_LEN` letters): the pairs `_aligned` may raise to `TRUNCATED_SIM`."""
    a_tokens, b_tokens = a.tokens, b.tokens
    edit = process.cdist(a_tokens, b_tokens, scorer=OSA.normalized_similarity, dtype=np.float64)
    common = process.cdist(a_tokens, b_tokens, scorer=Prefix.similarity, dtype=np.int32)
    fa, fb = a.features[:, :, None], b.features[:, None, :]
    min_len = np.minimum(fa[TokenFeatures.LENGTH], fb[TokenFeatures.LENGTH])
    long_prefix = min_len >= PREFIX_MIN_LEN
    long_phonetic = min_len >= PHONETIC_MIN_LEN

    sim = np.maximum(0.0, 1.0 - (1.0 - edit) * EDIT_STEEPNESS)
    alike_start = fa[TokenFeatures.START] == fb[TokenFeatures.START]
    letters = np.where(alike_start, sim, sim * FIRST_LETTER_FACTOR)
    one_in_other = common >= min_len
    prefix = one_in_other & long_prefix
    letters = np.where(prefix, np.maximum(letters, PREFIX_SIM), letters)
    # A code outside the shared vocabulary (-1) equals nothing: -2 on a's side.
    a_codes = fa[TokenFeatures.PHONETIC]
    phonetic = (
        (np.where(a_codes >= 0, a_codes, -2) == fb[TokenFeatures.PHONETIC])
        & long_phonetic
        & (edit >= PHONETIC_MIN_EDIT_SIM)
    )
    out = np.where(phonetic, np.maximum(sim, PHONETIC_SIM), letters)
    # 'kang' / 'kong' / 'yang' (see SYLLABLE_SIM); keys are equal for equal tokens too.
    syllables = (
        (fa[TokenFeatures.VOWELS_KEY] == fb[TokenFeatures.VOWELS_KEY])
        | (fa[TokenFeatures.ONSET_KEY] == fb[TokenFeatures.ONSET_KEY])
    ) & (edit < 1.0)
    out = np.where(syllables, np.minimum(out, SYLLABLE_SIM), out)
    # "albakur" / "bakur": few tokens start with an article, so look those up directly.
    a_articled = np.flatnonzero(a.features[TokenFeatures.ARTICLED])
    for row in a_articled:
        bare = a_tokens[row][2:]
        for col, tb in enumerate(b_tokens):
            if tb == bare:
                out[row, col] = ARTICLE_SIM
    if len(a_tokens):
        for articled_col in np.flatnonzero(b.features[TokenFeatures.ARTICLED]):
            bare = b_tokens[articled_col][2:]
            for row_no, ta in enumerate(a_tokens):
                if ta == bare:
                    out[row_no, articled_col] = ARTICLE_SIM
    # Digits score 0, initials 0.7 on the same first letter, identical tokens 1 (which
    # they already are if neither side has an initial or a number).
    if a.features[TokenFeatures.SPECIAL].any() or b.features[TokenFeatures.SPECIAL].any():
        digits = (fa[TokenFeatures.DIGIT] | fb[TokenFeatures.DIGIT]) == 1
        initial = min_len == 1
        same_first = fa[TokenFeatures.FIRST] == fb[TokenFeatures.FIRST]
        out[digits] = 0.0
        out[initial] = np.where(same_first[initial], INITIAL_SIM, 0.0)
        out[edit >= 1.0] = 1.0
    return out, one_in_other & (min_len >= TRUNCATED_MIN_LEN)


def _pairwise(a: NormName, b: NormName) -> list[list[float]]:
    return [
        [token_similarity(ta, pa, tb, pb) for tb, pb in zip(b.tokens, b.phonetics, strict=True)]
        for ta, pa in zip(a.tokens, a.phonetics, strict=True)
    ]


def _aligned(a: NormName, b: NormName, org: bool, sims: Sequence[Sequence[float]]) -> float:
    """Greedy best-first token alignment; `sims[i][j]` is a.tokens[i] vs b.tokens[j]."""
    if len(a.tokens) > len(b.tokens):
        a, b = b, a
        grid = [list(col) for col in zip(*sims, strict=True)]
    else:
        grid = [list(row) for row in sims]
    a_tokens, b_tokens = a.tokens, b.tokens
    # A field length limit cuts a name's last token short ("... Mendoza Figu").
    if not a.arabic:
        # Each name's last token against every token of the other, in this order.
        cut = a_tokens[-1]
        if len(cut) >= TRUNCATED_MIN_LEN:
            last_row = grid[-1]
            for j, tb in enumerate(b_tokens):
                if last_row[j] < TRUNCATED_SIM and len(cut) < len(tb) and tb.startswith(cut):
                    last_row[j] = TRUNCATED_SIM
        cut = b_tokens[-1]
        if len(cut) >= TRUNCATED_MIN_LEN:
            for i, ta in enumerate(a_tokens):
                row = grid[i]
                if row[-1] < TRUNCATED_SIM and len(cut) < len(ta) and ta.startswith(cut):
                    row[-1] = TRUNCATED_SIM
    pairs = [
        (sim, i, j)
        for i, row in enumerate(grid)
        for j, sim in enumerate(row)
        if sim >= MIN_TOKEN_SIM
    ]
    pairs.sort(reverse=True)
    free_a = [True] * len(a_tokens)
    free_b = [True] * len(b_tokens)
    unpaired = len(a_tokens)
    a_weights, b_weights = a.weights, b.weights
    matched = 0.0
    matched_weight = 0.0
    for sim, i, j in pairs:
        if not (free_a[i] and free_b[j]):
            continue
        free_a[i] = free_b[j] = False
        if len(a_tokens[i]) == 1 or len(b_tokens[j]) == 1:
            w = INITIAL_WEIGHT  # an initial confirms little, whatever it abbreviates
        else:
            w = a_weights[i] + b_weights[j]
        matched += sim * w
        matched_weight += w
        unpaired -= 1
        if not unpaired:
            break  # a is the shorter name: every later pair has a used token
    missing_a = sum(w for w, free in zip(a_weights, free_a, strict=True) if free)
    unpaired_b = [w for w, free in zip(b_weights, free_b, strict=True) if free]
    unpaired_b.sort(reverse=True)
    # Only as many tokens as the longer name has in excess can be "omitted middle names";
    # the rest disagree outright. A one-token name matching one token of a longer name is a
    # shared surname, not a match, so nothing is excused then.
    excused = len(b_tokens) - len(a_tokens)
    extra_cost = 1.0 if len(a_tokens) == 1 else EXTRA_TOKEN_COST[org]
    conflicting = sum(unpaired_b[excused:])
    penalty = extra_cost * sum(unpaired_b[:excused]) + conflicting
    # Tokens unpaired on both sides contradict each other (different given names of two
    # siblings), which is stronger evidence than a token one side simply lacks.
    if missing_a and conflicting:
        penalty += CONFLICT_COST * (missing_a + conflicting) / 2
    denom = matched_weight + missing_a + penalty
    return matched / denom if denom else 0.0


UNPAIRED_MIN_COST = min(1.0, *EXTRA_TOKEN_COST.values())
"""The least share of its weight an unpaired token costs in `_aligned`, on either side."""


def alignment_gains(
    upper: npt.NDArray[np.float64],
    a_weights: npt.NDArray[np.float64],
    a_initial: npt.NDArray[np.bool_],
    b_weights: npt.NDArray[np.float64],
    b_initial: npt.NDArray[np.bool_],
    floor: float,
) -> npt.NDArray[np.float64]:
    """What pairing a.tokens[i] with b token j can add towards `floor` (see `may_reach`);
    `upper[i, j]` bounds the similarity `_aligned` may use for the pair."""
    pair_weights = a_weights[:, None] + b_weights[None, :]
    w = np.where(a_initial[:, None] | b_initial[None, :], INITIAL_WEIGHT, pair_weights)
    gains: npt.NDArray[np.float64] = (upper - floor) * w + floor * UNPAIRED_MIN_COST * pair_weights
    return gains


def may_reach(
    gains: npt.NDArray[np.float64],
    a_weight: float,
    b_weights: npt.NDArray[np.float64],
    floor: float,
) -> npt.NDArray[np.bool_]:
    """For many candidates b at once: can `_aligned(a, b)` reach `floor`? False only
    when it certainly cannot, so a caller may skip the alignment of those.

    `gains[i, k, j]` is `alignment_gains` of a.tokens[i] and token j of candidate k, 0 on
    padding; `a_weight` is a's total weight and `b_weights` each candidate's. For any
    alignment, score >= floor needs N - floor * D >= 0, where N = sum of sim * w over the
    pairs and D = their w plus what unpaired tokens cost, at least `UNPAIRED_MIN_COST`
    times their weight on either side. So N - floor * D <= -floor * c * (all weights) +
    the sum over pairs of gain(i, j) = (sim - floor) * w + floor * c * (weight i + weight
    j), and the best set of pairs gains at most the sum over a's tokens of their best
    positive gain (or the same over b's tokens): below 0, no alignment reaches `floor`.
    """
    best_a = np.maximum(gains.max(axis=2), 0.0).sum(axis=0)
    best_b = np.maximum(gains.max(axis=0), 0.0).sum(axis=1)
    baseline = floor * UNPAIRED_MIN_COST * (a_weight + b_weights)
    reachable: npt.NDArray[np.bool_] = np.minimum(best_a, best_b) - baseline >= -1e-9
    return reachable


def compare(
    a: NormName,
    b: NormName,
    org: bool = False,
    sims: Sequence[Sequence[float]] | None = None,
) -> tuple[float, str]:
    """Score of two normalised names and the method that produced it.

    `sims` (token similarities of a x b, from `similarity_matrix`) lets the index score
    many candidates against one query without recomputing them pair by pair.
    """
    if a.arabic != b.arabic:
        score, method = compare(a.as_skeleton(), b.as_skeleton(), org)
        return score, f"arabic-skeleton {method}"
    if not a.tokens or not b.tokens:
        return 0.0, "empty"
    if a.tokens == b.tokens or a.sort_key == b.sort_key:
        return 1.0, "exact"
    score = _aligned(a, b, org, sims if sims is not None else _pairwise(a, b))
    method = "token-align"
    if len(a.tokens) == len(b.tokens) == 1 and not a.arabic:
        # No second token corroborates a one-word name: sounding alike ('renard' /
        # 'rynrado') is not enough, only spelling counts.
        ta, tb = a.tokens[0], b.tokens[0]
        edit = OSA.normalized_similarity(ta, tb)
        cap = max(0.0, 1.0 - (1.0 - edit) * EDIT_STEEPNESS)
        if edit >= ONE_WORD_MIN_EDIT_SIM or ta.startswith(tb) or tb.startswith(ta):
            cap = max(cap, PHONETIC_SIM)
        score = min(score, cap)
        method = "one-word names"
    if not org and min(len(a.tokens), len(b.tokens)) == 1 < max(len(a.tokens), len(b.tokens)):
        score *= SINGLE_TOKEN_FACTOR
        method = "token-align, one-token name"
    if len(a.tokens) != len(b.tokens):
        # Split or merged tokens ("abdel aziz" / "abdelaziz") defeat token alignment.
        joined = Levenshtein.normalized_similarity(a.joined, b.joined)
        if joined >= JOINED_MIN_SIM and joined - SPLIT_MERGE_DISCOUNT > score:
            score, method = joined - SPLIT_MERGE_DISCOUNT, "joined"
    return max(0.0, min(score, 1.0)), method


def score_names(name1: str, name2: str, schema: str = "Person") -> float:
    """Similarity in [0, 1] of two names of parties of the given FtM schema."""
    party = PartySchema(schema)
    score, _ = compare(
        normalize_name(name1, party), normalize_name(name2, party), party in ORG_SCHEMAS
    )
    return round(score, 4)


@dataclass(frozen=True, slots=True)
class Qualified:
    score: float
    explanation: str


def _schema_family(schema: PartySchema) -> str:
    if schema in ORG_SCHEMAS:
        return "org"
    return schema.value


def qualify(
    name_score: float,
    method: str,
    *,
    weak_alias: bool,
    query_dob: dt.date | None,
    query_country: str | None,
    query_schema: PartySchema,
    entry_dobs: Sequence[BirthDate],
    entry_countries: Sequence[str],
    entry_schema: PartySchema,
) -> Qualified:
    score = name_score
    notes = [f"name {name_score:.2f} ({method})"]
    if weak_alias:
        score -= WEAK_ALIAS_PENALTY
        notes.append("low-quality alias")
    if query_dob is not None and entry_dobs:
        delta, note = _dob_delta(query_dob, entry_dobs)
        score += delta
        notes.append(note)
    if query_country and entry_countries:
        if query_country.upper() in entry_countries:
            score += COUNTRY_MATCH_BONUS
            notes.append(f"country {query_country.upper()} matches")
        else:
            score -= COUNTRY_MISMATCH_PENALTY
            notes.append(f"country {query_country.upper()} not in {','.join(entry_countries)}")
    if _schema_family(query_schema) != _schema_family(entry_schema):
        score -= SCHEMA_MISMATCH_PENALTY
        notes.append(f"type {query_schema.value} vs {entry_schema.value}")
    return Qualified(round(max(0.0, min(score, 1.0)), 4), ", ".join(notes))


def _dob_delta(query: dt.date, dobs: Sequence[BirthDate]) -> tuple[float, str]:
    best_gap = 10_000
    for dob in dobs:
        if dob.full == query:
            return DOB_EXACT_BONUS, f"DOB matches {query.isoformat()}"
        slack = 1 if dob.approximate else 0
        lo, hi = dob.year_from - slack, dob.year_to + slack
        gap = 0 if lo <= query.year <= hi else min(abs(query.year - lo), abs(query.year - hi))
        best_gap = min(best_gap, gap)
    if best_gap == 0:
        return DOB_YEAR_BONUS, f"DOB year matches {query.year}"
    if best_gap == 1:
        return 0.0, f"DOB year {query.year} within a year"
    listed = ",".join(str(d) for d in dobs[:3])
    return -DOB_MISMATCH_PENALTY, f"DOB {query.year} vs listed {listed}"

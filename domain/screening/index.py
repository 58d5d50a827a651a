"""The screening index: blocking keys → candidate names → scored, qualified hits.

A query never scans every listed name. Each name is filed under its tokens, their
phonetic keys and 4-letter prefixes; a query gathers the postings of its own keys,
weights them by rarity (a shared "mohammed" says little, a shared "nasrallah" a lot) in
one vectorised pass, and only the best-supported candidates get the full name comparison.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from domain.screening.entities import ListEntry, ListLoadError, LoadedList
from domain.screening.loaders import list_files, load_lists
from domain.screening.matcher import (
    JOINED_MIN_SIM,
    MATCHER_VERSION,
    TRUNCATED_SIM,
    TokenFeatures,
    alignment_gains,
    compare,
    may_reach,
    qualify,
    similarity_parts,
)
from domain.screening.normalize import ORG_SCHEMAS, NormName, normalize_name, token_weight
from models.screening import (
    ListSpec,
    ListVersion,
    ScreeningHit,
    ScreeningResult,
    ScreenPartyInput,
)

log = logging.getLogger(__name__)

MAX_CANDIDATES = 64
"""Names fully scored per query; blocking ranks candidates so the true one is near the top."""
FULLY_SCORED = 16
"""Of those, names given the full token alignment, ranked by weighted query coverage."""
MAX_POSTING_SHARE = 0.2
"""Keys filed under more than this share of all names are too common to block on."""
QUALIFIER_HEADROOM = 0.15
"""More than qualifiers can add to a name score (DOB and country agreeing: +0.10): a name
scoring below threshold minus this is no hit whatever the query's DOB and country."""


def token_keys(token: str, phonetic: str) -> list[str]:
    """Exact, phonetic, prefix and suffix keys: a typo rarely breaks all four."""
    if len(token) < 2:
        return []
    keys = ["t:" + token, "p:" + phonetic]
    if len(token) >= 5:
        keys += ["f:" + token[:4], "b:" + token[-4:]]
    return keys


def key_groups(name: NormName) -> list[list[str]]:
    """Blocking keys grouped by the evidence they stand for (one group per token)."""
    if name.arabic:
        # Arabic-script names are consonant skeletons: they meet Latin names only on the
        # skeleton keys every Latin name is also filed under (`blocking_keys`).
        groups = [["t:" + t, "s:" + t] for t in name.tokens if len(t) >= 2]
    else:
        groups = [token_keys(t, p) for t, p in zip(name.tokens, name.phonetics, strict=True)]
    # The whole name, order-free: an exact match is always a candidate, however common
    # its words ("U.I. International" among hundreds of "International"s).
    groups.append(["n:" + " ".join(name.sort_key)])
    if len(name.tokens) > 1 and len(name.joined) >= 5:
        groups.append(["j:" + name.joined[:5]])
    return [g for g in groups if g]


def blocking_keys(name: NormName) -> set[str]:
    """Every key a listed name is filed under: its query keys plus, for a Latin name, the
    skeleton keys an Arabic-script query looks for."""
    keys = {key for group in key_groups(name) for key in group}
    if not name.arabic:
        keys.update("s:" + sk for sk in name.skeletons if len(sk) >= 2)
    return keys


@dataclass(frozen=True, slots=True)
class _IndexedName:
    entry: int
    text: str
    norm: NormName
    weak: bool


class SanctionsIndex:
    fully_scored = FULLY_SCORED
    """Candidates given the full alignment per query (a delta index scores all of them)."""

    def __init__(self, lists: Sequence[LoadedList]) -> None:
        self.lists: list[ListVersion] = [loaded.version for loaded in lists]
        self.entries: list[ListEntry] = [e for loaded in lists for e in loaded.entries]
        self.names: list[_IndexedName] = []
        postings: dict[str, list[int]] = defaultdict(list)
        for entry_no, entry in enumerate(self.entries):
            seen: set[tuple[str, ...]] = set()
            for alias in entry.all_names():
                norm = normalize_name(alias.name, entry.schema)
                if not norm.tokens or norm.sort_key in seen:
                    continue
                seen.add(norm.sort_key)
                name_no = len(self.names)
                self.names.append(_IndexedName(entry_no, alias.name, norm, alias.weak))
                for key in blocking_keys(norm):
                    postings[key].append(name_no)
        # Every name's tokens as ids into one vocabulary, padded (-1) to a rectangle, so a
        # query's candidates are gathered and compared with array operations.
        vocabulary: dict[str, int] = {}
        self._vocab_tokens: list[str] = []
        self._vocab_phonetics: list[str] = []
        width = max((len(n.norm.tokens) for n in self.names), default=1)
        self._token_ids = np.full((len(self.names), width), -1, dtype=np.int32)
        self._token_weights = np.zeros((len(self.names), width))
        self._arabic = np.array([n.norm.arabic for n in self.names], dtype=bool)
        self._lengths = np.array([len(n.norm.tokens) for n in self.names], dtype=np.int64)
        self._joined = np.array([n.norm.joined for n in self.names], dtype=object)
        for name_no, indexed in enumerate(self.names):
            for pos, (tok, pho) in enumerate(
                zip(indexed.norm.tokens, indexed.norm.phonetics, strict=True)
            ):
                tid = vocabulary.get(tok)
                if tid is None:
                    tid = vocabulary[tok] = len(self._vocab_tokens)
                    self._vocab_tokens.append(tok)
                    self._vocab_phonetics.append(pho)
                self._token_ids[name_no, pos] = tid
                self._token_weights[name_no, pos] = indexed.norm.weights[pos]
        codes: dict[str, int] = {}
        for code in self._vocab_phonetics:
            codes.setdefault(code, len(codes))
        self._phonetic_ids = codes
        self._vocab = TokenFeatures.of(self._vocab_tokens, self._vocab_phonetics, codes)
        # A Latin token weighs the same in every name (`token_weight`).
        self._vocab_weights = np.array([token_weight(t) for t in self._vocab_tokens])
        total = max(len(self.names), 1)
        self._postings: dict[str, tuple[npt.NDArray[np.int64], float]] = {}
        for key, ids in postings.items():
            if len(ids) > MAX_POSTING_SHARE * total:
                continue
            idf = math.log(total / len(ids))
            weight = idf * (0.6 if key[0] in "pfbjs" else 3.0 if key[0] == "n" else 1.0)
            self._postings[key] = (np.asarray(ids, dtype=np.int64), weight)
        log.info(
            "built screening index entries=%d names=%d keys=%d",
            len(self.entries),
            len(self.names),
            len(self._postings),
        )

    def _candidates(self, norm: NormName) -> list[int]:
        """The `MAX_CANDIDATES` names with the most rarity-weighted key support.

        A query token's several keys are one piece of evidence: a name's support from one
        token is the sum of its keys' weights capped at the token's strongest key, so a
        common token matching on four keys cannot outrank two rare tokens. All of the
        query's postings are summed in one sort (by name, then token) instead of one
        `np.unique` per token.
        """
        arrays: list[npt.NDArray[np.int64]] = []
        key_weights: list[float] = []
        key_groups_no: list[int] = []
        caps: list[float] = []
        for group in key_groups(norm):
            cap = 0.0
            for key in group:
                found = self._postings.get(key)
                if found is not None:
                    arrays.append(found[0])
                    key_weights.append(found[1])
                    key_groups_no.append(len(caps))
                    cap = max(cap, found[1])
            if cap:
                caps.append(cap)
        if not arrays:
            return []
        lengths = [len(a) for a in arrays]
        n_groups = len(caps)
        combined = np.concatenate(arrays) * n_groups + np.repeat(key_groups_no, lengths)
        weights = np.repeat(key_weights, lengths)
        order = np.argsort(combined, kind="stable")
        combined = combined[order]
        starts = np.flatnonzero(np.concatenate(([True], combined[1:] != combined[:-1])))
        pair = combined[starts]
        per_token = np.minimum(
            np.add.reduceat(weights[order], starts), np.asarray(caps)[pair % n_groups]
        )
        names = pair // n_groups
        first = np.flatnonzero(np.concatenate(([True], names[1:] != names[:-1])))
        ids = names[first]
        if len(ids) > MAX_CANDIDATES:
            support = np.add.reduceat(per_token, first)
            ids = ids[np.argpartition(support, -MAX_CANDIDATES)[-MAX_CANDIDATES:]]
        result: list[int] = ids.tolist()
        return result

    def _shortlist(
        self, norm: NormName, candidates: list[int], floor: float = 0.0
    ) -> list[tuple[int, list[list[float]] | None]]:
        """The `FULLY_SCORED` candidates whose tokens best cover the query's, by weight,
        each with its token-similarity grid against the query; less those whose name
        score certainly stays below `floor`.

        One similarity matrix of the query against every distinct candidate token (one
        rapidfuzz call) gives each query token's best match in each candidate; that
        weighted coverage, both ways, ranks candidates far better than shared blocking
        keys, and only the best get the full alignment. Of those, `may_reach` bounds the
        alignment score from the same grids, so most candidates of a name on no list are
        dropped without one. Names in the other script (Arabic skeletons vs Latin) are
        compared by `compare` itself and always kept.
        """
        ids = np.asarray(candidates, dtype=np.int64)
        if norm.arabic:
            # Rare, and compared by skeleton in `compare`: every candidate gets scored.
            return [(int(i), None) for i in ids]
        other_script = self._arabic[ids]
        mixed = bool(other_script.any())
        lengths = self._lengths[ids]
        width = int(lengths.max())
        tokens = self._token_ids[ids, :width]
        valid = tokens >= 0
        if mixed:
            valid &= ~other_script[:, None]
        vocab = np.unique(tokens[valid])
        if vocab.size == 0:
            return [(int(i), None) for i in ids[: self.fully_scored]]
        query = TokenFeatures.of(norm.tokens, norm.phonetics, self._phonetic_ids)
        matrix, cut = similarity_parts(query, self._vocab.take(vocab))
        # query token x candidate x candidate token; padding and other-script names 0
        columns = np.searchsorted(vocab, tokens)
        if mixed:
            columns = np.minimum(columns, vocab.size - 1)
        grids = matrix[:, columns] * valid
        weights = np.asarray(norm.weights)
        cand_weights = self._token_weights[ids, :width]  # 0 on padding
        chosen = np.ones(len(ids), dtype=bool)
        if floor > 0.0:
            # First the bound, on every candidate: most candidates of a name on no list
            # cannot reach the floor, and then nothing needs ranking. Token weights and
            # initials are the vocabulary's: a Latin name's are its tokens'
            # (other-script names are kept whatever their bound).
            gains = alignment_gains(
                np.where(cut, np.maximum(matrix, TRUNCATED_SIM), matrix),
                weights,
                np.array([len(t) == 1 for t in norm.tokens]),
                self._vocab_weights[vocab],
                self._vocab.features[TokenFeatures.LENGTH, vocab] == 1,
                floor,
            )
            chosen = may_reach(
                gains[:, columns] * valid, float(weights.sum()), cand_weights.sum(axis=1), floor
            )
            if mixed:
                chosen |= other_script
            resized = ~chosen & (lengths != len(norm.tokens))
            if resized.any():
                # `compare` may score split or merged tokens on the joined strings.
                joined = process.cdist(
                    [norm.joined],
                    self._joined[ids[resized]].tolist(),
                    scorer=Levenshtein.normalized_similarity,
                    score_cutoff=JOINED_MIN_SIM,
                )[0]
                chosen[resized] = joined >= JOINED_MIN_SIM
            if not chosen.any():
                return []
        if len(ids) > self.fully_scored:
            query_cover = weights @ grids.max(axis=2) / weights.sum()
            cand_total = np.maximum(cand_weights.sum(axis=1), 1e-9)
            cand_cover = (cand_weights * grids.max(axis=0)).sum(axis=1) / cand_total
            coverage = query_cover + cand_cover
            if mixed:
                coverage = np.where(other_script, 3.0, coverage)
            top = np.zeros(len(ids), dtype=bool)
            top[np.argsort(-coverage, kind="stable")[: self.fully_scored]] = True
            chosen &= top
        ids, other_script, lengths, grids = (
            ids[chosen],
            other_script[chosen],
            lengths[chosen],
            grids[:, chosen],
        )
        return [
            (name_no, None if other else [row[:n_tokens] for row in grid])
            for name_no, other, n_tokens, grid in zip(
                ids.tolist(),
                other_script.tolist(),
                lengths.tolist(),
                grids.transpose(1, 0, 2).tolist(),
                strict=True,
            )
        ]

    def search(
        self, query: ScreenPartyInput, threshold: float, limit: int = 10
    ) -> list[ScreeningHit]:
        """Best hit per listed entry with a qualified score ≥ threshold, best first."""
        norm = normalize_name(query.name, query.schema_)
        if not norm.tokens:
            return []
        query_org = query.schema_ in ORG_SCHEMAS
        best: dict[int, tuple[float, str, _IndexedName]] = {}
        candidates = self._candidates(norm)
        if not candidates:
            return []
        floor = threshold - QUALIFIER_HEADROOM
        for name_no, sims in self._shortlist(norm, candidates, floor):
            indexed = self.names[name_no]
            entry = self.entries[indexed.entry]
            org = query_org and entry.schema in ORG_SCHEMAS
            name_score, method = compare(norm, indexed.norm, org, sims)
            if name_score < floor:
                continue  # no qualifier can lift it over the threshold
            qualified = qualify(
                name_score,
                method,
                weak_alias=indexed.weak,
                query_dob=query.date_of_birth,
                query_country=query.country,
                query_schema=query.schema_,
                entry_dobs=entry.birth_dates,
                entry_countries=entry.countries,
                entry_schema=entry.schema,
            )
            current = best.get(indexed.entry)
            if qualified.score >= threshold and (current is None or qualified.score > current[0]):
                best[indexed.entry] = (qualified.score, qualified.explanation, indexed)
        ranked = sorted(best.items(), key=lambda item: -item[1][0])[:limit]
        return [self._hit(entry_no, *found) for entry_no, found in ranked]

    def _hit(
        self, entry_no: int, score: float, explanation: str, name: _IndexedName
    ) -> ScreeningHit:
        entry = self.entries[entry_no]
        return ScreeningHit(
            source=entry.source,
            source_id=entry.source_id,
            entry_name=entry.name,
            matched_name=name.text,
            schema_=entry.schema,
            score=score,
            explanation=explanation,
            programs=list(entry.programs),
            dates_of_birth=[str(d) for d in entry.birth_dates],
            countries=list(entry.countries),
        )

    def screen(self, query: ScreenPartyInput, threshold: float) -> ScreeningResult:
        hits = self.search(query, threshold, limit=25)
        log.info("screened party_id=%s hits=%d", query.party_id, len(hits))
        return ScreeningResult(
            hits=hits,
            threshold=threshold,
            matcher_version=MATCHER_VERSION,
            lists=list(self.lists),
        )


def build_index(specs: Sequence[ListSpec]) -> SanctionsIndex:
    return SanctionsIndex(load_lists(specs))


class IndexHolder:
    """The current index of a long-lived worker; a failed reload keeps the last good one."""

    def __init__(self, index: SanctionsIndex | None = None) -> None:
        self._index = index
        self._lock = threading.Lock()

    @property
    def index(self) -> SanctionsIndex:
        if self._index is None:
            raise RuntimeError("no sanctions index loaded yet")
        return self._index

    @property
    def loaded(self) -> bool:
        return self._index is not None

    def reload(self, specs: Sequence[ListSpec]) -> SanctionsIndex:
        """Build a new index from specs and swap it in; on ListLoadError keep the old one."""
        with self._lock:
            try:
                fresh = build_index(specs)
            except ListLoadError as exc:
                log.error(
                    "sanctions list reload failed, keeping previous index file=%s location=%s",
                    Path(exc.path).name,
                    exc.location,
                )
                raise
            self._index = fresh
            return fresh


_CACHE_LOCK = threading.Lock()
_CACHE: dict[tuple[tuple[str, str, str], ...], tuple[tuple[str, ...], IndexHolder]] = {}
_HASH_MEMO: dict[tuple[str, int, int], str] = {}
_FAILED: dict[tuple[tuple[str, str, str], ...], tuple[str, ...]] = {}


def _file_hash(path: Path) -> str:
    """sha256 of a file, memoised on (path, mtime, size) so cache hits do not re-read lists."""
    try:
        stat = path.stat()
    except OSError as exc:
        raise ListLoadError(str(path), "file", f"cannot stat: {exc.strerror}") from exc
    memo_key = (str(path), stat.st_mtime_ns, stat.st_size)
    found = _HASH_MEMO.get(memo_key)
    if found is None:
        found = hashlib.sha256(path.read_bytes()).hexdigest()
        _HASH_MEMO[memo_key] = found
    return found


def get_index(specs: Sequence[ListSpec]) -> SanctionsIndex:
    """Process-wide index for these specs, rebuilt only when a list file's content changes.

    Thread-safe; a worker's concurrent activities share one build. If the files changed
    and the new content does not load, the previous index for the same specs is served
    (and the failure logged) rather than screening against nothing.
    """
    spec_key = tuple((s.source, s.format.value, s.path) for s in specs)
    with _CACHE_LOCK:
        hashes = tuple(_file_hash(p) for spec in specs for p in list_files(spec))
        cached = _CACHE.get(spec_key)
        if cached is not None and cached[0] == hashes:
            return cached[1].index
        holder = cached[1] if cached is not None else IndexHolder()
        if holder.loaded and _FAILED.get(spec_key) == hashes:
            return holder.index  # this content already failed to load; don't retry per call
        try:
            index = holder.reload(specs)
        except ListLoadError:
            _FAILED[spec_key] = hashes
            if holder.loaded:
                return holder.index
            raise
        _FAILED.pop(spec_key, None)
        _CACHE[spec_key] = (hashes, holder)
        return index


def clear_cache() -> None:
    with _CACHE_LOCK:
        _CACHE.clear()
        _FAILED.clear()

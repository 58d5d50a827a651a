"""Re-screening: list deltas, and customer pages screened against only what a list changed.

The delta of a list update is recorded once in history (`compute_list_delta`); page
activities receive only a reference to it and re-derive the same entries from the stored,
content-addressed copies, verified by hash. A million-customer sweep therefore records a
few hundred bytes per page, not the delta again and again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from clearway.contract import DeltaMismatch, ListChanged, ListUnavailable
from domain.customers.store import ScreenedCustomer
from domain.risk import DobRelation, RiskModel, dob_relation
from domain.screening.delta import DeltaIndex, ListDiff, delta_entry, delta_index, diff_lists
from domain.screening.entities import ListEntry, ListLoadError, LoadedList
from domain.screening.loaders import load_list
from models.common import Finding, Severity
from models.rescreening import (
    ChangeKind,
    ComputeListDeltaInput,
    CustomerHit,
    DeltaChunkRef,
    ListDeltaChunk,
    ListVersionRef,
    RescreenCustomersPageInput,
    RescreenCustomersPageResult,
)
from models.screening import ScreeningHit, ScreenPartyInput

K = TypeVar("K")
V = TypeVar("V")

SCORE_RISE = 0.05
"""A changed entry that matched a customer before re-raises only if the match got stronger
by at least this much (e.g. a date of birth now agrees), not on any edit of the entry."""


def _load(ref: ListVersionRef) -> LoadedList:
    try:
        loaded = load_list(ref.spec())
    except ListLoadError as exc:
        raise ListUnavailable(
            f"stored list {ref.source}/{ref.content_hash[:16]} cannot be read: {exc}"
        ) from exc
    if loaded.version.content_hash != ref.content_hash:
        raise ListChanged(
            f"stored list {ref.source} at {ref.stored_path} has content "
            f"{loaded.version.content_hash[:16]}, expected {ref.content_hash[:16]}"
        )
    return loaded


@dataclass(frozen=True, slots=True)
class _PreparedDelta:
    diff: ListDiff
    current: LoadedList


@dataclass(frozen=True, slots=True)
class _ChunkIndexes:
    new: DeltaIndex | None
    old: DeltaIndex | None
    changes: dict[str, ChangeKind]


class _LruCache(Generic[K, V]):
    """A few entries per process: one sweep at a time is the normal case."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
        return found

    def put(self, key: K, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self._size:
            self._items.popitem(last=False)


class Rescreener:
    """Per worker process: the prepared delta and the indexes of its chunks are cached, so
    the pages of one sweep re-derive nothing."""

    def __init__(self, model: RiskModel) -> None:
        self._rules = model.screening
        self._lock = threading.Lock()
        self._deltas: _LruCache[tuple[str | None, str], _PreparedDelta] = _LruCache(2)
        self._chunks: _LruCache[tuple[str, int, int], _ChunkIndexes] = _LruCache(4)

    def _delta(self, previous: ListVersionRef | None, current: ListVersionRef) -> _PreparedDelta:
        key = (previous.content_hash if previous else None, current.content_hash)
        with self._lock:
            found = self._deltas.get(key)
            if found is None:
                new = _load(current)
                old = _load(previous).entries if previous is not None else None
                found = _PreparedDelta(diff_lists(old, new.entries), new)
                self._deltas.put(key, found)
            return found

    def delta_chunk(self, inp: ComputeListDeltaInput) -> tuple[ListDeltaChunk, ListDiff]:
        prepared = self._delta(inp.previous, inp.current)
        diff = prepared.diff
        chunk = diff.changes[inp.offset : inp.offset + inp.limit]
        return ListDeltaChunk(
            delta_hash=diff.delta_hash,
            total=len(diff.changes),
            added=diff.added,
            changed=len(diff.changes) - diff.added,
            removed=diff.removed,
            offset=inp.offset,
            limit=inp.limit,
            entries=[delta_entry(kind, entry) for kind, entry in chunk],
        ), diff

    def _indexes(self, ref: DeltaChunkRef) -> _ChunkIndexes:
        prepared = self._delta(ref.previous, ref.current)
        if prepared.diff.delta_hash != ref.delta_hash:
            raise DeltaMismatch(
                f"delta of {ref.current.source} re-derived with hash "
                f"{prepared.diff.delta_hash[:16]}, workflow recorded {ref.delta_hash[:16]}"
            )
        key = (ref.delta_hash, ref.offset, ref.limit)
        with self._lock:
            found = self._chunks.get(key)
            if found is None:
                chunk = prepared.diff.changes[ref.offset : ref.offset + ref.limit]
                entries: list[ListEntry] = [entry for _, entry in chunk]
                olds = [
                    prepared.diff.previous[e.source_id]
                    for kind, e in chunk
                    if kind is ChangeKind.CHANGED
                ]
                version = prepared.current.version
                found = _ChunkIndexes(
                    new=delta_index(version, entries),
                    old=delta_index(version, olds),
                    changes={e.source_id: kind for kind, e in chunk},
                )
                self._chunks.put(key, found)
            return found

    def screen_page(
        self, inp: RescreenCustomersPageInput, rows: Sequence[ScreenedCustomer]
    ) -> RescreenCustomersPageResult:
        """Screen one keyset page of customers (as the customer store read it) against the
        delta chunk the workflow recorded."""
        indexes = self._indexes(inp.delta)
        hits: list[CustomerHit] = []
        suppressed = 0
        if indexes.new is not None:
            for customer_id, given, surname, dob, nationality in rows:
                query = ScreenPartyInput(
                    party_id=customer_id,
                    name=f"{given} {surname}",
                    date_of_birth=dob,
                    country=nationality,
                )
                found, dropped = self._new_hits(indexes, query, inp.threshold)
                suppressed += dropped
                if found:
                    hits.append(self._customer_hit(customer_id, query, found, indexes, inp))
        return RescreenCustomersPageResult(
            screened=len(rows),
            next_cursor=rows[-1][0] if len(rows) == inp.page_size else None,
            hits=hits,
            suppressed=suppressed,
        )

    def _new_hits(
        self, indexes: _ChunkIndexes, query: ScreenPartyInput, threshold: float
    ) -> tuple[list[ScreeningHit], int]:
        assert indexes.new is not None
        found = indexes.new.search(query, threshold)
        if not found or indexes.old is None:
            return found, 0
        before = {h.source_id: h.score for h in indexes.old.search(query, threshold)}
        kept = [
            h
            for h in found
            if h.source_id not in before or h.score >= before[h.source_id] + SCORE_RISE
        ]
        return kept, len(found) - len(kept)

    def _customer_hit(
        self,
        customer_id: str,
        query: ScreenPartyInput,
        found: list[ScreeningHit],
        indexes: _ChunkIndexes,
        inp: RescreenCustomersPageInput,
    ) -> CustomerHit:
        findings: list[Finding] = []
        strong_any = False
        version = inp.delta.current.content_hash[:16]
        for hit in found:
            assert query.date_of_birth is not None
            rel = dob_relation(
                query.date_of_birth,
                hit.dates_of_birth,
                year_only_matches=self._rules.year_only_dob_matches,
            )
            strong = hit.score >= self._rules.strong_match.min_score and rel is DobRelation.MATCH
            strong_any = strong_any or strong
            change = indexes.changes.get(hit.source_id, ChangeKind.ADDED).value
            what = "Strong match" if strong else "Possible match"
            findings.append(
                Finding(
                    code="SCREENING_STRONG_MATCH" if strong else "SCREENING_POSSIBLE_MATCH",
                    severity=Severity.REFER,
                    message=(
                        f"{what} on {hit.source} entry {hit.source_id} ({change} in list "
                        f"version {version}), score {hit.score:.2f}: {hit.explanation}"
                    ),
                    field=f"{hit.source}:{hit.source_id}",
                )
            )
        return CustomerHit(
            customer_id=customer_id,
            best_score=max(h.score for h in found),
            strong=strong_any,
            source_ids=[h.source_id for h in found],
            findings=findings,
        )

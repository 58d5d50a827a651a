"""What changed between two versions of one list, and a small index over just that.

Re-screening a customer base against a whole list after every publication would re-raise
every hit officers already cleared. Only entries that are new, or whose screening-relevant
data (names, dates of birth, countries, type) changed, can produce a new match; everything
else was already screened against at onboarding or in an earlier sweep.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from domain.screening.entities import ListEntry, LoadedList
from domain.screening.index import SanctionsIndex, blocking_keys
from domain.screening.normalize import NormName
from models.rescreening import ChangeKind, DeltaEntry
from models.screening import ListVersion

EXHAUSTIVE_MAX_NAMES = 2000
"""Below this many names, every name sharing any blocking key with the query is scored.
The main index drops keys common to >20% of names and weights by rarity, statistics that
mean nothing over a handful of entries (with one entry every key would be dropped)."""


def _fingerprint(entry: ListEntry) -> tuple[object, ...]:
    names = sorted((a.name.strip().casefold(), a.weak) for a in entry.all_names())
    return (
        entry.schema.value,
        tuple(names),
        tuple(sorted(str(d) for d in entry.birth_dates)),
        tuple(sorted(entry.countries)),
    )


@dataclass(frozen=True, slots=True)
class ListDiff:
    changes: list[tuple[ChangeKind, ListEntry]]
    """Sorted by source id, so chunks [offset, offset + limit) are stable across processes."""
    previous: dict[str, ListEntry]
    """The earlier version of each changed entry, to tell a new match from an old one."""
    removed: int
    delta_hash: str

    @property
    def added(self) -> int:
        return sum(1 for kind, _ in self.changes if kind is ChangeKind.ADDED)


def _sort_key(source_id: str) -> tuple[int, int | str]:
    return (0, int(source_id)) if source_id.isdigit() else (1, source_id)


def delta_entry(kind: ChangeKind, entry: ListEntry) -> DeltaEntry:
    names = entry.all_names()
    return DeltaEntry(
        source_id=entry.source_id,
        change=kind,
        schema_=entry.schema,
        names=[a.name for a in names if not a.weak],
        weak_names=[a.name for a in names if a.weak],
        birth_dates=[str(d) for d in entry.birth_dates],
        countries=list(entry.countries),
    )


def diff_lists(previous: Sequence[ListEntry] | None, current: Sequence[ListEntry]) -> ListDiff:
    """Entries of `current` that are added or changed relative to `previous`, by source id."""
    before = {e.source_id: e for e in previous or ()}
    changes: list[tuple[ChangeKind, ListEntry]] = []
    old: dict[str, ListEntry] = {}
    for entry in sorted(current, key=lambda e: _sort_key(e.source_id)):
        was = before.get(entry.source_id)
        if was is None:
            changes.append((ChangeKind.ADDED, entry))
        elif _fingerprint(was) != _fingerprint(entry):
            changes.append((ChangeKind.CHANGED, entry))
            old[entry.source_id] = was
    current_ids = {e.source_id for e in current}
    removed = sum(1 for sid in before if sid not in current_ids)
    return ListDiff(changes, old, removed, _hash(changes))


def _hash(changes: Sequence[tuple[ChangeKind, ListEntry]]) -> str:
    digest = hashlib.sha256()
    for kind, entry in changes:
        payload = delta_entry(kind, entry).model_dump(mode="json")
        digest.update(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode())
        digest.update(b"\n")
    return digest.hexdigest()


class DeltaIndex(SanctionsIndex):
    """A `SanctionsIndex` over a few entries: same normalisation, scoring and qualifiers, so
    a delta hit scores exactly as the same entry would in a full screening, but candidates
    come from every shared blocking key instead of rarity-weighted ones."""

    def __init__(self, lists: Sequence[LoadedList]) -> None:
        super().__init__(lists)
        self._exhaustive = len(self.names) <= EXHAUSTIVE_MAX_NAMES
        if self._exhaustive:
            self.fully_scored = len(self.names)
        self._by_key: dict[str, list[int]] = defaultdict(list)
        if self._exhaustive:
            for name_no, indexed in enumerate(self.names):
                for key in blocking_keys(indexed.norm):
                    self._by_key[key].append(name_no)

    def _candidates(self, norm: NormName) -> list[int]:
        if not self._exhaustive:
            return super()._candidates(norm)
        found: set[int] = set()
        for key in blocking_keys(norm):
            found.update(self._by_key.get(key, ()))
        return sorted(found)


def delta_index(version: ListVersion, entries: Sequence[ListEntry]) -> DeltaIndex | None:
    if not entries:
        return None
    return DeltaIndex([LoadedList(version, list(entries))])

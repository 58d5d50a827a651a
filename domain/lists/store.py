"""The list-version store: every registered version of a sanctions list, and which one is
active per source. The CLI registers and activates; screening workers read the active set.
The store never commits; the caller's transaction is the unit of work."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from domain.screening.entities import LoadedList
from models.rescreening import ListVersionRef
from models.screening import ListFormat, ListSpec
from models.tables import SanctionsListVersion


class ListVersionRow(NamedTuple):
    source: str
    content_hash: str
    entries: int
    names: int
    loaded_at: dt.datetime
    active: bool


class Activation(NamedTuple):
    current: ListVersionRef
    previous: ListVersionRef | None
    new: bool
    """False when these exact bytes were registered before (a repeated update)."""


def _ref(row: SanctionsListVersion) -> ListVersionRef:
    return ListVersionRef(
        source=row.source,
        format=ListFormat(row.format),
        content_hash=row.content_hash,
        stored_path=row.stored_path,
    )


class ListVersionStore:
    def __init__(self, session: Session) -> None:
        self._session = session

    def has_versions(self, source: str) -> bool:
        found = self._session.scalar(
            select(SanctionsListVersion.content_hash)
            .where(SanctionsListVersion.source == source)
            .limit(1)
        )
        return found is not None

    def active_specs(self) -> tuple[ListSpec, ...]:
        rows = self._session.execute(
            select(
                SanctionsListVersion.source,
                SanctionsListVersion.format,
                SanctionsListVersion.stored_path,
            )
            .where(SanctionsListVersion.active.is_(True))
            .order_by(SanctionsListVersion.source)
        ).all()
        return tuple(
            ListSpec(source=source, format=ListFormat(fmt), path=path) for source, fmt, path in rows
        )

    def versions(self) -> list[ListVersionRow]:
        """Every version, per source newest first."""
        rows = self._session.scalars(
            select(SanctionsListVersion).order_by(
                SanctionsListVersion.source, SanctionsListVersion.loaded_at.desc()
            )
        ).all()
        return [
            ListVersionRow(r.source, r.content_hash, r.entries, r.names, r.loaded_at, r.active)
            for r in rows
        ]

    def activate(
        self,
        stored: ListSpec,
        loaded: LoadedList,
        baseline: tuple[ListSpec, LoadedList] | None,
    ) -> Activation:
        """Register a stored version (once per content) and make it the active one of its
        source, remembering the version it replaced so a re-run of an interrupted update
        re-derives the same delta. `baseline` is the configured file, stored as the
        first version of a source that never had one."""
        s = self._session
        source = stored.source
        # Serialises concurrent updates of one source (the partial unique index would
        # otherwise make the loser fail on activation instead of waiting).
        s.execute(text("SELECT pg_advisory_xact_lock(hashtext(:s))"), {"s": source})
        current_active = s.scalars(
            select(SanctionsListVersion)
            .where(SanctionsListVersion.source == source, SanctionsListVersion.active.is_(True))
            .with_for_update()
        ).one_or_none()
        previous_hash = current_active.content_hash if current_active is not None else None
        if previous_hash is None and baseline is not None:
            self._insert(baseline[0], baseline[1], None)
            previous_hash = baseline[1].version.content_hash
        new = self._insert(stored, loaded, previous_hash)
        if (
            current_active is not None
            and current_active.content_hash != loaded.version.content_hash
        ):
            current_active.active = False
            s.flush()  # the partial unique index allows one active row at a time
        row = s.get(SanctionsListVersion, (source, loaded.version.content_hash))
        assert row is not None
        row.active = True
        s.flush()
        previous_row = (
            s.get(SanctionsListVersion, (source, row.previous_hash))
            if row.previous_hash is not None
            else None
        )
        return Activation(_ref(row), _ref(previous_row) if previous_row else None, new)

    def _insert(self, spec: ListSpec, loaded: LoadedList, previous_hash: str | None) -> bool:
        inserted = self._session.execute(
            insert(SanctionsListVersion)
            .values(
                source=spec.source,
                content_hash=loaded.version.content_hash,
                format=spec.format.value,
                stored_path=spec.path,
                published=loaded.version.published,
                entries=loaded.version.entries,
                names=loaded.version.names,
                active=False,
                previous_hash=previous_hash,
            )
            .on_conflict_do_nothing(index_elements=["source", "content_hash"])
            .returning(SanctionsListVersion.content_hash)
        ).scalar_one_or_none()
        return inserted is not None

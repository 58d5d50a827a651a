"""Payloads of sanctions-list updates, the re-screening sweep and per-customer reviews.

Everything here travels through Temporal history. List entries are public data and may be
recorded; customers appear only by id, never by name (names stay in PostgreSQL, read by the
activity that screens them).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import AliasChoices, Field

from models.common import Finding, FrozenModel
from models.screening import ListFormat, ListSpec, PartySchema


class ListVersionRef(FrozenModel):
    """An immutable, content-addressed copy of one list version (what `lists update` stored).

    The hash is checked again whenever the copy is read, so a delta computed in one activity
    and re-derived in another is provably over the same bytes.
    """

    source: str
    format: ListFormat
    content_hash: str
    stored_path: str
    """Primary file of the stored copy (for OFAC CSV the companions sit beside it)."""

    def spec(self) -> ListSpec:
        return ListSpec(source=self.source, format=self.format, path=self.stored_path)


class ChangeKind(StrEnum):
    ADDED = "added"
    CHANGED = "changed"


class DeltaEntry(FrozenModel):
    """A listed entry that is new, or whose names, dates of birth or countries changed."""

    source_id: str
    change: ChangeKind
    schema_: PartySchema
    names: list[str]
    weak_names: list[str] = []
    """Low-quality aliases: screened with a score penalty."""
    birth_dates: list[str] = []
    countries: list[str] = []


class DeltaChunkRef(FrozenModel):
    """Identifies one chunk of a delta without carrying its entries: page activities re-derive
    the chunk from the stored copies and refuse to screen if its hash differs."""

    previous: ListVersionRef | None
    """None: the source had no earlier list, so every entry of `current` is added."""
    current: ListVersionRef
    offset: int
    limit: int
    delta_hash: str
    """sha256 of the whole delta (every chunk), as computed by `compute_list_delta`."""


class ComputeListDeltaInput(FrozenModel):
    previous: ListVersionRef | None
    current: ListVersionRef
    offset: int = 0
    limit: int = 1000


class ListDeltaChunk(FrozenModel):
    delta_hash: str
    total: int
    """Entries in the whole delta; chunks are [offset, offset + limit)."""
    added: int
    changed: int
    removed: int
    """Entries delisted in `current`: reported, never screened (removal lifts no review)."""
    offset: int
    limit: int
    entries: list[DeltaEntry]

    def ref(self, previous: ListVersionRef | None, current: ListVersionRef) -> DeltaChunkRef:
        return DeltaChunkRef(
            previous=previous,
            current=current,
            offset=self.offset,
            limit=self.limit,
            delta_hash=self.delta_hash,
        )


class RescreenCustomersPageInput(FrozenModel):
    delta: DeltaChunkRef
    after_customer_id: str | None
    """Keyset cursor: customers with a greater id, in id order."""
    page_size: int
    threshold: float


class CustomerHit(FrozenModel):
    """A customer that newly matches delta entries: one review per customer and version."""

    customer_id: str
    best_score: float
    strong: bool
    """Near-exact name with a matching date of birth: the review needs two approvers."""
    source_ids: list[str]
    findings: list[Finding]


class RescreenCustomersPageResult(FrozenModel):
    screened: int
    next_cursor: str | None
    """Id of the last customer read; None when this page was the last."""
    hits: list[CustomerHit]
    suppressed: int = 0
    """Hits on changed entries that already matched as strongly before the change."""


class ReviewConfig(FrozenModel):
    records_queue: str = Field(validation_alias=AliasChoices("records_queue", "ledger_queue"))
    """Queue of the case and customer writes. Inputs recorded before it was renamed call it
    `ledger_queue` (and name the `ledger` queue, whose worker still serves those writes)."""
    review_sla: dt.timedelta


class RescreeningConfig(FrozenModel):
    screening_queue: str
    review: ReviewConfig
    page_size: int = 1000
    pages_per_run: int = 100
    """Pages screened before continue-as-new: bounds each run's history (~6 events a page
    plus a few per review started) whatever the number of customers."""
    delta_chunk: int = 1000
    """Delta entries per pass over the customers: bounds the entries recorded in history
    by one `compute_list_delta` result (a brand-new source can add thousands)."""


class RescreeningProgress(FrozenModel):
    """What continue-as-new carries: the cursor and the counters, never the delta entries."""

    chunk: DeltaChunkRef | None = None
    """The delta chunk being screened; None between chunks."""
    next_offset: int = 0
    """Where the next chunk starts once `chunk` has met every customer."""
    delta_total: int | None = None
    after_customer_id: str | None = None
    customers_screened: int = 0
    """Customer screenings: a customer counts once per delta chunk."""
    pages: int = 0
    runs: int = 1
    reviews_started: int = 0
    reviews_existing: int = 0
    suppressed: int = 0


class RescreeningInput(FrozenModel):
    source: str
    previous: ListVersionRef | None
    current: ListVersionRef
    threshold: float
    config: RescreeningConfig
    progress: RescreeningProgress = RescreeningProgress()


class RescreeningSummary(FrozenModel):
    source: str
    content_hash: str
    delta_entries: int
    customers_screened: int
    pages: int
    runs: int
    reviews_started: int
    reviews_existing: int
    suppressed: int
    finished: bool


def review_workflow_id(customer_id: str, content_hash: str) -> str:
    """Deterministic per customer and list version: a second start is refused, not doubled."""
    return f"review-{customer_id}-{content_hash[:16]}"


def rescreening_workflow_id(source: str, content_hash: str) -> str:
    return f"rescreening-{source}-{content_hash[:16]}"


class CustomerReviewInput(FrozenModel):
    customer_id: str
    source: str
    content_hash: str
    hit: CustomerHit
    config: ReviewConfig


class ReviewStatus(StrEnum):
    OPENING = "opening"
    PENDING_REVIEW = "pending_review"
    CLEARED = "cleared"
    """False positive: the customer stays active."""
    FROZEN = "frozen"


class CustomerReviewState(FrozenModel):
    customer_id: str
    status: ReviewStatus
    case_id: str | None
    approvals: int
    required_approvals: int
    escalated: bool


class FreezeCustomerInput(FrozenModel):
    customer_id: str
    case_id: str
    """The review that decided it, kept for the log line and the error message."""


class FreezeCustomerResult(FrozenModel):
    customer_id: str
    status: str
    changed: bool
    """False when the customer was already frozen (a retry, or another review)."""

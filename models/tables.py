"""PostgreSQL tables (SQLAlchemy 2 typed mappings). Alembic migrations are the source of truth
for the schema in a database; these mappings must agree with them (a test checks)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    Numeric,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

MONEY = Numeric(20, 4)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSONB, list[Any]: JSONB}


class Customer(Base):
    """A party the bank has approved. Personal data lives here (the system of record), never
    in Temporal history or logs; re-screening reads names from this table."""

    __tablename__ = "customers"

    customer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    application_id: Mapped[str] = mapped_column(String(64), unique=True)
    workflow_id: Mapped[str] = mapped_column(String(128))
    given_names: Mapped[str] = mapped_column(String(100))
    surname: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[dt.date] = mapped_column(Date)
    nationality: Mapped[str] = mapped_column(String(2))
    residence_country: Mapped[str] = mapped_column(String(2))
    risk_level: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class Account(Base):
    """A ledger account. Balances are maintained by the ledger in the same transaction as the
    entries that change them, and the check constraint enforces 'never negative unless
    allowed' in the database itself, where no code path can forget it."""

    __tablename__ = "accounts"
    __table_args__ = (
        CheckConstraint(
            "allow_negative OR posted_balance - pending_debits >= 0",
            name="ck_accounts_non_negative",
        ),
        Index("ix_accounts_customer_id", "customer_id"),
    )

    account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("customers.customer_id"), nullable=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    product: Mapped[str] = mapped_column(String(32))
    allow_negative: Mapped[bool] = mapped_column(Boolean, default=False)
    posted_balance: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    pending_debits: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    pending_credits: Mapped[Decimal] = mapped_column(MONEY, default=Decimal(0))
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class Case(Base):
    """The officer work queue. Workflows open and close cases through activities; the API
    reads the queue from here (filterable, pageable) and sends decisions to the workflow."""

    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_status_opened", "status", "opened_at", "case_id"),)

    case_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    workflow_id: Mapped[str] = mapped_column(String(128), unique=True)
    subject: Mapped[str] = mapped_column(String(128))
    """Business reference of what the case is about (application id), not a person's name."""
    status: Mapped[str] = mapped_column(String(32))
    risk_level: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[list[Any]] = mapped_column(JSONB, default=list)
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    sla_due_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    assignee: Mapped[str | None] = mapped_column(String(128), nullable=True)
    approvals: Mapped[list[Any]] = mapped_column(JSONB, default=list)
    required_approvals: Mapped[int] = mapped_column(default=1)
    decision: Mapped[str | None] = mapped_column(String(32), nullable=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class CaseEvent(Base):
    """Append-only audit trail of every case action, including refused decisions, which leave
    no event in Temporal history (a rejected update is not recorded there)."""

    __tablename__ = "case_events"
    __table_args__ = (Index("ix_case_events_case_id", "case_id", "event_id"),)

    event_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True, nullable=True)
    event: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str | None] = mapped_column(String(128), nullable=True)
    role: Mapped[str | None] = mapped_column(String(32), nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SanctionsListVersion(Base):
    """Every list version `clearway lists update` stored, keyed by content: re-registering the
    same bytes is a no-op. At most one row per source is active (partial unique index); the
    active row's stored copy replaces the configured file of that source for screening."""

    __tablename__ = "sanctions_list_versions"
    __table_args__ = (
        Index(
            "uq_sanctions_list_versions_active",
            "source",
            unique=True,
            postgresql_where=text("active"),
        ),
    )

    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    format: Mapped[str] = mapped_column(String(16))
    stored_path: Mapped[str] = mapped_column(Text)
    published: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    entries: Mapped[int] = mapped_column()
    names: Mapped[int] = mapped_column()
    loaded_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    previous_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """The version this one replaced when first registered: a re-run of an interrupted update
    re-derives the same delta from it."""


class DocumentImage(Base):
    """Uploaded document scans, stored once by content hash (claim check). Workflows carry
    only the hash; the image is personal data and stays in the system of record."""

    __tablename__ = "document_images"

    image_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    application_id: Mapped[str] = mapped_column(String(64), index=True)
    media_type: Mapped[str] = mapped_column(String(32))
    size_bytes: Mapped[int] = mapped_column()
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )

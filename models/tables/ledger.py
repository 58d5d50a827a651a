"""The ledger: accounts (balances kept in the same transaction as the transfers that move
them) and the append-only transfer log they are recomputed from (`clearway ledger verify`).

The database itself refuses what must never happen, whatever code path writes: an account
breaking its flags (check constraints and domains, migrations 0009 and 0010), a transfer of
nothing or to itself, a pending transfer resolved twice (a unique index on `pending_id`), a
transfer id reused (primary key), a transfer naming an account that does not exist, an
account deleted or renamed (triggers, migration 0006: they keep the foreign keys' rule without
the foreign keys' row locks).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import DOMAIN
from sqlalchemy.orm import Mapped, mapped_column

from models.tables.base import MONEY, Base

ID_ORDER = "C"
"""Account and transfer ids compare as bytes, not through the locale (migration 0008): the
order every writer locks accounts in, and cheaper index descents."""

NONNEG_AMOUNT = DOMAIN("ledger_nonneg_amount", MONEY, check="VALUE >= 0", create_type=False)
"""An account's running totals (posted and pending debits and credits). Single-column rules
are domains, not table checks (migration 0009): PostgreSQL keeps a domain's checks planned
in its type cache, while it reads every table check back from its stored text for each
INSERT or UPDATE (a third of a single transfer's server instructions before 0009)."""
POSITIVE_AMOUNT = DOMAIN("ledger_positive_amount", MONEY, check="VALUE > 0", create_type=False)
TRANSFER_KIND = DOMAIN(
    "ledger_transfer_kind",
    String(16),
    check="VALUE IN ('single', 'pending', 'post_pending', 'void_pending', 'expire_pending')",
    create_type=False,
)


class Account(Base):
    """A ledger account, TigerBeetle-style: posted and pending debits and credits, and flags.

    `allow_negative` is the inverse of TigerBeetle's `debits_must_not_exceed_credits` (the
    name onboarding already writes); `posted_balance` is `credits_posted - debits_posted`
    (credit-normal, as a customer reads it), kept equal by a constraint. Every new column has
    a server default, so an insert that names only the onboarding fields still works.
    """

    __tablename__ = "accounts"
    __table_args__ = (
        # posted_balance = credits_posted - debits_posted, and the two flags (migration
        # 0010: a function of the row, whose small tree PostgreSQL re-reads per statement)
        CheckConstraint("ledger_account_holds(accounts)", name="ck_accounts_balances"),
        Index("ix_accounts_customer_id", "customer_id"),
    )

    account_id: Mapped[str] = mapped_column(String(64, collation=ID_ORDER), primary_key=True)
    customer_id: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("customers.customer_id"), nullable=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    product: Mapped[str] = mapped_column(String(32))
    allow_negative: Mapped[bool] = mapped_column(Boolean, default=False)
    posted_balance: Mapped[Decimal] = mapped_column(
        MONEY, default=Decimal(0), server_default=text("0")
    )
    pending_debits: Mapped[Decimal] = mapped_column(
        NONNEG_AMOUNT, default=Decimal(0), server_default=text("0")
    )
    pending_credits: Mapped[Decimal] = mapped_column(
        NONNEG_AMOUNT, default=Decimal(0), server_default=text("0")
    )
    debits_posted: Mapped[Decimal] = mapped_column(
        NONNEG_AMOUNT, default=Decimal(0), server_default=text("0")
    )
    credits_posted: Mapped[Decimal] = mapped_column(
        NONNEG_AMOUNT, default=Decimal(0), server_default=text("0")
    )
    credits_must_not_exceed_debits: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )
    closed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class LedgerTransfer(Base):
    """One row per accepted transfer, never updated except a pending row's `state`.

    Kinds: `single` (posted at once), `pending` (a hold with an optional expiry), and the
    resolutions of a pending transfer, `post_pending` (in full or in part), `void_pending`
    and `expire_pending`. A resolution names its pending transfer in `pending_id`, unique,
    so the database refuses a second resolution even if two callers raced past every check.
    `seq` orders the log (keyset pages, newest first).
    """

    __tablename__ = "ledger_transfers"
    __table_args__ = (
        # two different accounts, a state exactly on pending rows, a pending_id exactly on
        # resolutions (migration 0010, as for accounts)
        CheckConstraint(
            "ledger_transfer_holds(ledger_transfers)", name="ck_ledger_transfers_shape"
        ),
        Index("ix_ledger_transfers_debit", "debit_account_id", "seq"),
        Index("ix_ledger_transfers_credit", "credit_account_id", "seq"),
        Index(
            "uq_ledger_transfers_pending_id",
            "pending_id",
            unique=True,
            postgresql_where=text("pending_id IS NOT NULL"),
        ),
        Index(
            "ix_ledger_transfers_expiring",
            "expires_at",
            postgresql_where=text("state = 'pending' AND expires_at IS NOT NULL"),
        ),
    )

    transfer_id: Mapped[str] = mapped_column(String(72, collation=ID_ORDER), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, Identity(), unique=True)
    kind: Mapped[str] = mapped_column(TRANSFER_KIND)
    debit_account_id: Mapped[str] = mapped_column(String(64, collation=ID_ORDER))
    """An existing account, forever: a statement trigger checks every insert and accounts
    are never deleted or renamed (migration 0006; foreign keys would lock both accounts)."""
    credit_account_id: Mapped[str] = mapped_column(String(64, collation=ID_ORDER))
    amount: Mapped[Decimal] = mapped_column(POSITIVE_AMOUNT)
    currency: Mapped[str] = mapped_column(String(3))
    code: Mapped[str] = mapped_column(String(32))
    reference: Mapped[str] = mapped_column(String(140))
    pending_id: Mapped[str | None] = mapped_column(
        String(72, collation=ID_ORDER), ForeignKey("ledger_transfers.transfer_id"), nullable=True
    )
    timeout_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    state: Mapped[str | None] = mapped_column(String(16), nullable=True)
    """Only on `pending` rows: pending, posted, voided or expired."""
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )

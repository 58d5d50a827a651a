"""Customers and their accounts: the party aggregate onboarding opens."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    String,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.tables.base import MONEY, Base


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

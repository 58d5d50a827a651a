"""Customers and their accounts: the party aggregate onboarding opens."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Date,
    DateTime,
    String,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.tables.base import Base


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


# The account table belongs to the ledger; kept importable from here for existing callers.
from models.tables.ledger import Account  # noqa: E402

__all__ = ["Account", "Customer"]

"""Sanctions-list versions registered by `clearway lists update`."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Index,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.tables.base import Base


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

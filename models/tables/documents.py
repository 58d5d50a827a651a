"""Document scans stored by content hash (claim check)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    DateTime,
    LargeBinary,
    String,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.tables.base import Base


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

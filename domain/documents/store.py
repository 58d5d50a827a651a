"""Claim-check storage for document scans: the API stores, the document activity loads."""

from __future__ import annotations

import hashlib

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from models.tables import DocumentImage

MAX_IMAGE_BYTES = 10 * 1024 * 1024


class ImageNotFoundError(LookupError):
    pass


_SIGNATURES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}


def media_type(raw: bytes) -> str | None:
    """PNG or JPEG by file signature; None for anything else (the API refuses it)."""
    return next((kind for sig, kind in _SIGNATURES.items() if raw.startswith(sig)), None)


def store_image(session: Session, application_id: str, raw: bytes) -> str:
    """Store once by content hash; storing the same scan again (a retried POST) is a no-op."""
    kind = media_type(raw)
    if kind is None:
        raise ValueError("document images must be PNG or JPEG")
    image_id = hashlib.sha256(raw).hexdigest()
    session.execute(
        insert(DocumentImage)
        .values(
            image_id=image_id,
            application_id=application_id,
            media_type=kind,
            size_bytes=len(raw),
            content=raw,
        )
        .on_conflict_do_nothing(index_elements=["image_id"])
    )
    return image_id


def load_image(session: Session, image_id: str) -> bytes:
    row = session.get(DocumentImage, image_id)
    if row is None:
        raise ImageNotFoundError(f"document image {image_id[:12]}… is not stored")
    return row.content

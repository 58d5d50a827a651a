"""Claim-check storage for document scans: the API stores, the document activity loads."""

from __future__ import annotations

import hashlib

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from models.tables import DocumentImage

MAX_IMAGE_BYTES = 10 * 1024 * 1024


class ImageNotFoundError(LookupError):
    pass


def media_type(raw: bytes) -> str:
    return "image/png" if raw.startswith(b"\x89PNG") else "image/jpeg"


def store_image(session: Session, application_id: str, raw: bytes) -> str:
    """Store once by content hash; storing the same scan again (a retried POST) is a no-op."""
    image_id = hashlib.sha256(raw).hexdigest()
    session.execute(
        insert(DocumentImage)
        .values(
            image_id=image_id,
            application_id=application_id,
            media_type=media_type(raw),
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

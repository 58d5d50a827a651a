"""Declarative base shared by every aggregate's tables (one metadata for Alembic)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Numeric,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase

MONEY = Numeric(20, 4)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSONB, list[Any]: JSONB}

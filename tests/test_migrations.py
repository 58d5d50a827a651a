"""The Alembic migrations, applied to a real PostgreSQL, produce exactly the mapped schema."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from models.tables import Base


def test_migrations_match_the_mapped_tables(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    assert diff == [], f"models/tables.py and migrations/ disagree: {diff}"

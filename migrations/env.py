"""Alembic environment: the URL comes from the caller (clearway migrate), never from a file."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from models.tables import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url must be set by the caller"
    engine = create_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            # Serialise concurrent migrators (e.g. several containers starting at once).
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7301)")
            context.run_migrations()
    engine.dispose()


run_migrations_online()

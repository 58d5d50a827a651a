"""Database engine and sessions. Activities and the API share this; workflows never touch it."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from clearway.settings import Settings


def database_url(settings: Settings) -> str:
    if settings.database_url is None:
        raise RuntimeError(
            "CLEARWAY_DATABASE_URL is not set (clearway up sets it after starting PostgreSQL)"
        )
    url = settings.database_url.get_secret_value()
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def create_db_engine(settings: Settings) -> Engine:
    return create_engine(
        database_url(settings),
        pool_size=settings.database_pool_size,
        pool_pre_ping=True,
        future=True,
    )


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def ping(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))

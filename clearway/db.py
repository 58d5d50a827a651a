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


CONNECT_TIMEOUT_S = 5
"""libpq `connect_timeout`: a PostgreSQL that accepts the socket but never answers (paused,
overloaded) fails a new connection after this instead of hanging the caller."""
STATEMENT_TIMEOUT_MS = 30_000
"""Server-side bound of one statement; nothing in this application legitimately runs longer."""
POOL_TIMEOUT_S = 10
"""How long a caller waits for a pooled connection when all are busy."""


def create_db_engine(settings: Settings) -> Engine:
    """The engine every process uses. `hide_parameters` keeps statement parameters (names,
    dates of birth, addresses) out of exception messages and therefore out of logs and
    error reports; the timeouts bound every wait on the database, so an unresponsive server
    turns into errors the API answers as 503 instead of requests that hang."""
    return create_engine(
        database_url(settings),
        pool_size=settings.database_pool_size,
        pool_pre_ping=True,
        pool_timeout=POOL_TIMEOUT_S,
        hide_parameters=True,
        connect_args={
            "connect_timeout": CONNECT_TIMEOUT_S,
            "options": f"-c statement_timeout={STATEMENT_TIMEOUT_MS}",
        },
        future=True,
    )


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def ping(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))

"""Shared set-up for benchmarks: real dev server, real PostgreSQL, real workers."""

from __future__ import annotations

import base64
import os
import statistics
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from pydantic import SecretStr
from sqlalchemy.engine import make_url

from clearway.embedded import embedded_postgres
from clearway.migrate import upgrade
from clearway.settings import Settings


@contextmanager
def bench_database(workdir: Path) -> Iterator[str]:
    """A fresh, migrated database: on CLEARWAY_DATABASE_URL if set, else embedded."""
    name = f"clearway_bench_{uuid.uuid4().hex[:8]}"
    configured = os.environ.get("CLEARWAY_DATABASE_URL")

    def create(admin: str) -> str:
        url = make_url(admin)
        libpq = url.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(libpq, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        target = url.set(database=name).render_as_string(hide_password=False)
        upgrade(Settings(database_url=SecretStr(target)))
        return target

    def drop(admin: str) -> None:
        libpq = make_url(admin).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(libpq, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    if configured:
        try:
            yield create(configured)
        finally:
            drop(configured)
        return
    with embedded_postgres(workdir / "pg", database="postgres") as admin:
        yield create(admin)


def bench_settings(database_url: str, temporal: str, workdir: Path, prefix: str) -> Settings:
    return Settings(
        data_dir=workdir,
        temporal_address=temporal,
        task_queue_prefix=prefix,
        database_url=SecretStr(database_url),
        jwt_secret=SecretStr("bench-" + uuid.uuid4().hex),
        encryption_keys=SecretStr("b1:" + base64.b64encode(os.urandom(32)).decode()),
        request_hmac_key=SecretStr(uuid.uuid4().hex),
        log_level="WARNING",
    )


def pct(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]

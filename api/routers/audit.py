"""Auditor routes: the decoded history of any decision, and proof that it still replays."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from temporalio.api.history.v1 import History
from temporalio.client import Client, WorkflowHistory
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import Replayer

from api import deps
from api.auth import Principal, require_roles
from api.errors import ApiError, error_responses
from api.history import decode_history
from clearway.crypto import EncryptionCodec
from clearway.logging import get_logger
from models.common import WorkflowId
from workflows.registry import WORKFLOWS, workflow_runner

router = APIRouter(prefix="/v1/audit", tags=["audit"])
log = get_logger(__name__)


class HistoryResponse(BaseModel):
    workflow_id: str
    run_id: str | None
    workflow_type: str | None
    status: str
    events: list[dict[str, Any]]


class ReplayResponse(BaseModel):
    workflow_id: str
    run_id: str | None
    deterministic: bool
    error: str | None = None
    events: int


async def _fetch(client: Client, workflow_id: str) -> WorkflowHistory:
    handle = client.get_workflow_handle(workflow_id)
    try:
        return await handle.fetch_history()
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise ApiError(404, "not_found", f"no workflow {workflow_id!r}") from exc
        raise


@router.get(
    "/workflows/{workflow_id}/history",
    response_model=HistoryResponse,
    responses=error_responses(404),
)
async def workflow_history(
    workflow_id: WorkflowId,
    principal: Annotated[Principal, Depends(require_roles("auditor"))],
    client: Annotated[Client, Depends(deps.temporal)],
    codec: Annotated[EncryptionCodec, Depends(deps.codec)],
) -> HistoryResponse:
    history = await _fetch(client, workflow_id)
    desc = await client.get_workflow_handle(workflow_id).describe()
    log.info("history read by auditor", workflow_id=workflow_id, auditor=principal.subject)
    return HistoryResponse(
        workflow_id=workflow_id,
        run_id=desc.run_id,
        workflow_type=desc.workflow_type,
        status=desc.status.name if desc.status else "UNKNOWN",
        events=await decode_history(History(events=history.events), codec),
    )


@router.get(
    "/workflows/{workflow_id}/replay",
    response_model=ReplayResponse,
    responses=error_responses(404),
)
async def workflow_replay(
    workflow_id: WorkflowId,
    principal: Annotated[Principal, Depends(require_roles("auditor"))],
    client: Annotated[Client, Depends(deps.temporal)],
) -> ReplayResponse:
    """Replays the recorded history against the workflow code deployed now: a non-
    deterministic result means today's code would not reach the same decisions."""
    history = await _fetch(client, workflow_id)
    replayer = Replayer(
        workflows=WORKFLOWS,
        data_converter=client.data_converter,
        workflow_runner=workflow_runner(),
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    failure = result.replay_failure
    log.info(
        "replay checked by auditor",
        workflow_id=workflow_id,
        auditor=principal.subject,
        deterministic=failure is None,
    )
    return ReplayResponse(
        workflow_id=workflow_id,
        run_id=history.run_id,
        deterministic=failure is None,
        error=str(failure) if failure else None,
        events=len(history.events),
    )

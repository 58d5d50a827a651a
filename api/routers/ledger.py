"""Ledger-wide routes: camt.054 credit notifications (admin) and the trial balance
(auditor, admin)."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client, WorkflowFailureError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from api import deps
from api.auth import Principal, require_roles
from api.errors import ErrorResponse, field_error
from api.temporal_errors import workflow_failure
from clearway.contract import InvalidCamt054, Queue, Role
from clearway.settings import Settings
from domain.ledger import LedgerStore
from domain.ledger.camt054 import MAX_BYTES, parse_camt054
from models.ledger import Camt054Result, TrialBalance
from workflows.ledger import Camt054Workflow, Camt054WorkflowInput, camt054_workflow_id

router = APIRouter(prefix="/v1/ledger", tags=["ledger"])


@router.post(
    "/camt054",
    response_model=Camt054Result,
    responses={422: {"model": ErrorResponse, "description": "malformed or schema-invalid"}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/xml": {
                    "schema": {"type": "string", "description": "camt.054.001.08 Document"}
                }
            },
        }
    },
)
async def ingest_camt054(
    request: Request,
    _: Annotated[Principal, Depends(require_roles(Role.ADMIN))],
    client: Annotated[Client, Depends(deps.temporal)],
    settings: Annotated[Settings, Depends(deps.settings)],
) -> Camt054Result:
    """Post every booked credit of an ISO 20022 camt.054 notification (validated against
    the vendored XSD first) to the credited account, each entry once: a notification
    delivered again reports its entries as `exists`."""
    body = await request.body()
    if len(body) > MAX_BYTES:
        raise field_error(InvalidCamt054(f"notification exceeds {MAX_BYTES} bytes"), "body")
    try:
        notification = await asyncio.to_thread(parse_camt054, body)
    except InvalidCamt054 as exc:
        raise field_error(exc, "body") from exc
    try:
        return await client.execute_workflow(
            Camt054Workflow.run,
            Camt054WorkflowInput(
                notification=notification, ledger_queue=settings.queue(Queue.LEDGER)
            ),
            id=camt054_workflow_id(notification.message_id),
            task_queue=settings.queue(Queue.WORKFLOWS),
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )
    except WorkflowFailureError as exc:
        raise workflow_failure(exc) from exc


@router.get("/trial-balance", response_model=TrialBalance)
def trial_balance(
    _: Annotated[Principal, Depends(require_roles(Role.AUDITOR, Role.ADMIN))],
    sessions: Annotated[sessionmaker[Session], Depends(deps.sessions)],
) -> TrialBalance:
    """Per currency and account kind, posted and pending debit and credit totals; a
    currency is balanced when its debits equal its credits (posted and pending)."""
    with sessions() as s:
        return LedgerStore(s).trial_balance()

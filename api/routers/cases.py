"""Officer routes: the case queue (read through the case store) and decisions (Temporal
updates to the case's review workflow)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client

from api import deps
from api.auth import Principal, require_roles
from api.errors import ApiError, error_responses
from api.temporal_errors import update_refusal
from clearway.contract import OFFICER_ROLES, Role
from clearway.logging import get_logger
from domain.cases.store import CaseStore
from models.cases import CasePage, CaseStatus, CaseView, DecisionRequest, DecisionUpdate
from models.common import CaseId, Cursor, Kind

router = APIRouter(prefix="/v1/cases", tags=["cases"])
DECIDE_UPDATE = "decide"
log = get_logger(__name__)


@router.get("", response_model=CasePage)
def list_cases(
    _: Annotated[Principal, Depends(require_roles(*OFFICER_ROLES))],
    sessions: Annotated[sessionmaker[Session], Depends(deps.sessions)],
    status: Annotated[CaseStatus | None, Query(description="default: open")] = CaseStatus.OPEN,
    kind: Annotated[Kind | None, Query(examples=["onboarding"])] = None,
    escalated: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Cursor | None = None,
) -> CasePage:
    """Oldest first, so the queue is worked in SLA order."""
    with sessions() as session:
        return CaseStore(session).page(
            status=status, kind=kind, escalated=escalated, limit=limit, cursor=cursor
        )


@router.get("/{case_id}", response_model=CaseView, responses=error_responses(404))
def get_case(
    case_id: CaseId,
    _: Annotated[Principal, Depends(require_roles(*OFFICER_ROLES, Role.AUDITOR))],
    sessions: Annotated[sessionmaker[Session], Depends(deps.sessions)],
) -> CaseView:
    with sessions() as session:
        return CaseStore(session).get(case_id)


@router.post(
    "/{case_id}/decision",
    response_model=CaseView,
    responses=error_responses(404, 409),
)
async def decide_case(
    case_id: CaseId,
    body: DecisionRequest,
    principal: Annotated[Principal, Depends(require_roles(*OFFICER_ROLES))],
    sessions: Annotated[sessionmaker[Session], Depends(deps.sessions)],
    client: Annotated[Client, Depends(deps.temporal)],
) -> CaseView:
    case = await run_in_threadpool(_read_case, sessions, case_id)
    update = DecisionUpdate(
        case_id=case_id,
        decision=body.decision,
        reason=body.reason,
        actor=principal.subject,
        role=principal.acting_role(OFFICER_ROLES),
    )
    # Every case is reviewed by a workflow exposing the same `decide` update (a
    # CaseReviewWorkflow, or a parent that reviewed in place before it existed), so the
    # queue routes decisions by the case's workflow id alone.
    handle = client.get_workflow_handle(case.workflow_id)
    try:
        view: CaseView = await handle.execute_update(DECIDE_UPDATE, update, result_type=CaseView)
        return view
    except Exception as exc:
        error = update_refusal(exc, f"case {case_id!r}")
        if isinstance(error, ApiError):
            await run_in_threadpool(_record_refusal, sessions, update, error)
        raise error from exc


def _read_case(sessions: sessionmaker[Session], case_id: str) -> CaseView:
    with sessions() as session:
        return CaseStore(session).get(case_id)


def _record_refusal(
    sessions: sessionmaker[Session], update: DecisionUpdate, error: ApiError
) -> None:
    """A rejected update leaves no event in Temporal history, so the refusal is kept here."""
    log.warning(
        "case decision refused",
        case_id=update.case_id,
        actor=update.actor,
        role=update.role,
        decision=update.decision.value,
        code=error.code,
    )
    with sessions.begin() as session:
        CaseStore(session).record_refusal(
            update.case_id,
            actor=update.actor,
            role=update.role,
            reason=update.reason,
            decision=update.decision.value,
            code=error.code,
            message=error.message,
        )

"""Officer routes: the case queue (read from PostgreSQL) and decisions (Temporal updates)."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client

from activities.cases import case_view
from api import deps
from api.auth import Principal, require_roles
from api.errors import ApiError, ErrorResponse
from api.temporal_errors import update_refusal
from clearway.logging import get_logger
from models.cases import CasePage, CaseStatus, CaseView, DecisionRequest, DecisionUpdate
from models.tables import Case, CaseEvent

router = APIRouter(prefix="/v1/cases", tags=["cases"])
DECIDE_UPDATE = "decide"
log = get_logger(__name__)
OFFICERS = ("officer", "senior_officer")


def _encode_cursor(row: Case) -> str:
    raw = json.dumps([row.opened_at.isoformat(), row.case_id]).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode_cursor(cursor: str) -> tuple[dt.datetime, str]:
    try:
        opened, case_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return dt.datetime.fromisoformat(opened), str(case_id)
    except (ValueError, TypeError) as exc:
        raise ApiError(422, "invalid_request", "cursor is not a cursor this API issued") from exc


@router.get("", response_model=CasePage)
def list_cases(
    _: Annotated[Principal, Depends(require_roles(*OFFICERS))],
    sessions: Annotated[sessionmaker[Session], Depends(deps.sessions)],
    status: Annotated[CaseStatus | None, Query(description="default: open")] = CaseStatus.OPEN,
    kind: Annotated[str | None, Query(max_length=32, examples=["onboarding"])] = None,
    escalated: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> CasePage:
    """Oldest first, so the queue is worked in SLA order; keyset pagination stays stable
    while cases are opened and closed underneath the officer."""
    stmt = select(Case)
    if status is not None:
        stmt = stmt.where(Case.status == status.value)
    if kind:
        stmt = stmt.where(Case.kind == kind)
    if escalated is not None:
        stmt = stmt.where(Case.escalated == escalated)
    if cursor:
        opened, case_id = _decode_cursor(cursor)
        stmt = stmt.where(
            or_(Case.opened_at > opened, and_(Case.opened_at == opened, Case.case_id > case_id))
        )
    stmt = stmt.order_by(Case.opened_at, Case.case_id).limit(limit + 1)
    with sessions() as session:
        rows = list(session.scalars(stmt))
    more = len(rows) > limit
    rows = rows[:limit]
    return CasePage(
        items=[case_view(r) for r in rows],
        next_cursor=_encode_cursor(rows[-1]) if more and rows else None,
    )


@router.get("/{case_id}", response_model=CaseView, responses={404: {"model": ErrorResponse}})
def get_case(
    case_id: str,
    _: Annotated[Principal, Depends(require_roles(*OFFICERS, "auditor"))],
    sessions: Annotated[sessionmaker[Session], Depends(deps.sessions)],
) -> CaseView:
    with sessions() as session:
        row = session.get(Case, case_id)
    if row is None:
        raise ApiError(404, "not_found", f"no case {case_id!r}")
    return case_view(row)


@router.post(
    "/{case_id}/decision",
    response_model=CaseView,
    responses={404: {"model": ErrorResponse}, 409: {"model": ErrorResponse}},
)
async def decide_case(
    case_id: str,
    body: DecisionRequest,
    principal: Annotated[Principal, Depends(require_roles(*OFFICERS))],
    sessions: Annotated[sessionmaker[Session], Depends(deps.sessions)],
    client: Annotated[Client, Depends(deps.temporal)],
) -> CaseView:
    with sessions() as session:
        row = session.get(Case, case_id)
    if row is None:
        raise ApiError(404, "not_found", f"no case {case_id!r}")
    role = principal.acting_role(OFFICERS)
    update = DecisionUpdate(
        case_id=case_id,
        decision=body.decision,
        reason=body.reason,
        actor=principal.subject,
        role=role,
    )
    # Any case-owning workflow (onboarding, re-screening review, ...) exposes the same
    # `decide` update, so the queue routes decisions by the case's workflow id alone.
    handle = client.get_workflow_handle(row.workflow_id)
    try:
        view: CaseView = await handle.execute_update(DECIDE_UPDATE, update, result_type=CaseView)
        return view
    except Exception as exc:
        error = update_refusal(exc, f"case {case_id!r}")
        if isinstance(error, ApiError):
            _record_refusal(sessions, update, error)
        raise error from exc


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
        session.add(
            CaseEvent(
                case_id=update.case_id,
                event="decision_refused",
                actor=update.actor,
                role=update.role,
                reason=update.reason,
                detail={
                    "decision": update.decision.value,
                    "code": error.code,
                    "message": error.message,
                },
            )
        )

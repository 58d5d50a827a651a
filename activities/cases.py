"""Case queue activities: the workflow decides, these make the queue and audit trail agree.

Each call is one transaction keyed by an idempotency key, so a retried activity (worker
crash after commit, lost completion) never appends a second event or reapplies a change.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from models.cases import CaseEventInput, CaseStatus, CaseView, OpenCaseInput
from models.tables import Case, CaseEvent


def case_view(row: Case) -> CaseView:
    return CaseView.model_validate(
        {
            "case_id": row.case_id,
            "kind": row.kind,
            "workflow_id": row.workflow_id,
            "subject": row.subject,
            "status": row.status,
            "risk_level": row.risk_level,
            "reasons": row.reasons,
            "opened_at": row.opened_at,
            "sla_due_at": row.sla_due_at,
            "escalated": row.escalated,
            "assignee": row.assignee,
            "approvals": row.approvals,
            "required_approvals": row.required_approvals,
            "decision": row.decision,
            "closed_at": row.closed_at,
        }
    )


class CaseActivities:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    @activity.defn(name="open_case")
    def open_case(self, inp: OpenCaseInput) -> CaseView:
        with self._sessions.begin() as session:
            session.execute(
                insert(Case)
                .values(
                    case_id=inp.case_id,
                    kind=inp.kind,
                    workflow_id=inp.workflow_id,
                    subject=inp.subject,
                    status=CaseStatus.OPEN.value,
                    risk_level=inp.risk_level,
                    reasons=[r.model_dump(mode="json") for r in inp.reasons],
                    opened_at=inp.opened_at,
                    sla_due_at=inp.sla_due_at,
                    escalated=False,
                    approvals=[],
                    required_approvals=inp.required_approvals,
                )
                .on_conflict_do_nothing(index_elements=["workflow_id"])
            )
            session.execute(
                insert(CaseEvent)
                .values(
                    case_id=inp.case_id,
                    idempotency_key=f"{inp.case_id}:opened",
                    event="opened",
                    detail={"risk_level": inp.risk_level, "codes": [r.code for r in inp.reasons]},
                )
                .on_conflict_do_nothing(index_elements=["idempotency_key"])
            )
            row = session.scalars(select(Case).where(Case.workflow_id == inp.workflow_id)).one()
            if row.case_id != inp.case_id:
                raise ApplicationError(
                    f"workflow {inp.workflow_id} already has case {row.case_id}",
                    type="CaseConflict",
                    non_retryable=True,
                )
            activity.logger.info("case opened", extra={"case_id": inp.case_id})
            return case_view(row)

    @activity.defn(name="record_case_event")
    def record_case_event(self, inp: CaseEventInput) -> CaseView:
        with self._sessions.begin() as session:
            inserted = session.execute(
                insert(CaseEvent)
                .values(
                    case_id=inp.case_id,
                    idempotency_key=inp.idempotency_key,
                    event=inp.event,
                    actor=inp.actor,
                    role=inp.role,
                    reason=inp.reason,
                    detail=inp.detail,
                )
                .on_conflict_do_nothing(index_elements=["idempotency_key"])
                .returning(CaseEvent.event_id)
            ).scalar_one_or_none()
            row = session.get(Case, inp.case_id, with_for_update=True)
            if row is None:
                raise ApplicationError(
                    f"case {inp.case_id} does not exist", type="CaseNotFound", non_retryable=True
                )
            if inserted is not None:
                _apply(row, inp)
            return case_view(row)


def _apply(row: Case, inp: CaseEventInput) -> None:
    changes: dict[str, Any] = inp.model_dump(
        include={
            "status",
            "escalated",
            "assignee",
            "decision",
            "risk_level",
            "sla_due_at",
            "closed_at",
        },
        exclude_none=True,
        mode="python",
    )
    if inp.approvals is not None:
        changes["approvals"] = [a.model_dump(mode="json") for a in inp.approvals]
    if inp.reasons is not None:
        changes["reasons"] = [r.model_dump(mode="json") for r in inp.reasons]
    for key, value in changes.items():
        setattr(row, key, value.value if isinstance(value, CaseStatus) else value)

"""The case store: every read and write of the case queue and its audit trail.

Activities (workflow-driven changes) and API routes (the officer queue, refused decisions)
both come here, so the queue has one writer's rules. The store never commits: the caller's
transaction (one activity attempt, one request) is the unit of work.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from clearway.contract import CaseConflict, CaseNotFound, InvalidInput
from models.cases import CaseEventInput, CasePage, CaseStatus, CaseView, OpenCaseInput
from models.tables import Case, CaseEvent

_CHANGES = {"status", "escalated", "assignee", "decision", "risk_level", "sla_due_at", "closed_at"}


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


def encode_cursor(view: CaseView) -> str:
    raw = json.dumps([view.opened_at.isoformat(), view.case_id]).encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_cursor(cursor: str) -> tuple[dt.datetime, str]:
    try:
        opened, case_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(opened, str) or not isinstance(case_id, str):
            raise TypeError("cursor fields are not strings")
        return dt.datetime.fromisoformat(opened), case_id
    except (ValueError, TypeError) as exc:
        raise InvalidInput("cursor is not a cursor this API issued") from exc


class CaseStore:
    def __init__(self, session: Session) -> None:
        self._session = session

    def open(self, inp: OpenCaseInput) -> CaseView:
        """Open a case for a workflow, or find the one it already opened (a retried attempt,
        or a review child reopening its case after requested information arrived): the
        queue row is keyed by case id and the owning workflow id both. A closed case is
        returned to whoever asks for it by id, so a review restarted after its history left
        retention ends with the recorded decision instead of asking again."""
        s = self._session
        s.execute(
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
            .on_conflict_do_nothing()
        )
        s.execute(
            insert(CaseEvent)
            .values(
                case_id=inp.case_id,
                idempotency_key=f"{inp.case_id}:opened",
                event="opened",
                detail={"risk_level": inp.risk_level, "codes": [r.code for r in inp.reasons]},
            )
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
        )
        row = s.get(Case, inp.case_id)
        if row is None or (row.workflow_id != inp.workflow_id and row.status != CaseStatus.CLOSED):
            raise CaseConflict(
                f"case {inp.case_id} or workflow {inp.workflow_id} already has another case"
            )
        return case_view(row)

    def record_event(self, inp: CaseEventInput) -> CaseView:
        """Append the event and apply its change in one step; an idempotency key seen before
        makes the whole call a no-op that returns the current row."""
        s = self._session
        inserted = s.execute(
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
        row = s.get(Case, inp.case_id, with_for_update=True)
        if row is None:
            raise CaseNotFound(f"case {inp.case_id} does not exist")
        if inserted is not None:
            _apply(row, inp)
            s.flush()
        return case_view(row)

    def record_refusal(
        self,
        case_id: str,
        *,
        actor: str,
        role: str,
        reason: str,
        decision: str,
        code: str,
        message: str,
    ) -> None:
        """A refused decision leaves no event in Temporal history, so it is kept here."""
        self._session.add(
            CaseEvent(
                case_id=case_id,
                event="decision_refused",
                actor=actor,
                role=role,
                reason=reason,
                detail={"decision": decision, "code": code, "message": message},
            )
        )

    def get(self, case_id: str) -> CaseView:
        row = self._session.get(Case, case_id)
        if row is None:
            raise CaseNotFound(f"no case {case_id!r}")
        return case_view(row)

    def page(
        self,
        *,
        status: CaseStatus | None,
        kind: str | None,
        escalated: bool | None,
        limit: int,
        cursor: str | None,
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
            opened, case_id = decode_cursor(cursor)
            stmt = stmt.where(
                or_(
                    Case.opened_at > opened,
                    and_(Case.opened_at == opened, Case.case_id > case_id),
                )
            )
        stmt = stmt.order_by(Case.opened_at, Case.case_id).limit(limit + 1)
        views = [case_view(r) for r in self._session.scalars(stmt)]
        more = len(views) > limit
        views = views[:limit]
        return CasePage(
            items=views, next_cursor=encode_cursor(views[-1]) if more and views else None
        )


def _apply(row: Case, inp: CaseEventInput) -> None:
    changes: dict[str, Any] = inp.model_dump(include=_CHANGES, exclude_none=True, mode="python")
    if inp.approvals is not None:
        changes["approvals"] = [a.model_dump(mode="json") for a in inp.approvals]
    if inp.reasons is not None:
        changes["reasons"] = [r.model_dump(mode="json") for r in inp.reasons]
    for key, value in changes.items():
        setattr(row, key, value.value if isinstance(value, CaseStatus) else value)

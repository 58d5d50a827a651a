"""Compliance case payloads: the officer queue, decisions and their audit trail."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from models.common import Finding, FrozenModel, Reason, StrictInput
from models.onboarding import DecisionKind


class CaseStatus(StrEnum):
    OPEN = "open"
    AWAITING_INFORMATION = "awaiting_information"
    CLOSED = "closed"


class Approval(FrozenModel):
    actor: str
    role: str
    at: dt.datetime


class OpenCaseInput(FrozenModel):
    case_id: str
    kind: str
    workflow_id: str
    subject: str
    risk_level: str
    reasons: list[Finding]
    opened_at: dt.datetime
    sla_due_at: dt.datetime
    required_approvals: int


class CaseEventInput(FrozenModel):
    """A change to a case, applied to the queue row and appended to the audit trail in one
    transaction. `idempotency_key` makes a retried activity a no-op."""

    case_id: str
    idempotency_key: str
    event: str
    actor: str | None = None
    role: str | None = None
    reason: str | None = None
    status: CaseStatus | None = None
    approvals: list[Approval] | None = None
    escalated: bool | None = None
    assignee: str | None = None
    decision: str | None = None
    risk_level: str | None = None
    reasons: list[Finding] | None = None
    sla_due_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    detail: dict[str, Any] = {}


class DecisionRequest(StrictInput):
    """Body of `POST /v1/cases/{case_id}/decision`."""

    decision: DecisionKind
    reason: Reason

    model_config = StrictInput.model_config | {
        "json_schema_extra": {
            "examples": [
                {
                    "decision": "approve",
                    "reason": "Name match is a different person: DOB and nationality differ.",
                }
            ]
        }
    }


class DecisionUpdate(FrozenModel):
    """What the API sends to the workflow: the request plus the authenticated actor."""

    case_id: str
    decision: DecisionKind
    reason: str
    actor: str
    role: str


class CaseView(FrozenModel):
    case_id: str
    kind: str
    workflow_id: str
    subject: str
    status: CaseStatus
    risk_level: str
    reasons: list[Finding]
    opened_at: dt.datetime
    sla_due_at: dt.datetime
    escalated: bool = False
    assignee: str | None = None
    approvals: list[Approval] = []
    required_approvals: int = 1
    decision: str | None = None
    closed_at: dt.datetime | None = None


class CasePage(FrozenModel):
    items: list[CaseView]
    next_cursor: str | None = None

"""Compliance case payloads: the officer queue, decisions and their audit trail."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta
from enum import StrEnum
from typing import Any

from models.common import Finding, FrozenModel, Reason, StrictInput


class DecisionKind(StrEnum):
    """What an officer may decide on any case. Each process gives these its own meaning
    (approve an application, clear a customer, release a payment hold)."""

    APPROVE = "approve"
    REJECT = "reject"
    REQUEST_INFORMATION = "request_information"


class CaseOutcome(StrEnum):
    """How a review ends, as its parent process sees it."""

    APPROVED = "approved"
    REJECTED = "rejected"
    INFORMATION_REQUESTED = "information_requested"


class OfficerDecision(FrozenModel):
    """One officer action on a case, as recorded in the workflow (who, when, why)."""

    decision: DecisionKind
    actor: str
    role: str
    reason: str
    decided_at: dt.datetime


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


class CaseReviewInput(FrozenModel):
    """Start input of `CaseReviewWorkflow`, the one human-review step every process uses.

    The parent fixes everything deployment-specific (queue, SLA) because the child cannot
    read settings. `reopened` marks the run that follows requested information: it finds
    its case in the queue and puts it back in front of officers with the new assessment."""

    case: OpenCaseInput
    records_queue: str
    review_sla: timedelta
    information_allowed: bool = True
    """Whether officers may ask the applicant for more (a customer review cannot)."""
    reopened: bool = False
    approved_label: str = "approved"
    rejected_label: str = "rejected"
    """`decision` of the closed case as officers read it in the queue, in the parent's
    words (a re-screening review is `cleared` or `frozen`)."""


class CaseReviewResult(FrozenModel):
    outcome: CaseOutcome
    case: CaseView
    decisions: list[OfficerDecision]
    """Every officer action of this run, in order (who, when, why)."""


class CaseReviewState(FrozenModel):
    """What the child's `status` query answers."""

    case: CaseView | None
    outcome: CaseOutcome | None
    decisions: list[OfficerDecision]

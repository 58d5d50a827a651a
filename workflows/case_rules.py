"""What every case-owning workflow shares: who may decide, four-eyes, and how case changes
reach the queue. One place, so onboarding cases and re-screening reviews cannot drift apart
on the rules officers rely on (and the API maps refusals the same way for both).

Deterministic helpers only; they are called from workflow code.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from models.cases import Approval, CaseEventInput, CaseView, DecisionUpdate
    from models.onboarding import DecisionKind

_T = TypeVar("_T")

OFFICER_ROLES = frozenset({"officer", "senior_officer"})
SENIOR_ROLE = "senior_officer"

DB_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(minutes=1),
    non_retryable_error_types=[
        "CaseConflict",
        "CaseNotFound",
        "CustomerConflict",
        "CustomerNotFound",
    ],
)
"""Database activities retry transient faults indefinitely; business conflicts fail fast."""


class DecisionRefused(ApplicationError):
    """Raised by update validators; `type` tells the API which HTTP status to answer."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message, type=kind, non_retryable=True)


def check_officer_decision(
    update: DecisionUpdate,
    case: CaseView | None,
    approvals: list[Approval],
    *,
    open_for_decision: bool,
    state: str,
) -> None:
    """Refuse a decision the rules forbid: wrong role (Forbidden), another case
    (CaseNotFound), a case not awaiting a decision (CaseClosed), the same approver twice, or
    a two-approval case completed without a senior officer (FourEyesViolation)."""
    if update.role not in OFFICER_ROLES:
        raise DecisionRefused(f"role {update.role!r} may not decide cases", "Forbidden")
    if case is None or case.case_id != update.case_id:
        raise DecisionRefused(f"case {update.case_id} is not open here", "CaseNotFound")
    if not open_for_decision:
        raise DecisionRefused(f"case {update.case_id} is {state}", "CaseClosed")
    if update.decision != DecisionKind.APPROVE:
        return
    if any(a.actor == update.actor for a in approvals):
        raise DecisionRefused(
            "four-eyes: the same officer cannot approve a case twice", "FourEyesViolation"
        )
    required = case.required_approvals
    if len(approvals) + 1 >= required > 1:
        roles = {a.role for a in approvals} | {update.role}
        if SENIOR_ROLE not in roles:
            raise DecisionRefused(
                "four-eyes: a case needing two approvals needs a senior_officer among them",
                "FourEyesViolation",
            )


async def db_activity(queue: str, name: str, arg: object, result_type: type[_T]) -> _T:
    result: _T = await workflow.execute_activity(
        name,
        arg,
        result_type=result_type,
        task_queue=queue,
        start_to_close_timeout=timedelta(seconds=30),
        retry_policy=DB_RETRY,
    )
    return result


async def record_case_event(queue: str, case: CaseView, event: str, **fields: object) -> CaseView:
    """Apply a change to the queue row and append it to the audit trail, idempotently: the
    default key (case, event, workflow time) is the same on every retry and replay."""
    fields.setdefault("idempotency_key", f"{case.case_id}:{event}:{workflow.now()}")
    return await db_activity(
        queue,
        "record_case_event",
        CaseEventInput.model_validate({"case_id": case.case_id, "event": event, **fields}),
        CaseView,
    )

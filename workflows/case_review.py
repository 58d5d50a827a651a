"""CaseReviewWorkflow: the one human-review step every process starts as a child.

A process that needs an officer (an onboarding referral, a re-screening hit; next payment
holds, loan referrals, reconciliation breaks) starts this child and awaits its result, as
Temporal's background-check sample gives each human step a workflow of its own. The child
owns everything officers rely on: the case row in the queue, the `decide` update with its
validator (role, case state, four-eyes), the lock that serialises decisions, the SLA timer
that escalates, and request-information. Its result says how the case ended; what that
means (open an account, freeze a customer, release a payment) stays with the parent.

`CaseDesk` is the same case handling as a plain object, so the parents' pre-child code path
(executions started before `CASE_REVIEW_CHILD`) runs the same rules and issues the same
commands instead of keeping copies of them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from clearway.contract import Activity, ClearwayError, non_retryable
    from domain.cases.rules import ESCALATION_ASSIGNEE, check_decision
    from models.cases import (
        Approval,
        CaseEventInput,
        CaseOutcome,
        CaseReviewInput,
        CaseReviewResult,
        CaseReviewState,
        CaseStatus,
        CaseView,
        DecisionKind,
        DecisionUpdate,
        OfficerDecision,
        OpenCaseInput,
    )

_T = TypeVar("_T")

CASE_REVIEW_CHILD = "case-review-child"
"""Patch: a referral is reviewed by a `CaseReviewWorkflow` child instead of in place."""
CASE_READY = "case_ready"
"""Signal from the review to its parent, with the `CaseView`: officers can decide now.
Until then a parent reports its case as not yet in review, so nobody is sent to decide a
case whose review has not loaded it."""

RECORDS_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(minutes=1),
    non_retryable_error_types=non_retryable(),
)
"""Database activities retry transient faults indefinitely; business errors fail fast."""

_APPROVED_LABELS = ("approved", "cleared")
"""`cases.decision` values meaning approval, including what re-screening reviews wrote
before they had a child; any other closed case was rejected."""


def review_workflow_id(parent_workflow_id: str) -> str:
    """Derived from the parent's business key: a repeated start finds the running review."""
    return f"{parent_workflow_id}-case"


def refusal(exc: ClearwayError) -> ApplicationError:
    """Update refusals travel as `ApplicationError`s typed by the catalogue's class name;
    the API maps that name back to its status and code."""
    return ApplicationError(exc.message, type=exc.type_name(), non_retryable=True)


async def records_activity(queue: str, name: Activity, arg: object, result_type: type[_T]) -> _T:
    result: _T = await workflow.execute_activity(
        name,
        arg,
        result_type=result_type,
        task_queue=queue,
        start_to_close_timeout=timedelta(seconds=30),
        retry_policy=RECORDS_RETRY,
    )
    return result


class CaseDesk:
    """The state of one case under review and the moves officers can make on it."""

    def __init__(self, records_queue: str) -> None:
        self.queue = records_queue
        self.case: CaseView | None = None
        self.approvals: list[Approval] = []
        self.decisions: list[OfficerDecision] = []
        self._lock = asyncio.Lock()

    async def open(self, inp: OpenCaseInput) -> CaseView:
        self.case = await records_activity(self.queue, Activity.OPEN_CASE, inp, CaseView)
        self.approvals = list(self.case.approvals)
        return self.case

    async def event(self, event: str, **fields: Any) -> CaseView:
        """Apply a change to the queue row and append it to the audit trail, idempotently:
        the default key (case, event, workflow time) is the same on every retry and replay."""
        assert self.case is not None
        fields.setdefault("idempotency_key", f"{self.case.case_id}:{event}:{workflow.now()}")
        self.case = await records_activity(
            self.queue,
            Activity.RECORD_CASE_EVENT,
            CaseEventInput.model_validate({"case_id": self.case.case_id, "event": event, **fields}),
            CaseView,
        )
        return self.case

    def check(
        self,
        update: DecisionUpdate,
        *,
        open_for_decision: bool,
        state: str,
        information_allowed: bool = True,
    ) -> None:
        try:
            check_decision(
                update,
                self.case,
                self.approvals,
                open_for_decision=open_for_decision,
                state=state,
                information_allowed=information_allowed,
            )
        except ClearwayError as exc:
            raise refusal(exc) from None

    async def decide(
        self,
        update: DecisionUpdate,
        check: Callable[[DecisionUpdate], None],
        *,
        approved: Callable[[], Awaitable[None]],
        rejected: Callable[[], Awaitable[None]],
        information_requested: Callable[[], None],
    ) -> CaseView:
        """Record one officer decision and hand a final one to the owner's follow-up.

        Decisions are serialised: a second officer's update waits for the first to be
        written, then is checked again against the state it left (the validator ran before
        either). `information_requested` runs before its event is written, so the owner's
        state has moved on by the time anything else can observe the case."""
        async with self._lock:
            check(update)
            now = workflow.now()
            self.decisions.append(
                OfficerDecision(
                    decision=update.decision,
                    actor=update.actor,
                    role=update.role,
                    reason=update.reason,
                    decided_at=now,
                )
            )
            common: dict[str, Any] = {
                "actor": update.actor,
                "role": update.role,
                "reason": update.reason,
                "idempotency_key": f"{update.case_id}:decision:{len(self.decisions)}",
            }
            assert self.case is not None
            if update.decision == DecisionKind.APPROVE:
                self.approvals.append(Approval(actor=update.actor, role=update.role, at=now))
                final = len(self.approvals) >= self.case.required_approvals
                await self.event(
                    "approved" if final else "approval_recorded",
                    approvals=list(self.approvals),
                    **common,
                )
                if final:
                    await approved()
            elif update.decision == DecisionKind.REJECT:
                await self.event("rejected", **common)
                await rejected()
            else:
                information_requested()
                await self.event(
                    "information_requested", status=CaseStatus.AWAITING_INFORMATION, **common
                )
            return self.case

    def sla_remaining(self) -> timedelta | None:
        assert self.case is not None
        if self.case.escalated:
            return None
        return max(self.case.sla_due_at - workflow.now(), timedelta(seconds=1))

    async def escalate(self) -> None:
        case = await self.event(
            "escalated",
            escalated=True,
            assignee=ESCALATION_ASSIGNEE,
            reason="review SLA elapsed without a decision",
        )
        workflow.logger.warning("case escalated", extra={"case_id": case.case_id})
        workflow.metric_meter().create_counter(
            "clearway_case_escalations", "Cases escalated after their review SLA"
        ).add(1, {"kind": case.kind})

    async def await_decision(self, decided: Callable[[], bool]) -> None:
        """Wait for the officers, escalating once when the SLA passes undecided."""
        while not decided():
            try:
                await workflow.wait_condition(decided, timeout=self.sla_remaining())
            except TimeoutError:
                await self.escalate()

    async def close(self, decision: str) -> CaseView:
        return await self.event(
            "closed", status=CaseStatus.CLOSED, decision=decision, closed_at=workflow.now()
        )


@workflow.defn
class CaseReviewWorkflow:
    @workflow.init
    def __init__(self, inp: CaseReviewInput) -> None:
        self._inp = inp
        self._desk = CaseDesk(inp.records_queue)
        self._outcome: CaseOutcome | None = None

    @workflow.run
    async def run(self, inp: CaseReviewInput) -> CaseReviewResult:
        case = await self._desk.open(inp.case)
        if case.status == CaseStatus.CLOSED:
            # Decided by an earlier run of this review (its history since purged).
            approved = (inp.approved_label, *_APPROVED_LABELS)
            self._outcome = (
                CaseOutcome.APPROVED if case.decision in approved else CaseOutcome.REJECTED
            )
        elif case.status == CaseStatus.AWAITING_INFORMATION:
            if inp.reopened:
                await self._desk.event(
                    "information_received",
                    status=CaseStatus.OPEN,
                    risk_level=inp.case.risk_level,
                    reasons=inp.case.reasons,
                    sla_due_at=workflow.now() + inp.review_sla,
                    escalated=False,
                    assignee=None,
                )
            else:
                self._outcome = CaseOutcome.INFORMATION_REQUESTED
        parent = workflow.info().parent
        if self._outcome is None and parent is not None:
            await workflow.get_external_workflow_handle(parent.workflow_id).signal(
                CASE_READY, self._desk.case
            )
        await self._desk.await_decision(lambda: self._outcome is not None)
        await workflow.wait_condition(workflow.all_handlers_finished)
        assert self._outcome is not None and self._desk.case is not None
        workflow.logger.info("case decided", extra={"outcome": self._outcome.value})
        return CaseReviewResult(
            outcome=self._outcome, case=self._desk.case, decisions=list(self._desk.decisions)
        )

    @workflow.update
    async def decide(self, update: DecisionUpdate) -> CaseView:
        return await self._desk.decide(
            update,
            self._check,
            approved=lambda: self._close(CaseOutcome.APPROVED),
            rejected=lambda: self._close(CaseOutcome.REJECTED),
            information_requested=self._information_requested,
        )

    @decide.validator
    def _validate_decide(self, update: DecisionUpdate) -> None:
        self._check(update)

    def _check(self, update: DecisionUpdate) -> None:
        case = self._desk.case
        self._desk.check(
            update,
            open_for_decision=self._outcome is None
            and case is not None
            and case.status == CaseStatus.OPEN,
            state=self._outcome.value if self._outcome else (case.status if case else "opening"),
            information_allowed=self._inp.information_allowed,
        )

    def _information_requested(self) -> None:
        self._outcome = CaseOutcome.INFORMATION_REQUESTED

    async def _close(self, outcome: CaseOutcome) -> None:
        approved = outcome == CaseOutcome.APPROVED
        await self._desk.close(self._inp.approved_label if approved else self._inp.rejected_label)
        self._outcome = outcome

    @workflow.query
    def status(self) -> CaseReviewState:
        return CaseReviewState(
            case=self._desk.case, outcome=self._outcome, decisions=list(self._desk.decisions)
        )

"""CustomerReviewWorkflow: an existing customer newly matches a sanctions-list update.

One execution per customer and list version (`review-{customer_id}-{hash[:16]}`), so a
repeated sweep cannot open a second review. The case id is derived from the workflow id
too: even a restart after the first execution left retention finds its own case in the
queue (and, if it was decided, ends without asking again).

Officers decide through the same `decide` update as onboarding cases, with the same
refusals: approve means a false positive (the customer stays active), reject freezes the
customer.
"""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta
from typing import TypeVar

from temporalio import workflow

from workflows.case_rules import (
    DecisionRefused,
    check_officer_decision,
    db_activity,
    record_case_event,
)

with workflow.unsafe.imports_passed_through():
    from models.cases import (
        Approval,
        CaseStatus,
        CaseView,
        DecisionUpdate,
        OpenCaseInput,
    )
    from models.onboarding import DecisionKind
    from models.rescreening import (
        CustomerReviewInput,
        CustomerReviewState,
        FreezeCustomerInput,
        FreezeCustomerResult,
        ReviewStatus,
    )

_T = TypeVar("_T")
CLEARED, FROZEN = "cleared", "frozen"
"""`cases.decision` of a closed review."""


def review_case_id(workflow_id: str) -> str:
    return "case-rs-" + hashlib.sha256(workflow_id.encode()).hexdigest()[:24]


@workflow.defn
class CustomerReviewWorkflow:
    @workflow.init
    def __init__(self, inp: CustomerReviewInput) -> None:
        self._inp = inp
        self._status = ReviewStatus.OPENING
        self._case: CaseView | None = None
        self._approvals: list[Approval] = []
        self._decisions = 0
        self._lock = asyncio.Lock()

    @workflow.run
    async def run(self, inp: CustomerReviewInput) -> CustomerReviewState:
        opened = workflow.now()
        self._case = await self._db(
            "open_case",
            OpenCaseInput(
                case_id=review_case_id(workflow.info().workflow_id),
                kind="rescreening",
                workflow_id=workflow.info().workflow_id,
                subject=inp.customer_id,
                risk_level="high" if inp.hit.strong else "medium",
                reasons=inp.hit.findings,
                opened_at=opened,
                sla_due_at=opened + inp.config.review_sla,
                required_approvals=2 if inp.hit.strong else 1,
            ),
            CaseView,
        )
        if self._case.status == CaseStatus.CLOSED:
            # Decided by an earlier execution with this id (history since purged).
            self._status = (
                ReviewStatus.FROZEN if self._case.decision == FROZEN else (ReviewStatus.CLEARED)
            )
            return self._state()
        self._approvals = list(self._case.approvals)
        self._status = ReviewStatus.PENDING_REVIEW
        while self._status == ReviewStatus.PENDING_REVIEW:
            try:
                await workflow.wait_condition(
                    lambda: self._status != ReviewStatus.PENDING_REVIEW,
                    timeout=self._sla_remaining(),
                )
            except TimeoutError:
                self._case = await self._case_event(
                    "escalated",
                    escalated=True,
                    assignee="senior_officers",
                    reason="review SLA elapsed without a decision",
                )
                workflow.logger.warning("review escalated", extra={"case_id": self._case.case_id})
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._state()

    def _sla_remaining(self) -> timedelta | None:
        assert self._case is not None
        if self._case.escalated:
            return None
        return max(self._case.sla_due_at - workflow.now(), timedelta(seconds=1))

    @workflow.update
    async def decide(self, update: DecisionUpdate) -> CaseView:
        async with self._lock:
            self._check_decision(update)  # state may have moved while waiting for the lock
            assert self._case is not None
            self._decisions += 1
            common: dict[str, object] = {
                "actor": update.actor,
                "role": update.role,
                "reason": update.reason,
                "idempotency_key": f"{update.case_id}:decision:{self._decisions}",
            }
            if update.decision == DecisionKind.APPROVE:
                now = workflow.now()
                self._approvals.append(Approval(actor=update.actor, role=update.role, at=now))
                final = len(self._approvals) >= self._case.required_approvals
                self._case = await self._case_event(
                    "approved" if final else "approval_recorded",
                    approvals=list(self._approvals),
                    **common,
                )
                if final:
                    await self._close(ReviewStatus.CLEARED, CLEARED)
            else:
                self._case = await self._case_event("rejected", **common)
                await self._db(
                    "freeze_customer",
                    FreezeCustomerInput(
                        customer_id=self._inp.customer_id, case_id=self._case.case_id
                    ),
                    FreezeCustomerResult,
                )
                await self._close(ReviewStatus.FROZEN, FROZEN)
            return self._case

    @decide.validator
    def _validate_decide(self, update: DecisionUpdate) -> None:
        self._check_decision(update)

    def _check_decision(self, update: DecisionUpdate) -> None:
        check_officer_decision(
            update,
            self._case,
            self._approvals,
            open_for_decision=self._status == ReviewStatus.PENDING_REVIEW,
            state=self._status.value,
        )
        if update.decision == DecisionKind.REQUEST_INFORMATION:
            raise DecisionRefused(
                "a re-screening review is decided on the customer file: approve or reject",
                "DecisionNotSupported",
            )

    @workflow.query
    def status(self) -> CustomerReviewState:
        return self._state()

    async def _close(self, outcome: ReviewStatus, decision: str) -> None:
        self._case = await self._case_event(
            "closed", status=CaseStatus.CLOSED, decision=decision, closed_at=workflow.now()
        )
        self._status = outcome
        workflow.logger.info("review decided", extra={"outcome": outcome.value})

    async def _case_event(self, event: str, **fields: object) -> CaseView:
        assert self._case is not None
        return await record_case_event(self._inp.config.ledger_queue, self._case, event, **fields)

    async def _db(self, name: str, arg: object, result_type: type[_T]) -> _T:
        return await db_activity(self._inp.config.ledger_queue, name, arg, result_type)

    def _state(self) -> CustomerReviewState:
        return CustomerReviewState(
            customer_id=self._inp.customer_id,
            status=self._status,
            case_id=self._case.case_id if self._case else None,
            approvals=len(self._approvals),
            required_approvals=self._case.required_approvals if self._case else 1,
            escalated=self._case.escalated if self._case else False,
        )

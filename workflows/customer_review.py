"""CustomerReviewWorkflow: an existing customer newly matches a sanctions-list update.

One execution per customer and list version (`review-{customer_id}-{hash[:16]}`), so a
repeated sweep cannot open a second review. The case id is derived from the workflow id
too: even a restart after the first execution left retention finds its own case in the
queue (and, if it was decided, ends without asking again).

Officers decide in a `CaseReviewWorkflow` child, under the same rules as every other case:
approve means a false positive (the customer stays active), reject freezes the customer.
Executions started before that child existed keep deciding in place, through the same
`CaseDesk`.
"""

from __future__ import annotations

import hashlib

from temporalio import workflow

from workflows.case_review import (
    CASE_READY,
    CASE_REVIEW_CHILD,
    CaseDesk,
    CaseReviewWorkflow,
    records_activity,
    review_workflow_id,
)

with workflow.unsafe.imports_passed_through():
    from clearway.contract import Activity
    from domain.cases.rules import required_approvals
    from models.cases import (
        CaseOutcome,
        CaseReviewInput,
        CaseStatus,
        CaseView,
        DecisionUpdate,
        OpenCaseInput,
    )
    from models.rescreening import (
        CustomerReviewInput,
        CustomerReviewState,
        FreezeCustomerInput,
        FreezeCustomerResult,
        ReviewStatus,
    )

CLEARED, FROZEN = "cleared", "frozen"
"""`cases.decision` of a review closed in place (before the child existed)."""


def review_case_id(workflow_id: str) -> str:
    return "case-rs-" + hashlib.sha256(workflow_id.encode()).hexdigest()[:24]


@workflow.defn
class CustomerReviewWorkflow:
    @workflow.init
    def __init__(self, inp: CustomerReviewInput) -> None:
        self._inp = inp
        self._status = ReviewStatus.OPENING
        self._desk = CaseDesk(inp.config.records_queue)
        self._in_child = False

    @workflow.run
    async def run(self, inp: CustomerReviewInput) -> CustomerReviewState:
        workflow_id = workflow.info().workflow_id
        opened = workflow.now()
        level = "high" if inp.hit.strong else "medium"
        case = OpenCaseInput(
            case_id=review_case_id(workflow_id),
            kind="rescreening",
            workflow_id=workflow_id,
            subject=inp.customer_id,
            risk_level=level,
            reasons=inp.hit.findings,
            opened_at=opened,
            sla_due_at=opened + inp.config.review_sla,
            required_approvals=required_approvals(level),
        )
        if not workflow.patched(CASE_REVIEW_CHILD):
            return await self._review_in_place(case)
        self._status = ReviewStatus.PENDING_REVIEW
        self._in_child = True
        child_id = review_workflow_id(workflow_id)
        result = await workflow.execute_child_workflow(
            CaseReviewWorkflow.run,
            CaseReviewInput(
                case=case.model_copy(update={"workflow_id": child_id}),
                records_queue=inp.config.records_queue,
                review_sla=inp.config.review_sla,
                information_allowed=False,
                approved_label=CLEARED,
                rejected_label=FROZEN,
            ),
            id=child_id,
        )
        self._desk.case = result.case
        self._desk.approvals = list(result.case.approvals)
        if result.outcome == CaseOutcome.REJECTED:
            await self._freeze(result.case)
            self._status = ReviewStatus.FROZEN
        else:
            self._status = ReviewStatus.CLEARED
        workflow.logger.info("review decided", extra={"outcome": self._status.value})
        return self._state()

    async def _review_in_place(self, inp: OpenCaseInput) -> CustomerReviewState:
        """Executions started before `CASE_REVIEW_CHILD`: the case lives in this workflow."""
        case = await self._desk.open(inp)
        if case.status == CaseStatus.CLOSED:
            # Decided by an earlier execution with this id (history since purged).
            self._status = ReviewStatus.FROZEN if case.decision == FROZEN else ReviewStatus.CLEARED
            return self._state()
        self._status = ReviewStatus.PENDING_REVIEW
        await self._desk.await_decision(lambda: self._status != ReviewStatus.PENDING_REVIEW)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._state()

    @workflow.signal(name=CASE_READY)
    def _case_ready(self, case: CaseView) -> None:
        if self._in_child:
            self._desk.case = case

    @workflow.update
    async def decide(self, update: DecisionUpdate) -> CaseView:
        """Decisions of executions reviewed in place; a child's case is decided there."""
        return await self._desk.decide(
            update,
            self._check_decision,
            approved=lambda: self._close(ReviewStatus.CLEARED, CLEARED),
            rejected=self._reject,
            information_requested=lambda: None,
        )

    @decide.validator
    def _validate_decide(self, update: DecisionUpdate) -> None:
        self._check_decision(update)

    def _check_decision(self, update: DecisionUpdate) -> None:
        self._desk.check(
            update,
            open_for_decision=self._status == ReviewStatus.PENDING_REVIEW and not self._in_child,
            state=self._status.value,
            information_allowed=False,
        )

    async def _reject(self) -> None:
        assert self._desk.case is not None
        await self._freeze(self._desk.case)
        await self._close(ReviewStatus.FROZEN, FROZEN)

    async def _freeze(self, case: CaseView) -> None:
        await records_activity(
            self._desk.queue,
            Activity.FREEZE_CUSTOMER,
            FreezeCustomerInput(customer_id=self._inp.customer_id, case_id=case.case_id),
            FreezeCustomerResult,
        )

    async def _close(self, outcome: ReviewStatus, decision: str) -> None:
        await self._desk.close(decision)
        self._status = outcome
        workflow.logger.info("review decided", extra={"outcome": outcome.value})

    @workflow.query
    def status(self) -> CustomerReviewState:
        return self._state()

    def _state(self) -> CustomerReviewState:
        case = self._desk.case
        return CustomerReviewState(
            customer_id=self._inp.customer_id,
            status=self._status,
            case_id=case.case_id if case else review_case_id(workflow.info().workflow_id),
            approvals=len(self._desk.approvals),
            required_approvals=case.required_approvals if case else 1,
            escalated=case.escalated if case else False,
        )

"""CustomerOnboardingWorkflow: verify documents → screen → score → decide → open account.

Deterministic orchestration only: every check, every database write, every clock-dependent
judgement runs in an activity; the workflow's own date (`workflow.now()`) is passed down so a
retried check judges expiry against the same day. Officers act through the `decide` update,
whose validator refuses wrong roles, closed cases and four-eyes violations before anything
is written to history.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy

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
    from models.common import Finding, Severity
    from models.customers import OpenCustomerAccountInput, OpenCustomerAccountResult
    from models.documents import (
        ApplicantFacts,
        DocumentInput,
        DocumentVerificationResult,
        VerifyDocumentsInput,
    )
    from models.kyc import KycChecksResult, RiskContext, RunKycChecksInput
    from models.onboarding import (
        DecisionKind,
        FinalDecision,
        OfficerDecision,
        OnboardingApplication,
        OnboardingState,
        OnboardingStatus,
    )
    from models.onboarding_workflow import (
        InformationUpdate,
        OnboardingConfig,
        OnboardingInput,
        to_document_inputs,
    )
    from models.risk import AssessRiskInput, RiskAssessment, RiskLevel, RiskOutcome
    from models.screening import ScreeningResult, ScreenPartyInput

_T = TypeVar("_T")
KYC_IN_ONE_ACTIVITY = "kyc-checks-in-one-activity"
"""Patch: documents, screening and risk run as one activity (one round trip, not three)."""
CHECK_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(minutes=1),
    non_retryable_error_types=["InvalidDocument", "InvalidInput"],
)


@workflow.defn
class CustomerOnboardingWorkflow:
    @workflow.init
    def __init__(self, inp: OnboardingInput) -> None:
        self._app: OnboardingApplication = inp.application
        self._cfg: OnboardingConfig = inp.config
        self._status = OnboardingStatus.RECEIVED
        self._documents: DocumentVerificationResult | None = None
        self._screening: ScreeningResult | None = None
        self._risk: RiskAssessment | None = None
        self._case: CaseView | None = None
        self._officer_decisions: list[OfficerDecision] = []
        self._approvals: list[Approval] = []
        self._pending_information: InformationUpdate | None = None
        self._customer: OpenCustomerAccountResult | None = None
        self._decision: FinalDecision | None = None
        self._lock = asyncio.Lock()

    # ------------------------------------------------------------------ run
    @workflow.run
    async def run(self, inp: OnboardingInput) -> OnboardingState:
        self._status = OnboardingStatus.IN_REVIEW
        await self._run_checks(to_document_inputs(self._app.documents))

        assert self._risk is not None
        if self._risk.outcome == RiskOutcome.REJECT:
            await self._finish(OnboardingStatus.REJECTED, automatic=True)
        elif self._risk.outcome == RiskOutcome.APPROVE:
            await self._approve(automatic=True)
        else:
            await self._refer()
        return self._state()

    async def _run_checks(self, documents: list[DocumentInput]) -> None:
        today = workflow.now().date()
        applicant = self._app.applicant
        verify = VerifyDocumentsInput(
            application_id=self._app.application_id,
            applicant=ApplicantFacts(
                given_names=applicant.given_names,
                surname=applicant.surname,
                date_of_birth=applicant.date_of_birth,
                nationality=applicant.nationality,
                national_id=applicant.national_id,
            ),
            documents=documents,
            iban=self._app.iban,
            as_of=today,
        )
        party = ScreenPartyInput(
            party_id=workflow.info().workflow_id,
            name=applicant.full_name,
            date_of_birth=applicant.date_of_birth,
            country=applicant.nationality,
        )
        context = RiskContext(
            application_id=self._app.application_id,
            date_of_birth=applicant.date_of_birth,
            nationality=applicant.nationality,
            residence_country=applicant.address.country,
            product=self._app.product,
            as_of=today,
        )
        if workflow.patched(KYC_IN_ONE_ACTIVITY):
            checks = await workflow.execute_activity(
                "run_kyc_checks",
                RunKycChecksInput(
                    documents=verify,
                    party=party,
                    previous_screening=self._screening,
                    risk=context,
                ),
                result_type=KycChecksResult,
                task_queue=self._cfg.screening_queue,
                start_to_close_timeout=timedelta(seconds=90),
                retry_policy=CHECK_RETRY,
            )
            self._documents, self._screening, self._risk = (
                checks.documents,
                checks.screening,
                checks.risk,
            )
        else:
            await self._run_checks_one_by_one(verify, party, context)
        assert self._documents and self._screening and self._risk
        workflow.logger.info(
            "automatic checks done",
            extra={
                "documents_passed": self._documents.passed,
                "hits": len(self._screening.hits),
                "risk_level": self._risk.level.value,
                "outcome": self._risk.outcome.value,
            },
        )

    async def _run_checks_one_by_one(
        self, verify: VerifyDocumentsInput, party: ScreenPartyInput, context: RiskContext
    ) -> None:
        """The path of executions started before `KYC_IN_ONE_ACTIVITY`: three activities.
        Remove with `workflow.deprecate_patch` once no such execution can still be running."""
        self._documents = await workflow.execute_activity(
            "verify_documents",
            verify,
            result_type=DocumentVerificationResult,
            task_queue=self._cfg.screening_queue,
            start_to_close_timeout=timedelta(seconds=60),
            retry_policy=CHECK_RETRY,
        )
        if self._screening is None:
            self._screening = await workflow.execute_activity(
                "screen_party",
                party,
                result_type=ScreeningResult,
                task_queue=self._cfg.screening_queue,
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=CHECK_RETRY,
            )
        self._risk = await workflow.execute_activity(
            "assess_risk",
            AssessRiskInput(
                **context.model_dump(),
                document_findings=self._documents.findings,
                screening_hits=self._screening.hits,
            ),
            result_type=RiskAssessment,
            task_queue=self._cfg.screening_queue,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=CHECK_RETRY,
        )

    # ------------------------------------------------------------- referral
    async def _refer(self) -> None:
        assert self._risk is not None
        opened = workflow.now()
        required = 2 if self._risk.level in (RiskLevel.HIGH, RiskLevel.PROHIBITED) else 1
        self._case = await self._db(
            "open_case",
            OpenCaseInput(
                case_id=f"case-{workflow.uuid4().hex[:16]}",
                kind="onboarding",
                workflow_id=workflow.info().workflow_id,
                subject=self._app.application_id,
                risk_level=self._risk.level.value,
                reasons=self._risk.reasons,
                opened_at=opened,
                sla_due_at=opened + self._cfg.review_sla,
                required_approvals=required,
            ),
            CaseView,
        )
        self._status = OnboardingStatus.PENDING_REVIEW
        while self._decision is None:
            if self._status == OnboardingStatus.NEEDS_INFORMATION:
                await self._await_information()
                continue
            try:
                await workflow.wait_condition(
                    lambda: (
                        self._decision is not None
                        or self._status != OnboardingStatus.PENDING_REVIEW
                    ),
                    timeout=self._sla_remaining(),
                )
            except TimeoutError:
                await self._escalate()
        await workflow.wait_condition(workflow.all_handlers_finished)

    def _sla_remaining(self) -> timedelta | None:
        assert self._case is not None
        if self._case.escalated:
            return None
        remaining = self._case.sla_due_at - workflow.now()
        return max(remaining, timedelta(seconds=1))

    async def _escalate(self) -> None:
        assert self._case is not None
        self._case = await self._case_event(
            "escalated",
            escalated=True,
            assignee="senior_officers",
            reason="review SLA elapsed without a decision",
        )
        workflow.logger.warning("case escalated", extra={"case_id": self._case.case_id})
        workflow.metric_meter().create_counter(
            "clearway_case_escalations", "Cases escalated after their review SLA"
        ).add(1, {"kind": "onboarding"})

    async def _await_information(self) -> None:
        try:
            await workflow.wait_condition(
                lambda: self._pending_information is not None,
                timeout=self._cfg.information_timeout,
            )
        except TimeoutError:
            await self._finish(
                OnboardingStatus.REJECTED,
                automatic=True,
                reasons=[
                    Finding(
                        code="INFORMATION_NOT_PROVIDED",
                        severity=Severity.REJECT,
                        message="requested information was not provided in time",
                    )
                ],
            )
            return
        info = self._pending_information
        assert info is not None
        self._pending_information = None
        self._status = OnboardingStatus.IN_REVIEW
        await self._run_checks(info.documents_as_inputs())
        assert self._risk is not None
        self._case = await self._case_event(
            "information_received",
            status=CaseStatus.OPEN,
            risk_level=self._risk.level.value,
            reasons=self._risk.reasons,
            sla_due_at=workflow.now() + self._cfg.review_sla,
            escalated=False,
            assignee=None,
        )
        self._status = OnboardingStatus.PENDING_REVIEW

    # --------------------------------------------------------------- update
    @workflow.update
    async def decide(self, update: DecisionUpdate) -> CaseView:
        async with self._lock:
            # State may have moved while this update waited for the lock.
            self._check_decision(update)
            now = workflow.now()
            self._officer_decisions.append(
                OfficerDecision(
                    decision=update.decision,
                    actor=update.actor,
                    role=update.role,
                    reason=update.reason,
                    decided_at=now,
                )
            )
            key = f"{update.case_id}:decision:{len(self._officer_decisions)}"
            common = {
                "actor": update.actor,
                "role": update.role,
                "reason": update.reason,
                "idempotency_key": key,
            }
            assert self._case is not None
            if update.decision == DecisionKind.APPROVE:
                self._approvals.append(Approval(actor=update.actor, role=update.role, at=now))
                final = len(self._approvals) >= self._case.required_approvals
                self._case = await self._case_event(
                    "approved" if final else "approval_recorded",
                    approvals=list(self._approvals),
                    **common,
                )
                if final:
                    await self._approve(automatic=False)
            elif update.decision == DecisionKind.REJECT:
                self._case = await self._case_event("rejected", **common)
                await self._finish(OnboardingStatus.REJECTED, automatic=False)
            else:
                self._status = OnboardingStatus.NEEDS_INFORMATION
                self._case = await self._case_event(
                    "information_requested", status=CaseStatus.AWAITING_INFORMATION, **common
                )
            return self._case

    @decide.validator
    def _validate_decide(self, update: DecisionUpdate) -> None:
        self._check_decision(update)

    def _check_decision(self, update: DecisionUpdate) -> None:
        check_officer_decision(
            update,
            self._case,
            self._approvals,
            open_for_decision=self._decision is None
            and self._status == OnboardingStatus.PENDING_REVIEW,
            state=self._public_case_status(),
        )

    def _public_case_status(self) -> str:
        if self._decision is not None:
            return f"closed ({self._decision.outcome.value})"
        return self._status.value

    @workflow.update
    async def provide_information(self, info: InformationUpdate) -> OnboardingState:
        self._pending_information = info
        await workflow.wait_condition(
            lambda: (
                self._status != OnboardingStatus.NEEDS_INFORMATION
                or self._pending_information is None
            )
        )
        return self._state()

    @provide_information.validator
    def _validate_information(self, info: InformationUpdate) -> None:
        if self._status != OnboardingStatus.NEEDS_INFORMATION or self._pending_information:
            raise DecisionRefused(
                f"no information was requested (status {self._status.value})", "CaseClosed"
            )

    # ---------------------------------------------------------------- query
    @workflow.query
    def status(self) -> OnboardingState:
        return self._state()

    # -------------------------------------------------------------- helpers
    async def _approve(self, *, automatic: bool) -> None:
        assert self._risk is not None
        applicant = self._app.applicant
        ids = workflow.uuid4().hex
        self._customer = await self._db(
            "open_customer_account",
            OpenCustomerAccountInput(
                customer_id=f"cus-{ids[:16]}",
                account_id=f"acc-{ids[16:32]}",
                application_id=self._app.application_id,
                workflow_id=workflow.info().workflow_id,
                given_names=applicant.given_names,
                surname=applicant.surname,
                date_of_birth=applicant.date_of_birth,
                nationality=applicant.nationality,
                residence_country=applicant.address.country,
                risk_level=self._risk.level.value,
                currency=self._app.currency,
                product=self._app.product,
            ),
            OpenCustomerAccountResult,
        )
        await self._finish(OnboardingStatus.APPROVED, automatic=automatic)

    async def _finish(
        self,
        outcome: OnboardingStatus,
        *,
        automatic: bool,
        reasons: list[Finding] | None = None,
    ) -> None:
        assert self._risk is not None
        self._decision = FinalDecision(
            outcome=outcome,
            automatic=automatic,
            reasons=reasons if reasons is not None else self._risk.reasons,
            decided_at=workflow.now(),
            officer_decisions=list(self._officer_decisions),
        )
        self._status = outcome
        if self._case is not None and self._case.status != CaseStatus.CLOSED:
            self._case = await self._case_event(
                "closed",
                status=CaseStatus.CLOSED,
                decision=outcome.value,
                closed_at=workflow.now(),
            )
        workflow.logger.info(
            "onboarding decided", extra={"outcome": outcome.value, "automatic": automatic}
        )
        # Metrics from workflow code are replay-safe: the SDK drops them while replaying.
        meter = workflow.metric_meter()
        tags = {"outcome": outcome.value, "automatic": str(automatic).lower()}
        meter.create_counter(
            "clearway_onboarding_decisions", "Onboarding applications decided"
        ).add(1, tags)
        meter.create_histogram_timedelta(
            "clearway_onboarding_decision_time", "Submission to final decision"
        ).record(workflow.now() - workflow.info().start_time, tags)

    async def _case_event(self, event: str, **fields: object) -> CaseView:
        assert self._case is not None
        return await record_case_event(self._cfg.ledger_queue, self._case, event, **fields)

    async def _db(self, name: str, arg: object, result_type: type[_T]) -> _T:
        return await db_activity(self._cfg.ledger_queue, name, arg, result_type)

    def _state(self) -> OnboardingState:
        return OnboardingState(
            application_id=self._app.application_id,
            status=self._status,
            risk=self._risk,
            screening=self._screening,
            documents=self._documents,
            case_id=self._case.case_id if self._case else None,
            customer_id=self._customer.customer_id if self._customer else None,
            accounts=self._customer.accounts if self._customer else [],
            decision=self._decision,
            officer_decisions=list(self._officer_decisions),
        )

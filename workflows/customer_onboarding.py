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

from temporalio import workflow
from temporalio.common import RetryPolicy

from workflows.case_review import (
    CASE_READY,
    CASE_REVIEW_CHILD,
    CaseDesk,
    CaseReviewWorkflow,
    records_activity,
    refusal,
    review_workflow_id,
)

with workflow.unsafe.imports_passed_through():
    from clearway.contract import Activity, InvalidDocument, InvalidInput, NoInformationRequested
    from domain.cases.rules import required_approvals
    from models.cases import (
        CaseOutcome,
        CaseReviewInput,
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
        FinalDecision,
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
    from models.risk import AssessRiskInput, RiskAssessment, RiskOutcome
    from models.screening import ScreeningResult, ScreenPartyInput

KYC_IN_ONE_ACTIVITY = "kyc-checks-in-one-activity"
"""Patch: documents, screening and risk run as one activity (one round trip, not three)."""
CHECK_HEARTBEAT = timedelta(seconds=10)
CHECK_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(minutes=1),
    non_retryable_error_types=[InvalidDocument.type_name(), InvalidInput.type_name()],
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
        self._desk = CaseDesk(inp.config.records_queue)
        self._case_id: str | None = None
        self._in_child = False
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
                Activity.RUN_KYC_CHECKS,
                RunKycChecksInput(
                    documents=verify,
                    party=party,
                    previous_screening=self._screening,
                    risk=context,
                ),
                result_type=KycChecksResult,
                task_queue=self._cfg.screening_queue,
                start_to_close_timeout=timedelta(seconds=90),
                # The activity beats while it works: a crashed worker's checks resume
                # elsewhere within seconds instead of after the 90 s timeout.
                heartbeat_timeout=CHECK_HEARTBEAT,
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
            Activity.VERIFY_DOCUMENTS,
            verify,
            result_type=DocumentVerificationResult,
            task_queue=self._cfg.screening_queue,
            start_to_close_timeout=timedelta(seconds=60),
            retry_policy=CHECK_RETRY,
        )
        if self._screening is None:
            self._screening = await workflow.execute_activity(
                Activity.SCREEN_PARTY,
                party,
                result_type=ScreeningResult,
                task_queue=self._cfg.screening_queue,
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=CHECK_RETRY,
            )
        self._risk = await workflow.execute_activity(
            Activity.ASSESS_RISK,
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
        self._case_id = f"case-{workflow.uuid4().hex[:16]}"
        case = OpenCaseInput(
            case_id=self._case_id,
            kind="onboarding",
            workflow_id=workflow.info().workflow_id,
            subject=self._app.application_id,
            risk_level=self._risk.level.value,
            reasons=self._risk.reasons,
            opened_at=opened,
            sla_due_at=opened + self._cfg.review_sla,
            required_approvals=required_approvals(self._risk.level.value),
        )
        if not workflow.patched(CASE_REVIEW_CHILD):
            await self._refer_in_place(case)
            return
        self._in_child = True
        child_id = review_workflow_id(workflow.info().workflow_id)
        reopened = False
        while self._decision is None:
            assert self._risk is not None
            result = await workflow.execute_child_workflow(
                CaseReviewWorkflow.run,
                CaseReviewInput(
                    case=case.model_copy(
                        update={
                            "workflow_id": child_id,
                            "risk_level": self._risk.level.value,
                            "reasons": self._risk.reasons,
                        }
                    ),
                    records_queue=self._cfg.records_queue,
                    review_sla=self._cfg.review_sla,
                    reopened=reopened,
                ),
                id=child_id,
            )
            self._desk.case = result.case
            self._desk.decisions.extend(result.decisions)
            if result.outcome == CaseOutcome.APPROVED:
                await self._approve(automatic=False)
            elif result.outcome == CaseOutcome.REJECTED:
                await self._finish(OnboardingStatus.REJECTED, automatic=False)
            else:
                self._status = OnboardingStatus.NEEDS_INFORMATION
                reopened = await self._await_information(reopen_case=False)

    async def _refer_in_place(self, case: OpenCaseInput) -> None:
        """Executions started before `CASE_REVIEW_CHILD` keep their case in this workflow."""
        await self._desk.open(case)
        self._status = OnboardingStatus.PENDING_REVIEW
        while self._decision is None:
            if self._status == OnboardingStatus.NEEDS_INFORMATION:
                await self._await_information(reopen_case=True)
                continue
            try:
                await workflow.wait_condition(
                    lambda: (
                        self._decision is not None
                        or self._status != OnboardingStatus.PENDING_REVIEW
                    ),
                    timeout=self._desk.sla_remaining(),
                )
            except TimeoutError:
                await self._desk.escalate()
        await workflow.wait_condition(workflow.all_handlers_finished)

    async def _await_information(self, *, reopen_case: bool) -> bool:
        """Wait for the applicant's answer and re-run the checks on it; reject when none
        comes in time. True when the case goes back to officers."""
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
            return False
        info = self._pending_information
        assert info is not None
        self._pending_information = None
        self._status = OnboardingStatus.IN_REVIEW
        await self._run_checks(info.documents_as_inputs())
        assert self._risk is not None
        if reopen_case:
            await self._desk.event(
                "information_received",
                status=CaseStatus.OPEN,
                risk_level=self._risk.level.value,
                reasons=self._risk.reasons,
                sla_due_at=workflow.now() + self._cfg.review_sla,
                escalated=False,
                assignee=None,
            )
            self._status = OnboardingStatus.PENDING_REVIEW
        return True

    @workflow.signal(name=CASE_READY)
    def _case_ready(self, case: CaseView) -> None:
        """The review child has the case in front of officers (again)."""
        if self._in_child and self._decision is None:
            self._desk.case = case
            self._status = OnboardingStatus.PENDING_REVIEW

    # --------------------------------------------------------------- update
    @workflow.update
    async def decide(self, update: DecisionUpdate) -> CaseView:
        """Decisions of executions reviewed in place; a child's case is decided there."""
        return await self._desk.decide(
            update,
            self._check_decision,
            approved=lambda: self._approve(automatic=False),
            rejected=lambda: self._finish(OnboardingStatus.REJECTED, automatic=False),
            information_requested=self._information_requested,
        )

    @decide.validator
    def _validate_decide(self, update: DecisionUpdate) -> None:
        self._check_decision(update)

    def _check_decision(self, update: DecisionUpdate) -> None:
        self._desk.check(
            update,
            open_for_decision=self._decision is None
            and not self._in_child
            and self._status == OnboardingStatus.PENDING_REVIEW,
            state=self._public_case_status(),
        )

    def _information_requested(self) -> None:
        self._status = OnboardingStatus.NEEDS_INFORMATION

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
            raise refusal(
                NoInformationRequested(
                    f"no information was requested (status {self._status.value})"
                )
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
        self._customer = await records_activity(
            self._cfg.records_queue,
            Activity.OPEN_CUSTOMER_ACCOUNT,
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
            officer_decisions=list(self._desk.decisions),
        )
        self._status = outcome
        if self._desk.case is not None and self._desk.case.status != CaseStatus.CLOSED:
            await self._desk.close(outcome.value)
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

    def _state(self) -> OnboardingState:
        return OnboardingState(
            application_id=self._app.application_id,
            status=self._status,
            risk=self._risk,
            screening=self._screening,
            documents=self._documents,
            case_id=self._case_id,
            customer_id=self._customer.customer_id if self._customer else None,
            accounts=self._customer.accounts if self._customer else [],
            decision=self._decision,
            officer_decisions=list(self._desk.decisions),
        )

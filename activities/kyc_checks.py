"""Temporal activities for the CPU-bound KYC checks: documents, sanctions screening, risk.

The checks themselves are pure functions in their own packages (`activities.documents`,
`activities.screening`, `activities.risk`); these classes hold what must be built once per
worker (the sanctions index, the risk model) and turn invalid business input into
non-retryable errors, so a bad input fails fast instead of being retried for hours.
"""

from __future__ import annotations

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.documents.verify import verify_documents as run_document_checks
from activities.risk import RiskModel
from activities.risk import assess_risk as run_risk_model
from activities.screening.index import IndexHolder
from models.documents import DocumentVerificationResult, VerifyDocumentsInput
from models.risk import AssessRiskInput, RiskAssessment
from models.screening import ScreeningResult, ScreenPartyInput


class DocumentActivities:
    @activity.defn(name="verify_documents")
    def verify_documents(self, inp: VerifyDocumentsInput) -> DocumentVerificationResult:
        try:
            return run_document_checks(inp)
        except ValueError as exc:
            raise ApplicationError(str(exc), type="InvalidDocument", non_retryable=True) from exc


class ScreeningActivities:
    def __init__(self, holder: IndexHolder, threshold: float) -> None:
        self._holder = holder
        self._threshold = threshold

    @activity.defn(name="screen_party")
    def screen_party(self, inp: ScreenPartyInput) -> ScreeningResult:
        result = self._holder.index.screen(inp, self._threshold)
        activity.logger.info("party screened", extra={"hits": len(result.hits)})
        return result


class RiskActivities:
    def __init__(self, model: RiskModel) -> None:
        self._model = model

    @activity.defn(name="assess_risk")
    def assess_risk(self, inp: AssessRiskInput) -> RiskAssessment:
        return run_risk_model(inp, self._model)

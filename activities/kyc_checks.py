"""Temporal activities for the CPU-bound KYC checks: documents, sanctions screening, risk.

The checks themselves are pure functions in their own packages (`domain.documents`,
`domain.screening`, `domain.risk`); these classes hold what must be built once per
worker (the sanctions index, the risk model) and turn invalid business input into
non-retryable errors, so a bad input fails fast instead of being retried for hours.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity

from clearway.contract import Activity, InvalidDocument
from clearway.heartbeat import heartbeating
from domain.documents.store import ImageNotFoundError, load_image
from domain.documents.verify import verify_documents as run_document_checks
from domain.risk import RiskModel
from domain.risk import assess_risk as run_risk_model
from domain.screening.active import active_specs
from domain.screening.index import get_index
from models.documents import DocumentVerificationResult, VerifyDocumentsInput
from models.kyc import KycChecksResult, RunKycChecksInput
from models.risk import AssessRiskInput, RiskAssessment
from models.screening import ListSpec, ScreeningResult, ScreenPartyInput


class DocumentActivities:
    """Document checks. Scans arrive as claim checks (`image_ref`) and are loaded here, so
    only this activity ever holds the image bytes, never the workflow history."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    @activity.defn(name=Activity.VERIFY_DOCUMENTS)
    def verify_documents(self, inp: VerifyDocumentsInput) -> DocumentVerificationResult:
        try:
            return run_document_checks(self._resolve_images(inp))
        except (ImageNotFoundError, ValueError) as exc:
            raise InvalidDocument(str(exc)) from exc

    def _resolve_images(self, inp: VerifyDocumentsInput) -> VerifyDocumentsInput:
        if not any(d.image_ref for d in inp.documents):
            return inp
        with self._sessions() as session:
            documents = [
                d.model_copy(
                    update={
                        "image_base64": base64.b64encode(load_image(session, d.image_ref)).decode(),
                        "image_ref": None,
                    }
                )
                if d.image_ref
                else d
                for d in inp.documents
            ]
        return inp.model_copy(update={"documents": documents})


class ScreeningActivities:
    """Screens against the active lists: the configured ones, each replaced by the version
    `clearway lists update` activated for its source (see `active_specs`, a DB read cached
    ~30 s). The index is built once per process and rebuilt only when the files change (see
    `get_index`); building it in the constructor means the first activity never pays it."""

    def __init__(
        self,
        lists: Sequence[ListSpec],
        threshold: float,
        sessions: sessionmaker[Session] | None = None,
    ) -> None:
        self._lists = list(lists)
        self._threshold = threshold
        self._sessions = sessions
        get_index(self._specs())

    def _specs(self) -> list[ListSpec]:
        if self._sessions is None:
            return self._lists
        return active_specs(self._lists, self._sessions)

    @activity.defn(name=Activity.SCREEN_PARTY)
    def screen_party(self, inp: ScreenPartyInput) -> ScreeningResult:
        result = get_index(self._specs()).screen(inp, self._threshold)
        activity.logger.info("party screened", extra={"hits": len(result.hits)})
        return result


class RiskActivities:
    def __init__(self, model: RiskModel) -> None:
        self._model = model

    @activity.defn(name=Activity.ASSESS_RISK)
    def assess_risk(self, inp: AssessRiskInput) -> RiskAssessment:
        return run_risk_model(inp, self._model)


class KycChecksActivities:
    """The three checks as one activity: the onboarding hot path pays one activity round trip
    (and one workflow task) instead of three. Each check's result stays separately visible
    in the activity result, so the audit trail loses nothing; a transient failure re-runs all
    three, which costs milliseconds without OCR and under a second with it."""

    def __init__(
        self, documents: DocumentActivities, screening: ScreeningActivities, risk: RiskActivities
    ) -> None:
        self._documents = documents
        self._screening = screening
        self._risk = risk

    @activity.defn(name=Activity.RUN_KYC_CHECKS)
    def run_kyc_checks(self, inp: RunKycChecksInput) -> KycChecksResult:
        """Heartbeats while it runs (OCR of a scan can take seconds), so with the heartbeat
        timeout the workflow sets, a crashed worker's attempt is retried within seconds."""
        with heartbeating():
            documents = self._documents.verify_documents(inp.documents)
            screening = inp.previous_screening or self._screening.screen_party(inp.party)
            risk = self._risk.assess_risk(
                AssessRiskInput(
                    **inp.risk.model_dump(),
                    document_findings=documents.findings,
                    screening_hits=screening.hits,
                )
            )
        return KycChecksResult(documents=documents, screening=screening, risk=risk)

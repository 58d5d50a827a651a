"""Payloads of `run_kyc_checks`: documents, screening and risk in one activity round trip."""

from __future__ import annotations

import datetime as dt

from models.common import FrozenModel
from models.documents import DocumentVerificationResult, VerifyDocumentsInput
from models.risk import RiskAssessment
from models.screening import ScreeningResult, ScreenPartyInput


class RiskContext(FrozenModel):
    """The application facts the risk model needs besides the checks' own results."""

    application_id: str
    date_of_birth: dt.date
    nationality: str
    residence_country: str
    product: str
    as_of: dt.date


class RunKycChecksInput(FrozenModel):
    documents: VerifyDocumentsInput
    party: ScreenPartyInput
    previous_screening: ScreeningResult | None = None
    """Set when documents are re-checked after a request for information: the applicant was
    already screened, and the case must keep judging the same screening result."""
    risk: RiskContext


class KycChecksResult(FrozenModel):
    documents: DocumentVerificationResult
    screening: ScreeningResult
    risk: RiskAssessment

"""Risk assessment payloads: inputs, the score, level and the reasons that drove it."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from models.common import Finding, FrozenModel
from models.screening import ScreeningHit


class RiskLevel(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    PROHIBITED = "prohibited"


class RiskOutcome(StrEnum):
    """What the model recommends; the workflow acts on it."""

    APPROVE = "approve"
    REFER = "refer"
    REJECT = "reject"


class AssessRiskInput(FrozenModel):
    application_id: str
    date_of_birth: dt.date
    nationality: str
    residence_country: str
    product: str
    document_findings: list[Finding]
    screening_hits: list[ScreeningHit]
    as_of: dt.date


class RiskAssessment(FrozenModel):
    score: int
    """0 (no risk) to 100; each reason carries the points it added."""
    level: RiskLevel
    outcome: RiskOutcome
    reasons: list[Finding]
    model_version: str
    jurisdictions_as_of: dt.date | None = None
    """Date of the FATF statement the country rules used, so an auditor can tell which
    lists a decision was made against."""

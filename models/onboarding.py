"""Onboarding application and status payloads (HTTP body, workflow input, query result)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from pydantic import EmailStr, Field, model_validator

from models.cases import OfficerDecision
from models.common import (
    BusinessKey,
    CountryCode,
    CurrencyCode,
    Finding,
    FrozenModel,
    StrictInput,
)
from models.documents import DocumentVerificationResult
from models.risk import RiskAssessment
from models.screening import ScreeningResult

Name = Annotated[str, Field(min_length=1, max_length=100)]


class Address(StrictInput):
    line1: Annotated[str, Field(min_length=1, max_length=140)]
    line2: Annotated[str | None, Field(max_length=140)] = None
    city: Annotated[str, Field(min_length=1, max_length=100)]
    postal_code: Annotated[str, Field(min_length=1, max_length=16)]
    country: CountryCode


class Applicant(StrictInput):
    given_names: Name
    surname: Name
    date_of_birth: dt.date
    nationality: CountryCode
    email: EmailStr
    address: Address
    national_id: Annotated[str | None, Field(max_length=32)] = None
    """National identity or tax number, validated with python-stdnum for the nationality."""

    @property
    def full_name(self) -> str:
        return f"{self.given_names} {self.surname}"


class DocumentKind(StrEnum):
    PASSPORT = "passport"
    ID_CARD = "id_card"
    RESIDENCE_PERMIT = "residence_permit"


class DocumentSubmission(StrictInput):
    kind: DocumentKind
    mrz: Annotated[str | None, Field(max_length=200)] = None
    """Machine-readable zone, lines separated by newlines (TD1 3x30, TD2 2x36, TD3 2x44)."""
    image_base64: Annotated[str | None, Field(max_length=14_000_000)] = None
    """PNG or JPEG scan of the data page (at most 10 MB); the MRZ is read from it when `mrz`
    is absent. The API stores the image and the workflow only carries `image_ref`."""
    image_ref: Annotated[str | None, Field(pattern=r"^[0-9a-f]{64}$")] = None
    """Set by the API, never by clients: SHA-256 of the stored image (claim check), so a
    scan neither bloats Temporal history past its payload limit nor lives there forever."""

    @model_validator(mode="after")
    def _needs_mrz_or_image(self) -> DocumentSubmission:
        if not self.mrz and not self.image_base64 and not self.image_ref:
            raise ValueError("a document needs either 'mrz' or 'image_base64'")
        return self


class OnboardingApplication(StrictInput):
    application_id: BusinessKey
    applicant: Applicant
    documents: Annotated[list[DocumentSubmission], Field(min_length=1, max_length=5)]
    iban: Annotated[str | None, Field(max_length=42)] = None
    product: Annotated[str, Field(pattern=r"^[a-z_]{1,32}$")] = "current_account"
    currency: CurrencyCode = "EUR"

    model_config = StrictInput.model_config | {
        "json_schema_extra": {
            "examples": [
                {
                    "application_id": "app-7f3a",
                    "applicant": {
                        "given_names": "Anna Maria",
                        "surname": "Eriksson",
                        "date_of_birth": "1974-08-12",
                        "nationality": "SE",
                        "email": "anna@example.com",
                        "address": {
                            "line1": "Storgatan 1",
                            "city": "Stockholm",
                            "postal_code": "11122",
                            "country": "SE",
                        },
                    },
                    "documents": [
                        {
                            "kind": "passport",
                            "mrz": "P<SWEERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\n"
                            "AA12345678SWE7408122F3104150<<<<<<<<<<<<<<<0",
                        }
                    ],
                    "iban": "SE4550000000058398257466",
                }
            ]
        }
    }


class OnboardingStatus(StrEnum):
    RECEIVED = "received"
    IN_REVIEW = "in_review"
    PENDING_REVIEW = "pending_review"
    NEEDS_INFORMATION = "needs_information"
    APPROVED = "approved"
    REJECTED = "rejected"


class FinalDecision(FrozenModel):
    outcome: OnboardingStatus
    automatic: bool
    reasons: list[Finding] = []
    decided_at: dt.datetime
    officer_decisions: list[OfficerDecision] = []


class AccountRef(FrozenModel):
    account_id: str
    currency: str


class OnboardingState(FrozenModel):
    """What the `status` query returns; also the workflow result once it completes."""

    application_id: str
    status: OnboardingStatus
    risk: RiskAssessment | None = None
    screening: ScreeningResult | None = None
    documents: DocumentVerificationResult | None = None
    case_id: str | None = None
    customer_id: str | None = None
    accounts: list[AccountRef] = []
    decision: FinalDecision | None = None
    officer_decisions: list[OfficerDecision] = []

"""Document verification payloads: the input of `verify_documents` and its typed findings."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import Field

from models.common import Finding, FrozenModel


class MrzFormat(StrEnum):
    TD1 = "TD1"
    TD2 = "TD2"
    TD3 = "TD3"


class DocumentInput(FrozenModel):
    kind: str
    mrz: str | None = None
    image_base64: str | None = None
    image_ref: str | None = None
    """Claim check for an image stored by the API; resolved by the activity, not the check."""


class ApplicantFacts(FrozenModel):
    """The claims the documents are checked against (a subset of the application)."""

    given_names: str
    surname: str
    date_of_birth: dt.date
    nationality: str
    national_id: str | None = None


class VerifyDocumentsInput(FrozenModel):
    application_id: str
    applicant: ApplicantFacts
    documents: list[DocumentInput]
    iban: str | None = None
    as_of: dt.date
    """The workflow's date, so a replayed or retried check judges expiry against the same day."""


class MrzData(FrozenModel):
    """Fields read from a machine-readable zone (names as printed, `<` turned to spaces)."""

    format: MrzFormat
    document_code: str
    issuing_state: str
    surname: str
    given_names: str
    document_number: str
    nationality: str
    """ISO 3166-1 alpha-3 as printed (or ICAO code such as D, GBD, XXA)."""
    nationality_alpha2: str | None = None
    date_of_birth: dt.date | None = None
    sex: str
    expiry_date: dt.date | None = None
    optional_data: str = ""
    check_digit_failures: list[str] = []
    """Names of the fields whose ICAO check digit failed: document_number, date_of_birth,
    expiry_date, optional_data, composite. Empty when every check digit is valid."""
    names_truncated: bool = False
    """The name field is full to its last position, so the issuer may have truncated names."""


class DocumentCheck(FrozenModel):
    index: int
    kind: str
    source: str = Field(description="'mrz' or 'image'")
    mrz: MrzData | None = None
    findings: list[Finding] = []

    @property
    def passed(self) -> bool:
        return not any(f.severity in ("refer", "reject") for f in self.findings)


class IbanCheck(FrozenModel):
    valid: bool
    country: str | None = None
    bank_code: str | None = None
    bic: str | None = None
    findings: list[Finding] = []


class DocumentVerificationResult(FrozenModel):
    passed: bool
    documents: list[DocumentCheck]
    iban: IbanCheck | None = None
    findings: list[Finding] = []
    """All findings of all documents, the IBAN and identifiers, flattened for the risk model."""

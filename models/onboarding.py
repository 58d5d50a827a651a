"""Onboarding application and status payloads (HTTP body, workflow input, query result)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, ConfigDict, Discriminator, Field, Tag, model_validator
from pydantic_core import PydanticCustomError

from models.cases import OfficerDecision
from models.common import (
    AddressLine,
    BusinessKey,
    City,
    CountryCode,
    CurrencyCode,
    Email,
    Finding,
    FrozenModel,
    IsoDate,
    Name,
    PostalCode,
    StrictInput,
)
from models.documents import DocumentVerificationResult
from models.risk import RiskAssessment
from models.screening import ScreeningResult

MAX_IMAGE_BYTES = 10 * 1024 * 1024
"""Largest scan accepted (decoded); `domain.documents.store` enforces the same limit."""

MRZ_PATTERN = (
    r"^(?:[PVIAC][A-Z0-9<]{29}\r?\n[A-Z0-9<]{30}\r?\n[A-Z0-9<]{30}"
    r"|[PVIAC][A-Z0-9<]{35}\r?\n[A-Z0-9<]{36}"
    r"|[PVIAC][A-Z0-9<]{43}\r?\n[A-Z0-9<]{44})$"
)
"""ICAO 9303 shapes: TD1 (3 lines of 30), TD2 (2 of 36), TD3 (2 of 44), the alphabet
A-Z, 0-9 and '<', and a document code letter first. Check digits are content, not shape:
a wrong one is a finding of the workflow, never a 422."""

IMAGE_BASE64_MAX = -(-MAX_IMAGE_BYTES // 3) * 4
IMAGE_BASE64_PATTERN = (
    r"^(?:iVBORw0KGgo[A-Za-z0-9+/]|/9j/)(?:[A-Za-z0-9+/]{4})*"
    r"(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"
)
"""Canonical base64 of a PNG (signature 89 50 4E 47 0D 0A 1A 0A) or a JPEG (FF D8 FF);
at most IMAGE_BASE64_MAX characters, i.e. MAX_IMAGE_BYTES decoded."""

NATIONAL_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9 ./+-]{0,31}$"
IBAN_PATTERN = r"^[A-Za-z]{2}[0-9]{2}[A-Za-z0-9 ]{1,38}$"


class Address(StrictInput):
    line1: AddressLine
    line2: AddressLine | None = None
    city: City
    postal_code: PostalCode
    country: CountryCode


class Applicant(StrictInput):
    given_names: Name
    surname: Name
    date_of_birth: IsoDate
    nationality: CountryCode
    email: Email
    address: Address
    national_id: Annotated[str | None, Field(pattern=NATIONAL_ID_PATTERN)] = None
    """National identity or tax number, validated with python-stdnum for the nationality
    (a wrong one is a finding, not a 422)."""

    @property
    def full_name(self) -> str:
        return f"{self.given_names} {self.surname}"


class DocumentKind(StrEnum):
    PASSPORT = "passport"
    ID_CARD = "id_card"
    RESIDENCE_PERMIT = "residence_permit"


def _mrz_shape(value: str) -> str:
    """The pattern, with a message that says what is wrong with the shape."""
    if re.fullmatch(MRZ_PATTERN, value):
        return value
    lines = value.split("\n")
    shape = ", ".join(str(len(line.rstrip("\r"))) for line in lines[:4])
    raise PydanticCustomError(
        "mrz_shape",
        "an MRZ is 3 lines of 30 (TD1), 2 of 36 (TD2) or 2 of 44 (TD3) characters from "
        "A-Z, 0-9 and '<', starting with P, V, I, A or C; this one has {count} line(s) "
        "of {shape} characters",
        {"count": len(lines), "shape": shape},
    )


MrzText = Annotated[
    str,
    Field(max_length=140, json_schema_extra={"pattern": MRZ_PATTERN}),
    AfterValidator(_mrz_shape),
]


def _image_shape(value: str) -> str:
    """The pattern, with a message that says which part of it the value breaks."""
    if re.fullmatch(IMAGE_BASE64_PATTERN, value):
        return value
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise PydanticCustomError("base64", "not valid base64") from None
    raise PydanticCustomError(
        "image_type", "image must be PNG or JPEG (found {start})", {"start": raw[:4].hex()}
    )


ImageBase64 = Annotated[
    str,
    Field(
        max_length=IMAGE_BASE64_MAX,
        json_schema_extra={"pattern": IMAGE_BASE64_PATTERN, "contentEncoding": "base64"},
    ),
    AfterValidator(_image_shape),
]


class MrzDocument(StrictInput):
    """A document given by its machine-readable zone, lines separated by newlines."""

    kind: DocumentKind
    mrz: MrzText


class ImageDocument(StrictInput):
    """A document given by a PNG or JPEG scan of its data page; the MRZ is read from it.
    The API stores the scan and the workflow only carries its SHA-256 (`image_ref`)."""

    kind: DocumentKind
    image_base64: ImageBase64


def _document_form(value: Any) -> str | None:
    if isinstance(value, dict):
        return "ImageDocument" if "image_base64" in value else "MrzDocument"
    if isinstance(value, ImageDocument | MrzDocument):
        return type(value).__name__
    return None


DocumentUpload = Annotated[
    Annotated[MrzDocument, Tag("MrzDocument")] | Annotated[ImageDocument, Tag("ImageDocument")],
    Discriminator(
        _document_form,
        custom_error_type="document_form",
        custom_error_message="a document is an object with either 'mrz' or 'image_base64'",
    ),
]
"""A document as a client sends it: exactly one of the two forms (`oneOf` in the schema),
so a body with both, neither or a client-made `image_ref` is refused by the schema too."""


class DocumentSubmission(StrictInput):
    """A document as the workflow receives it: the upload, with a scan replaced by the
    reference to its stored copy (`image_ref`, set by the API only)."""

    kind: DocumentKind
    mrz: Annotated[str | None, Field(max_length=200)] = None
    """Machine-readable zone, lines separated by newlines (TD1 3x30, TD2 2x36, TD3 2x44)."""
    image_base64: Annotated[str | None, Field(max_length=IMAGE_BASE64_MAX)] = None
    """Only in executions started before the claim check; new ones carry `image_ref`."""
    image_ref: Annotated[str | None, Field(pattern=r"^[0-9a-f]{64}$")] = None
    """SHA-256 of the stored image (claim check), so a scan neither bloats Temporal history
    past its payload limit nor lives there forever."""

    @model_validator(mode="after")
    def _needs_mrz_or_image(self) -> DocumentSubmission:
        if not self.mrz and not self.image_base64 and not self.image_ref:
            raise ValueError("a document needs either 'mrz' or 'image_base64'")
        return self

    @classmethod
    def from_upload(cls, upload: MrzDocument | ImageDocument) -> DocumentSubmission:
        if isinstance(upload, MrzDocument):
            return cls(kind=upload.kind, mrz=upload.mrz)
        return cls(kind=upload.kind, image_base64=upload.image_base64)


_APPLICATION_EXAMPLE: dict[str, Any] = {
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

Product = Annotated[str, Field(pattern=r"^[a-z_]{1,32}$")]
Iban = Annotated[str, Field(pattern=IBAN_PATTERN)]
"""Shape only (country, check digits, up to 38 alphanumerics or spaces); a wrong check
digit or an unknown country is a finding of the workflow."""


class OnboardingRequest(StrictInput):
    """Body of `POST /v1/onboarding`."""

    application_id: BusinessKey
    applicant: Applicant
    documents: Annotated[list[DocumentUpload], Field(min_length=1, max_length=5)]
    iban: Iban | None = None
    product: Product = "current_account"
    currency: CurrencyCode = "EUR"

    model_config = ConfigDict(
        frozen=True, extra="forbid", json_schema_extra={"examples": [_APPLICATION_EXAMPLE]}
    )

    def to_application(self) -> OnboardingApplication:
        return OnboardingApplication(
            application_id=self.application_id,
            applicant=self.applicant,
            documents=[DocumentSubmission.from_upload(d) for d in self.documents],
            iban=self.iban,
            product=self.product,
            currency=self.currency,
        )


class OnboardingApplication(StrictInput):
    """The application as the workflow receives it (documents claim-checked)."""

    application_id: BusinessKey
    applicant: Applicant
    documents: Annotated[list[DocumentSubmission], Field(min_length=1, max_length=5)]
    iban: Annotated[str | None, Field(max_length=42)] = None
    product: Product = "current_account"
    currency: CurrencyCode = "EUR"

    model_config = ConfigDict(
        frozen=True, extra="forbid", json_schema_extra={"examples": [_APPLICATION_EXAMPLE]}
    )


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

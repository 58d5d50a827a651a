"""The catalogue of document-verification reason codes.

Codes are the stable contract with the risk model, the case-management UI and auditors, so
they live in one registry with their default severity and message. Messages are templates
filled only with non-identifying facts (field names, counts, dates of the *document*, never
the applicant's name, birth date or document number) because findings end up in logs and in
Temporal history, which are not encrypted like the application store.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from models.common import Finding, Severity


class Code(StrEnum):
    MRZ_SYNTAX = "MRZ_SYNTAX"
    MRZ_UNREADABLE = "MRZ_UNREADABLE"
    MRZ_OCR_CORRECTED = "MRZ_OCR_CORRECTED"
    MRZ_OCR_AMBIGUOUS = "MRZ_OCR_AMBIGUOUS"
    MRZ_OCR_UNCERTAIN = "MRZ_OCR_UNCERTAIN"
    MRZ_CHECK_DIGIT_DOCUMENT_NUMBER = "MRZ_CHECK_DIGIT_DOCUMENT_NUMBER"
    MRZ_CHECK_DIGIT_DATE_OF_BIRTH = "MRZ_CHECK_DIGIT_DATE_OF_BIRTH"
    MRZ_CHECK_DIGIT_EXPIRY_DATE = "MRZ_CHECK_DIGIT_EXPIRY_DATE"
    MRZ_CHECK_DIGIT_OPTIONAL_DATA = "MRZ_CHECK_DIGIT_OPTIONAL_DATA"
    MRZ_CHECK_DIGIT_COMPOSITE = "MRZ_CHECK_DIGIT_COMPOSITE"
    MRZ_DATE_INVALID = "MRZ_DATE_INVALID"
    MRZ_DATE_OF_BIRTH_PARTIAL = "MRZ_DATE_OF_BIRTH_PARTIAL"
    MRZ_SEX_INVALID = "MRZ_SEX_INVALID"
    MRZ_NAME_TRUNCATED = "MRZ_NAME_TRUNCATED"
    MRZ_STATE_UNKNOWN = "MRZ_STATE_UNKNOWN"
    DOCUMENT_KIND_MISMATCH = "DOCUMENT_KIND_MISMATCH"
    DOCUMENT_KIND_UNKNOWN = "DOCUMENT_KIND_UNKNOWN"
    DOCUMENT_EXPIRED = "DOCUMENT_EXPIRED"
    DOCUMENT_EXPIRES_SOON = "DOCUMENT_EXPIRES_SOON"
    DOCUMENT_MISSING = "DOCUMENT_MISSING"
    APPLICANT_UNDERAGE = "APPLICANT_UNDERAGE"
    NAME_MISMATCH = "NAME_MISMATCH"
    NAME_MINOR_DIFFERENCE = "NAME_MINOR_DIFFERENCE"
    NAME_TRANSLITERATED = "NAME_TRANSLITERATED"
    NAME_PARTIAL = "NAME_PARTIAL"
    DOB_MISMATCH = "DOB_MISMATCH"
    NATIONALITY_MISMATCH = "NATIONALITY_MISMATCH"
    NATIONALITY_NOT_A_STATE = "NATIONALITY_NOT_A_STATE"
    IBAN_INVALID = "IBAN_INVALID"
    IBAN_BIC_UNKNOWN = "IBAN_BIC_UNKNOWN"
    NATIONAL_ID_INVALID = "NATIONAL_ID_INVALID"
    NATIONAL_ID_DOB_MISMATCH = "NATIONAL_ID_DOB_MISMATCH"
    NATIONAL_ID_NOT_CHECKED = "NATIONAL_ID_NOT_CHECKED"


@dataclass(frozen=True, slots=True)
class CodeSpec:
    severity: Severity
    template: str
    description: str


_R, _X, _W, _I = Severity.REFER, Severity.REJECT, Severity.WARNING, Severity.INFO

CATALOGUE: dict[Code, CodeSpec] = {
    Code.MRZ_SYNTAX: CodeSpec(
        _R, "MRZ is malformed: {detail}", "Wrong line count/length or characters outside A-Z0-9<."
    ),
    Code.MRZ_UNREADABLE: CodeSpec(
        _R,
        "no machine-readable zone could be read from the image: {detail}",
        "Image undecodable, OCR unavailable, or no MRZ-shaped text found.",
    ),
    Code.MRZ_OCR_CORRECTED: CodeSpec(
        _R,
        "OCR reading corrected in: {fields} ({count} character(s)); confirm against the image",
        "The only reading the check digits (or the ICAO state code list) allow differs from "
        "what the OCR read first; a guess, however well founded, so a person confirms it.",
    ),
    Code.MRZ_OCR_AMBIGUOUS: CodeSpec(
        _R,
        "more than one reading of the MRZ passes the check digits in: {fields}",
        "Look-alike characters (O/0, I/1, S/5, B/8) the check digits cannot separate; a "
        "person must read the document.",
    ),
    Code.MRZ_OCR_UNCERTAIN: CodeSpec(
        _R,
        "OCR is not sure of fields no check digit protects: {fields}",
        "Weakly read or rivalled characters in names, state codes, sex or document code; "
        "trusted only after a person has looked.",
    ),
    Code.MRZ_CHECK_DIGIT_DOCUMENT_NUMBER: CodeSpec(
        _R,
        "document number check digit is {found}, expected {expected}",
        "ICAO 9303 check digit over the document number (incl. TD1/TD2 overflow) fails.",
    ),
    Code.MRZ_CHECK_DIGIT_DATE_OF_BIRTH: CodeSpec(
        _R,
        "date of birth check digit is {found}, expected {expected}",
        "Check digit over the MRZ birth date fails.",
    ),
    Code.MRZ_CHECK_DIGIT_EXPIRY_DATE: CodeSpec(
        _R,
        "expiry date check digit is {found}, expected {expected}",
        "Check digit over the MRZ expiry date fails.",
    ),
    Code.MRZ_CHECK_DIGIT_OPTIONAL_DATA: CodeSpec(
        _R,
        "personal number check digit is {found}, expected {expected}",
        "TD3 only: check digit over the optional/personal number field fails.",
    ),
    Code.MRZ_CHECK_DIGIT_COMPOSITE: CodeSpec(
        _R,
        "composite check digit is {found}, expected {expected}",
        "Check digit over all protected fields together fails.",
    ),
    Code.MRZ_DATE_INVALID: CodeSpec(
        _R, "{which} in the MRZ is not a calendar date", "YYMMDD is not a real date."
    ),
    Code.MRZ_DATE_OF_BIRTH_PARTIAL: CodeSpec(
        _W,
        "date of birth on the document is partly unknown; only the known parts were compared",
        "ICAO allows '<' for an unknown birth day/month.",
    ),
    Code.MRZ_SEX_INVALID: CodeSpec(
        _W, "sex field holds an unexpected value", "Sex is not M, F, X or '<'."
    ),
    Code.MRZ_NAME_TRUNCATED: CodeSpec(
        _I,
        "name field of the MRZ is full, names may be truncated",
        "Names were compared allowing ICAO truncation.",
    ),
    Code.MRZ_STATE_UNKNOWN: CodeSpec(
        _W,
        "{which} code '{code}' is not a known ICAO state code",
        "Issuing state or nationality is neither ISO 3166 nor an ICAO special code.",
    ),
    Code.DOCUMENT_KIND_MISMATCH: CodeSpec(
        _R,
        "document was submitted as {kind} but its MRZ document code is '{code}'",
        "Submitted kind does not fit the MRZ code (P=passport, I/A/C=card).",
    ),
    Code.DOCUMENT_KIND_UNKNOWN: CodeSpec(
        _W, "document kind '{kind}' is not one the platform knows", "Unsupported kind."
    ),
    Code.DOCUMENT_EXPIRED: CodeSpec(
        _X, "document expired on {expiry}", "Expiry date is before the check date."
    ),
    Code.DOCUMENT_EXPIRES_SOON: CodeSpec(
        _I, "document expires within {days} days", "Expiry is within 30 days of the check."
    ),
    Code.DOCUMENT_MISSING: CodeSpec(
        _R, "no identity document was submitted", "The application holds no documents."
    ),
    Code.APPLICANT_UNDERAGE: CodeSpec(
        _X,
        "applicant is under {age} according to the {source}",
        "Age at the check date is below the age of majority (18).",
    ),
    Code.NAME_MISMATCH: CodeSpec(
        _R,
        "{part} on the document does not match the application",
        "Surname or given names differ beyond transliteration, truncation and middle names.",
    ),
    Code.NAME_MINOR_DIFFERENCE: CodeSpec(
        _W,
        "{part} on the document differs from the application by one character",
        "Probable typo or OCR slip; a single edit on a name of 5+ letters.",
    ),
    Code.NAME_TRANSLITERATED: CodeSpec(
        _I,
        "{part} matches the application after ICAO transliteration",
        "E.g. Ä written AE or A, ß written SS, accents dropped.",
    ),
    Code.NAME_PARTIAL: CodeSpec(
        _I,
        "{part} match but one side lists fewer names",
        "Middle names missing on the document or in the application.",
    ),
    Code.DOB_MISMATCH: CodeSpec(
        _R,
        "date of birth on the document does not match the application",
        "MRZ birth date differs from the claimed one.",
    ),
    Code.NATIONALITY_MISMATCH: CodeSpec(
        _R,
        "nationality on the document ({document}) differs from the application ({claimed})",
        "MRZ nationality maps to another ISO country than the claimed one.",
    ),
    Code.NATIONALITY_NOT_A_STATE: CodeSpec(
        _R,
        "document nationality code '{code}' is not a country ({meaning})",
        "Stateless, refugee, UN or unspecified nationality: a human decides.",
    ),
    Code.IBAN_INVALID: CodeSpec(_R, "IBAN is invalid: {detail}", "schwifty rejects the IBAN."),
    Code.IBAN_BIC_UNKNOWN: CodeSpec(
        _I, "no BIC could be derived from the IBAN's bank code", "Bank registry has no entry."
    ),
    Code.NATIONAL_ID_INVALID: CodeSpec(
        _R,
        "national identifier is not a valid {scheme}",
        "python-stdnum rejects the number for the applicant's nationality.",
    ),
    Code.NATIONAL_ID_DOB_MISMATCH: CodeSpec(
        _R,
        "birth date encoded in the {scheme} does not match the application",
        "The identifier embeds a birth date that differs from the claimed one.",
    ),
    Code.NATIONAL_ID_NOT_CHECKED: CodeSpec(
        _I,
        "national identifier was not checked: no validator for nationality {country}",
        "No python-stdnum scheme is configured for this country.",
    ),
}


def finding(code: Code, field: str | None = None, /, **facts: object) -> Finding:
    """Build a finding from the catalogue so severities and wording never drift per call site."""
    spec = CATALOGUE[code]
    return Finding(
        code=code.value,
        severity=spec.severity,
        message=spec.template.format(**facts),
        field=field,
    )

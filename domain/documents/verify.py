"""`verify_documents`: the document-verification capability the onboarding workflow calls.

It is pure and deterministic given `inp.as_of` (no clock, no network; OCR is a local
subprocess whose output depends only on the image), so an activity retry or a replayed
workflow reaches the same verdict. Each problem is a catalogued finding; the severity policy
is: anything a human could resolve (check digits, name/birth-date mismatch, unreadable scan)
is `refer`, hard eligibility failures (expired document, minor) are `reject`, cosmetic
observations are `info`/`warning`.
"""

from __future__ import annotations

import datetime as dt

from domain.documents.codes import Code, finding
from domain.documents.countries import NOT_A_STATE, is_known_code
from domain.documents.identifiers import check_iban, national_id_findings
from domain.documents.mrz import MrzSyntaxError, ParsedMrz, parse_mrz_detailed
from domain.documents.names import NameMatch, compare_names
from domain.documents.ocr import OcrError, read_mrz_from_base64
from models.common import Finding, Severity
from models.documents import (
    ApplicantFacts,
    DocumentCheck,
    DocumentInput,
    DocumentVerificationResult,
    VerifyDocumentsInput,
)

AGE_OF_MAJORITY = 18
EXPIRY_NOTICE_DAYS = 30

_KIND_CODES: dict[str, frozenset[str]] = {
    "passport": frozenset("P"),
    "id_card": frozenset("IAC"),
    "residence_permit": frozenset("IAC"),
}
_CHECK_DIGIT_CODES: dict[str, Code] = {
    "document_number": Code.MRZ_CHECK_DIGIT_DOCUMENT_NUMBER,
    "date_of_birth": Code.MRZ_CHECK_DIGIT_DATE_OF_BIRTH,
    "expiry_date": Code.MRZ_CHECK_DIGIT_EXPIRY_DATE,
    "optional_data": Code.MRZ_CHECK_DIGIT_OPTIONAL_DATA,
    "composite": Code.MRZ_CHECK_DIGIT_COMPOSITE,
}
_NAME_NOTES: dict[NameMatch, Code] = {
    NameMatch.MISMATCH: Code.NAME_MISMATCH,
    NameMatch.MINOR_DIFFERENCE: Code.NAME_MINOR_DIFFERENCE,
    NameMatch.TRANSLITERATED: Code.NAME_TRANSLITERATED,
    NameMatch.PARTIAL: Code.NAME_PARTIAL,
}


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _blocking(findings: list[Finding]) -> bool:
    return any(f.severity in (Severity.REFER, Severity.REJECT) for f in findings)


def _read(doc: DocumentInput, as_of: dt.date, field: str) -> tuple[ParsedMrz | None, list[Finding]]:
    findings: list[Finding] = []
    text = doc.mrz
    if not text and doc.image_base64:
        try:
            ocr = read_mrz_from_base64(doc.image_base64)
        except OcrError as exc:
            return None, [finding(Code.MRZ_UNREADABLE, field, detail=str(exc))]
        text = ocr.text
        # The reader never hides doubt: corrected fields are shown, ambiguous and uncertain
        # ones go to a person (issue 10: a wrong MRZ reported valid is the worst outcome).
        if ocr.corrected:
            findings.append(
                finding(
                    Code.MRZ_OCR_CORRECTED,
                    field,
                    fields=", ".join(ocr.corrected),
                    count=ocr.corrections,
                )
            )
        if ocr.ambiguous:
            findings.append(finding(Code.MRZ_OCR_AMBIGUOUS, field, fields=", ".join(ocr.ambiguous)))
        if ocr.uncertain:
            findings.append(finding(Code.MRZ_OCR_UNCERTAIN, field, fields=", ".join(ocr.uncertain)))
    if not text:
        return None, [finding(Code.MRZ_UNREADABLE, field, detail="no MRZ and no image given")]
    try:
        return parse_mrz_detailed(text, as_of=as_of), findings
    except MrzSyntaxError as exc:
        code = Code.MRZ_UNREADABLE if not doc.mrz else Code.MRZ_SYNTAX
        return None, [*findings, finding(code, field, detail=str(exc))]


def _structure_findings(parsed: ParsedMrz, field: str) -> list[Finding]:
    data = parsed.data
    out = [
        finding(_CHECK_DIGIT_CODES[c.field], field, found=c.found, expected=c.expected)
        for c in parsed.failed_checks
    ]
    if data.date_of_birth is None:
        if parsed.birth_raw.strip("<").isdigit() and "<" in parsed.birth_raw:
            out.append(finding(Code.MRZ_DATE_OF_BIRTH_PARTIAL, field))
        elif parsed.birth_raw != "<" * 6:
            out.append(finding(Code.MRZ_DATE_INVALID, field, which="date of birth"))
    if data.expiry_date is None:
        out.append(finding(Code.MRZ_DATE_INVALID, field, which="expiry date"))
    if data.sex not in ("M", "F", "X"):
        out.append(finding(Code.MRZ_SEX_INVALID, field))
    for which, code in (("issuing state", data.issuing_state), ("nationality", data.nationality)):
        if not is_known_code(code):
            out.append(finding(Code.MRZ_STATE_UNKNOWN, field, which=which, code=code))
    if data.names_truncated:
        out.append(finding(Code.MRZ_NAME_TRUNCATED, field))
    return out


def _kind_findings(kind: str, document_code: str, field: str) -> list[Finding]:
    allowed = _KIND_CODES.get(kind)
    if allowed is None:
        return [finding(Code.DOCUMENT_KIND_UNKNOWN, field, kind=kind)]
    if document_code[:1] not in allowed:
        return [
            finding(
                Code.DOCUMENT_KIND_MISMATCH,
                field,
                kind=kind.replace("_", " "),
                code=document_code or "<",
            )
        ]
    return []


def _expiry_findings(expiry: dt.date | None, as_of: dt.date, field: str) -> list[Finding]:
    if expiry is None:
        return []
    if expiry < as_of:
        return [finding(Code.DOCUMENT_EXPIRED, field, expiry=expiry.isoformat())]
    days = (expiry - as_of).days
    if days <= EXPIRY_NOTICE_DAYS:
        return [finding(Code.DOCUMENT_EXPIRES_SOON, field, days=days)]
    return []


def _birth_findings(
    parsed: ParsedMrz, applicant: ApplicantFacts, as_of: dt.date, field: str
) -> list[Finding]:
    claimed = applicant.date_of_birth
    raw = parsed.birth_raw
    # Compare digit by digit so a partly unknown MRZ date ('<<' for day) still counts, and
    # so the century the parser guessed cannot create a mismatch for the very old.
    expected = claimed.strftime("%y%m%d")
    comparable = [(r, e) for r, e in zip(raw, expected, strict=True) if r != "<"]
    out: list[Finding] = []
    if comparable and any(r != e for r, e in comparable):
        out.append(finding(Code.DOB_MISMATCH, field))
        printed = parsed.data.date_of_birth
        if printed is not None and age_on(printed, as_of) < AGE_OF_MAJORITY:
            out.append(
                finding(Code.APPLICANT_UNDERAGE, field, age=AGE_OF_MAJORITY, source="document")
            )
    return out


def _name_findings(parsed: ParsedMrz, applicant: ApplicantFacts, field: str) -> list[Finding]:
    data = parsed.data
    result = compare_names(
        applicant.surname,
        applicant.given_names,
        data.surname,
        data.given_names,
        truncated=data.names_truncated,
    )
    out: list[Finding] = []
    for part, match in (("surname", result.surname), ("given names", result.given_names)):
        code = _NAME_NOTES.get(match)
        if code is not None:
            out.append(finding(code, field, part=part))
    return out


def _nationality_findings(parsed: ParsedMrz, claimed: str, field: str) -> list[Finding]:
    data = parsed.data
    if data.nationality in NOT_A_STATE:
        meaning = NOT_A_STATE[data.nationality]
        return [
            finding(Code.NATIONALITY_NOT_A_STATE, field, code=data.nationality, meaning=meaning)
        ]
    if data.nationality_alpha2 is None:
        return []  # already reported as MRZ_STATE_UNKNOWN
    if data.nationality_alpha2 != claimed.upper():
        return [
            finding(
                Code.NATIONALITY_MISMATCH,
                field,
                document=data.nationality_alpha2,
                claimed=claimed.upper(),
            )
        ]
    return []


def check_document(
    index: int, doc: DocumentInput, applicant: ApplicantFacts, as_of: dt.date
) -> DocumentCheck:
    field = f"documents[{index}].{'mrz' if doc.mrz else 'image_base64'}"
    source = "mrz" if doc.mrz else "image"
    parsed, findings = _read(doc, as_of, field)
    if parsed is None:
        return DocumentCheck(index=index, kind=doc.kind, source=source, findings=findings)
    findings += _structure_findings(parsed, field)
    findings += _kind_findings(doc.kind, parsed.data.document_code, field)
    findings += _expiry_findings(parsed.data.expiry_date, as_of, field)
    findings += _birth_findings(parsed, applicant, as_of, field)
    findings += _name_findings(parsed, applicant, field)
    findings += _nationality_findings(parsed, applicant.nationality, field)
    return DocumentCheck(
        index=index, kind=doc.kind, source=source, mrz=parsed.data, findings=findings
    )


def _applicant_findings(applicant: ApplicantFacts, as_of: dt.date) -> list[Finding]:
    out: list[Finding] = []
    if age_on(applicant.date_of_birth, as_of) < AGE_OF_MAJORITY:
        out.append(
            finding(
                Code.APPLICANT_UNDERAGE,
                "applicant.date_of_birth",
                age=AGE_OF_MAJORITY,
                source="application",
            )
        )
    if applicant.national_id:
        out += national_id_findings(
            applicant.national_id, applicant.nationality, applicant.date_of_birth
        )
    return out


def verify_documents(inp: VerifyDocumentsInput) -> DocumentVerificationResult:
    """Check every document, the IBAN and the national identifier against the application."""
    documents = [
        check_document(i, doc, inp.applicant, inp.as_of) for i, doc in enumerate(inp.documents)
    ]
    findings = [f for doc in documents for f in doc.findings]
    if not documents:
        findings.append(finding(Code.DOCUMENT_MISSING, "documents"))
    findings += _applicant_findings(inp.applicant, inp.as_of)
    iban = check_iban(inp.iban) if inp.iban else None
    if iban is not None:
        findings += iban.findings
    return DocumentVerificationResult(
        passed=not _blocking(findings), documents=documents, iban=iban, findings=findings
    )

"""verify_documents: findings, severities and the pass/fail policy."""

from __future__ import annotations

import datetime as dt

import pytest

from domain.documents import specimen
from domain.documents.codes import CATALOGUE, Code, finding
from domain.documents.identifiers import check_iban, validate_national_id
from domain.documents.verify import verify_documents
from models.common import Severity
from models.documents import (
    ApplicantFacts,
    DocumentInput,
    DocumentVerificationResult,
    VerifyDocumentsInput,
)

AS_OF = dt.date(2026, 11, 22)
ANNA = ApplicantFacts(
    given_names="Anna Maria",
    surname="Eriksson",
    date_of_birth=dt.date(1974, 8, 12),
    nationality="SE",
)
API_EXAMPLE = (
    "P<SWEERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nAA12345678SWE7408122F3104150<<<<<<<<<<<<<<<0"
)


def passport(**overrides: object) -> str:
    fields: dict[str, object] = {
        "surname": "ERIKSSON",
        "given_names": "ANNA MARIA",
        "document_number": "AA1234567",
        "nationality": "SWE",
        "date_of_birth": dt.date(1974, 8, 12),
        "sex": "F",
        "expiry_date": dt.date(2031, 4, 15),
    }
    fields.update(overrides)
    return specimen.td3(**fields)  # type: ignore[arg-type]


def verify(
    mrz: str,
    *,
    kind: str = "passport",
    applicant: ApplicantFacts = ANNA,
    iban: str | None = None,
) -> DocumentVerificationResult:
    return verify_documents(
        VerifyDocumentsInput(
            application_id="app-1",
            applicant=applicant,
            documents=[DocumentInput(kind=kind, mrz=mrz)],
            iban=iban,
            as_of=AS_OF,
        )
    )


def codes(result: DocumentVerificationResult) -> set[str]:
    return {f.code for f in result.findings}


def test_api_contract_example_passes_cleanly() -> None:
    result = verify(API_EXAMPLE, iban="SE4550000000058398257466")
    assert result.passed
    assert result.findings == []
    assert result.iban is not None and result.iban.valid
    assert result.iban.bic == "ESSESESS"
    assert result.documents[0].mrz is not None
    assert result.documents[0].mrz.nationality_alpha2 == "SE"
    assert result.documents[0].source == "mrz"


def test_builder_reproduces_the_api_example() -> None:
    assert passport() == API_EXAMPLE


@pytest.mark.parametrize(
    ("position", "code"),
    [
        (9, Code.MRZ_CHECK_DIGIT_DOCUMENT_NUMBER),
        (19, Code.MRZ_CHECK_DIGIT_DATE_OF_BIRTH),
        (27, Code.MRZ_CHECK_DIGIT_EXPIRY_DATE),
        (43, Code.MRZ_CHECK_DIGIT_COMPOSITE),
    ],
)
def test_check_digit_failures_refer(position: int, code: Code) -> None:
    line1, line2 = API_EXAMPLE.split("\n")
    wrong = str((int(line2[position]) + 5) % 10)
    result = verify(f"{line1}\n{line2[:position]}{wrong}{line2[position + 1 :]}")
    assert not result.passed
    hits = [f for f in result.findings if f.code == code]
    assert len(hits) == 1
    assert hits[0].severity is Severity.REFER
    assert hits[0].field == "documents[0].mrz"
    assert f"expected {line2[position]}" in hits[0].message


def test_expired_document_rejects() -> None:
    result = verify(passport(expiry_date=dt.date(2026, 11, 21)))
    assert not result.passed
    expired = [f for f in result.findings if f.code == "DOCUMENT_EXPIRED"]
    assert expired and expired[0].severity is Severity.REJECT


def test_document_valid_through_its_expiry_day_but_noted() -> None:
    result = verify(passport(expiry_date=AS_OF))
    assert result.passed
    assert codes(result) == {"DOCUMENT_EXPIRES_SOON"}


def test_underage_applicant_rejects() -> None:
    minor = ANNA.model_copy(update={"date_of_birth": dt.date(2010, 1, 1)})
    result = verify(passport(date_of_birth=dt.date(2010, 1, 1)), applicant=minor)
    underage = [f for f in result.findings if f.code == "APPLICANT_UNDERAGE"]
    assert len(underage) == 1 and underage[0].severity is Severity.REJECT
    assert not result.passed


def test_eighteenth_birthday_is_of_age() -> None:
    adult = ANNA.model_copy(update={"date_of_birth": dt.date(2008, 11, 22)})
    result = verify(passport(date_of_birth=dt.date(2008, 11, 22)), applicant=adult)
    assert "APPLICANT_UNDERAGE" not in codes(result)


def test_document_showing_a_minor_is_rejected_even_if_application_claims_adult() -> None:
    result = verify(passport(date_of_birth=dt.date(2012, 8, 12)))
    assert {"DOB_MISMATCH", "APPLICANT_UNDERAGE"} <= codes(result)


def test_dob_mismatch_refers_without_leaking_dates() -> None:
    result = verify(passport(date_of_birth=dt.date(1975, 8, 12)))
    mismatch = [f for f in result.findings if f.code == "DOB_MISMATCH"]
    assert mismatch and mismatch[0].severity is Severity.REFER
    assert "1975" not in mismatch[0].message and "1974" not in mismatch[0].message


def test_name_mismatch_refers_without_leaking_names() -> None:
    result = verify(passport(surname="LARSSON"))
    mismatch = [f for f in result.findings if f.code == "NAME_MISMATCH"]
    assert len(mismatch) == 1 and mismatch[0].severity is Severity.REFER
    assert "surname" in mismatch[0].message
    assert "LARSSON" not in mismatch[0].message.upper()
    assert "ERIKSSON" not in mismatch[0].message.upper()


def test_no_message_contains_the_document_number() -> None:
    line1, line2 = API_EXAMPLE.split("\n")
    result = verify(f"{line1}\n{line2[:9]}0{line2[10:]}", kind="id_card")
    assert result.findings
    assert all("AA1234567" not in f.message for f in result.findings)


def test_transliterated_and_partial_names_pass_with_info() -> None:
    applicant = ApplicantFacts(
        given_names="Jörg Peter",
        surname="Müller-Lüdenscheidt",
        date_of_birth=dt.date(1980, 1, 31),
        nationality="DE",
    )
    mrz = passport(
        surname="MUELLER LUEDENSCHEIDT",
        given_names="JOERG",
        nationality="D",
        date_of_birth=dt.date(1980, 1, 31),
    )
    result = verify(mrz, applicant=applicant)
    assert result.passed, result.findings
    assert codes(result) == {"NAME_TRANSLITERATED", "NAME_PARTIAL"}
    assert all(f.severity is Severity.INFO for f in result.findings)


def test_kind_mismatch_refers() -> None:
    card = specimen.td1(
        surname="ERIKSSON",
        given_names="ANNA MARIA",
        document_number="AA1234567",
        nationality="SWE",
        date_of_birth=dt.date(1974, 8, 12),
        sex="F",
        expiry_date=dt.date(2031, 4, 15),
    )
    assert verify(card, kind="id_card").passed
    result = verify(card, kind="passport")
    assert "DOCUMENT_KIND_MISMATCH" in codes(result)
    assert not result.passed


def test_nationality_mismatch_and_stateless() -> None:
    assert "NATIONALITY_MISMATCH" in codes(verify(passport(nationality="NOR")))
    stateless = verify(passport(nationality="XXA", issuing_state="SWE"))
    assert "NATIONALITY_NOT_A_STATE" in codes(stateless)
    assert not stateless.passed


def test_german_d_code_matches_de() -> None:
    applicant = ANNA.model_copy(update={"nationality": "DE"})
    assert verify(passport(nationality="D"), applicant=applicant).passed


def test_syntax_error_in_submitted_mrz_is_a_finding_not_an_exception() -> None:
    result = verify(API_EXAMPLE[:-1])
    assert codes(result) == {"MRZ_SYNTAX"}
    assert not result.passed
    assert result.documents[0].mrz is None


def test_iban_findings() -> None:
    bad = verify(API_EXAMPLE, iban="SE4550000000058398257467")
    assert not bad.passed
    assert bad.iban is not None and not bad.iban.valid
    assert [f.message for f in bad.findings] == ["IBAN is invalid: check digits do not match"]
    assert check_iban("DE89370400440532013000").bic == "COBADEFFXXX"
    assert check_iban("DE89 3704 0044 0532 0130 00").valid


@pytest.mark.parametrize(
    ("country", "number", "valid"),
    [
        ("SE", "811228-9874", True),
        ("SE", "811228-9875", False),
        ("IT", "RSSMRA85T10A562S", True),
        ("ES", "12345678Z", True),
        ("ES", "12345678A", False),
        ("NL", "111222333", True),
        ("GB", "AB123456C", True),
        ("GB", "QQ123456Z", False),
        ("US", "536-90-4399", True),
    ],
)
def test_national_id_validation(country: str, number: str, valid: bool) -> None:
    result = validate_national_id(number, country)
    assert result.checked
    assert result.valid is valid


def test_national_id_birth_date_cross_check() -> None:
    applicant = ApplicantFacts(
        given_names="Anna Maria",
        surname="Eriksson",
        date_of_birth=dt.date(1981, 12, 28),
        nationality="SE",
        national_id="811228-9874",
    )
    mrz = passport(date_of_birth=dt.date(1981, 12, 28))
    assert verify(mrz, applicant=applicant).passed
    other_day = applicant.model_copy(update={"date_of_birth": dt.date(1981, 12, 27)})
    result = verify(passport(date_of_birth=dt.date(1981, 12, 27)), applicant=other_day)
    assert codes(result) == {"NATIONAL_ID_DOB_MISMATCH"}


def test_unknown_country_national_id_is_info_only() -> None:
    applicant = ANNA.model_copy(update={"nationality": "JP", "national_id": "123456789012"})
    result = verify(passport(nationality="JPN"), applicant=applicant)
    assert result.passed
    assert [(f.code, f.severity) for f in result.findings] == [
        ("NATIONAL_ID_NOT_CHECKED", Severity.INFO)
    ]


def test_no_documents() -> None:
    result = verify_documents(
        VerifyDocumentsInput(
            application_id="a", applicant=ANNA, documents=[], iban=None, as_of=AS_OF
        )
    )
    assert codes(result) == {"DOCUMENT_MISSING"} and not result.passed


def test_result_is_deterministic_and_serialisable() -> None:
    first = verify(passport(surname="LARSSON"), iban="SE4550000000058398257467")
    again = verify(passport(surname="LARSSON"), iban="SE4550000000058398257467")
    assert first == again
    assert DocumentVerificationResult.model_validate_json(first.model_dump_json()) == first


def test_catalogue_is_complete_and_upper_snake() -> None:
    assert set(CATALOGUE) == set(Code)
    for code, spec in CATALOGUE.items():
        assert code.value == code.value.upper() and " " not in code.value
        assert spec.description
    assert finding(Code.DOCUMENT_EXPIRED, "x", expiry="2020-01-01").severity is Severity.REJECT

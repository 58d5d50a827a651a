"""MRZ parsing against ICAO 9303 specimens, check-digit arithmetic and round trips."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.documents import specimen
from domain.documents.countries import icao_to_alpha2
from domain.documents.mrz import (
    MrzSyntaxError,
    birth_date,
    check_digit,
    expiry_date,
    mrz_syntax_error,
    parse_mrz,
    parse_mrz_detailed,
)
from domain.documents.names import NameMatch, compare_name
from models.documents import MrzFormat

AS_OF = dt.date(2026, 11, 22)
ICAO_TD3 = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10"
)
ICAO_TD2 = "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<\nD231458907UTO7408122F1204159<<<<<<<6"
ICAO_TD1 = (
    "I<UTOD231458907<<<<<<<<<<<<<<<\n7408122F1204159UTO<<<<<<<<<<<6\nERIKSSON<<ANNA<MARIA<<<<<<<<<<"
)
ICAO_TD1_LONG_NUMBER = (
    "I<UTOD23145890<1233<<<<<<<<<<<\n7408122F1204159UTO<<<<<<<<<<<2\nERIKSSON<<ANNA<MARIA<<<<<<<<<<"
)
API_EXAMPLE = (
    "P<SWEERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nAA12345678SWE7408122F3104150<<<<<<<<<<<<<<<0"
)


@pytest.mark.parametrize(
    ("data", "digit"),
    [("L898902C3", "6"), ("740812", "2"), ("120415", "9"), ("ZE184226B<<<<<", "1"), ("", "0")],
)
def test_check_digit_matches_icao_worked_examples(data: str, digit: str) -> None:
    assert check_digit(data) == digit


def test_td3_specimen() -> None:
    parsed = parse_mrz_detailed(ICAO_TD3, as_of=AS_OF)
    data = parsed.data
    assert data.format is MrzFormat.TD3
    assert (data.document_code, data.issuing_state, data.nationality) == ("P", "UTO", "UTO")
    assert (data.surname, data.given_names) == ("ERIKSSON", "ANNA MARIA")
    assert data.document_number == "L898902C3"
    assert data.date_of_birth == dt.date(1974, 8, 12)
    assert data.expiry_date == dt.date(2012, 4, 15)
    assert data.sex == "F"
    assert data.optional_data == "ZE184226B"
    assert data.nationality_alpha2 is None  # Utopia is ICAO's specimen state
    assert data.check_digit_failures == []
    assert [c.field for c in parsed.checks] == [
        "document_number",
        "date_of_birth",
        "expiry_date",
        "optional_data",
        "composite",
    ]


def test_td2_specimen() -> None:
    data = parse_mrz(ICAO_TD2, as_of=AS_OF)
    assert data.format is MrzFormat.TD2
    assert data.document_number == "D23145890"
    assert data.check_digit_failures == []
    assert (data.surname, data.given_names) == ("ERIKSSON", "ANNA MARIA")


def test_td1_specimen() -> None:
    data = parse_mrz(ICAO_TD1, as_of=AS_OF)
    assert data.format is MrzFormat.TD1
    assert data.document_number == "D23145890"
    assert data.date_of_birth == dt.date(1974, 8, 12)
    assert data.check_digit_failures == []


def test_td1_long_document_number_overflows_into_optional_data() -> None:
    data = parse_mrz(ICAO_TD1_LONG_NUMBER, as_of=AS_OF)
    assert data.document_number == "D23145890123"
    assert data.optional_data == ""
    assert data.check_digit_failures == []


def test_api_contract_example_is_valid() -> None:
    data = parse_mrz(API_EXAMPLE, as_of=AS_OF)
    assert data.check_digit_failures == []
    assert data.nationality_alpha2 == "SE"
    assert data.expiry_date == dt.date(2031, 4, 15)
    assert data.document_number == "AA1234567"


@pytest.mark.parametrize(
    ("position", "field"),
    [(9, "document_number"), (19, "date_of_birth"), (27, "expiry_date"), (42, "optional_data")],
)
def test_each_td3_check_digit_is_verified(position: int, field: str) -> None:
    line1, line2 = ICAO_TD3.split("\n")
    wrong = str((int(line2[position]) + 1) % 10)
    broken = line2[:position] + wrong + line2[position + 1 :]
    failures = parse_mrz(f"{line1}\n{broken}", as_of=AS_OF).check_digit_failures
    assert field in failures
    # The composite covers the altered check digit too, except the one it does not span.
    assert "composite" in failures


def test_composite_only_failure() -> None:
    broken = ICAO_TD3[:-1] + "1"
    assert parse_mrz(broken, as_of=AS_OF).check_digit_failures == ["composite"]


def test_altered_data_is_caught_even_with_its_check_digit_kept() -> None:
    tampered = ICAO_TD1.replace("7408122F", "7508122F")
    assert parse_mrz(tampered, as_of=AS_OF).check_digit_failures == [
        "date_of_birth",
        "composite",
    ]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        ("P<UTO", "1 line(s)"),
        (ICAO_TD3.replace("<<10", "<10"), "line 2 has 43 characters, expected 44 for TD3"),
        (ICAO_TD3.replace("ERIKSSON", "Eriksson"), "line 1 has characters outside"),
        (ICAO_TD1.replace("ERIKSSON<<", "ERIKSSON<"), "line 3 has 29 characters, expected 30"),
        ("X" + ICAO_TD3[1:], "document code starts with"),
        (ICAO_TD3 + "\n" + "<" * 44, "3 lines of 30"),
    ],
)
def test_syntax_errors_are_precise(text: str, fragment: str) -> None:
    message = mrz_syntax_error(text)
    assert message is not None
    assert fragment in message
    with pytest.raises(MrzSyntaxError):
        parse_mrz(text, as_of=AS_OF)


def test_syntax_accepts_crlf_padding_and_a_single_unbroken_line() -> None:
    assert mrz_syntax_error("  " + ICAO_TD3.replace("\n", "\r\n") + "\n ") is None
    assert parse_mrz(ICAO_TD3.replace("\n", ""), as_of=AS_OF).document_number == "L898902C3"


def test_check_digit_failure_is_not_a_syntax_error() -> None:
    assert mrz_syntax_error(ICAO_TD3[:-1] + "9") is None


def test_century_windows() -> None:
    young = specimen.td3(
        surname="DOE",
        given_names="JANE",
        document_number="X1",
        nationality="SWE",
        date_of_birth=dt.date(2010, 1, 2),
        sex="F",
        expiry_date=dt.date(2035, 1, 1),
    )
    data = parse_mrz(young, as_of=AS_OF)
    assert data.date_of_birth == dt.date(2010, 1, 2)
    assert data.expiry_date == dt.date(2035, 1, 1)
    assert birth_date("300102", AS_OF) == dt.date(1930, 1, 2)
    assert birth_date("261122", AS_OF) == dt.date(2026, 11, 22)
    assert birth_date("261123", AS_OF) == dt.date(1926, 11, 23)
    assert expiry_date("750101", AS_OF) == dt.date(2075, 1, 1)
    assert expiry_date("760101", AS_OF) == dt.date(1976, 1, 1)
    assert birth_date("74<<<<", AS_OF) is None


def test_invalid_calendar_date_parses_to_none() -> None:
    data = parse_mrz(ICAO_TD3.replace("7408122", "7413322"), as_of=AS_OF)
    assert data.date_of_birth is None


@pytest.mark.parametrize(
    ("code", "alpha2"),
    [
        ("D", "DE"),
        ("D<<", "DE"),
        ("DEU", "DE"),
        ("GBD", "GB"),
        ("GBN", "GB"),
        ("GBR", "GB"),
        ("SWE", "SE"),
        ("UNO", None),
        ("XXA", None),
        ("XXB", None),
        ("XXC", None),
        ("XXX", None),
        ("UTO", None),
        ("QQQ", None),
    ],
)
def test_icao_state_codes(code: str, alpha2: str | None) -> None:
    assert icao_to_alpha2(code) == alpha2


@pytest.mark.parametrize(
    ("claimed", "printed", "expected"),
    [
        ("Eriksson", "ERIKSSON", NameMatch.EXACT),
        ("Müller", "MUELLER", NameMatch.TRANSLITERATED),
        ("Müller", "MULLER", NameMatch.TRANSLITERATED),
        ("Groß", "GROSS", NameMatch.TRANSLITERATED),
        ("Åsa", "AASA", NameMatch.TRANSLITERATED),
        ("Åsa", "ASA", NameMatch.TRANSLITERATED),
        ("Søren", "SOEREN", NameMatch.TRANSLITERATED),
        ("José", "JOSE", NameMatch.TRANSLITERATED),
        ("O'Brien", "OBRIEN", NameMatch.EXACT),
        ("Smith-Jones", "SMITH JONES", NameMatch.EXACT),
        ("Smith-Jones", "SMITHJONES", NameMatch.EXACT),
        ("Eriksson", "ERIKSON", NameMatch.MINOR_DIFFERENCE),
        ("Eriksson", "LARSSON", NameMatch.MISMATCH),
        ("Müller", "MILLER", NameMatch.MINOR_DIFFERENCE),
    ],
)
def test_name_comparison(claimed: str, printed: str, expected: NameMatch) -> None:
    assert compare_name(claimed, printed) is expected


def test_given_names_tolerate_missing_middle_names_and_truncation() -> None:
    assert compare_name("Anna Maria", "ANNA", allow_partial=True) is NameMatch.PARTIAL
    assert compare_name("Anna", "ANNA MARIA", allow_partial=True) is NameMatch.PARTIAL
    assert compare_name("Anna Maria", "ANNA") is NameMatch.MISMATCH
    assert compare_name("Maria Anna", "ANNA", allow_partial=True) is NameMatch.MISMATCH
    assert (
        compare_name("Bartholomew Alexander", "BARTHOLOMEW ALEX", truncated=True)
        is NameMatch.TRUNCATED
    )
    assert compare_name("Bartholomew Alexander", "BARTHOLOMEW ALEX") is NameMatch.MISMATCH


def test_builder_truncates_overlong_names_and_parser_flags_it() -> None:
    mrz = specimen.td1(
        surname="WOLFESCHLEGELSTEINHAUSEN",
        given_names="HUBERT BLAINE",
        document_number="X1234567",
        nationality="DEU",
        date_of_birth=dt.date(1980, 2, 29),
        sex="M",
        expiry_date=dt.date(2030, 1, 1),
    )
    data = parse_mrz(mrz, as_of=AS_OF)
    assert data.names_truncated
    assert compare_name("Hubert Blaine", data.given_names, truncated=True) is NameMatch.TRUNCATED


_ALNUM = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=9)
_NAME = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=10)
_DATES = st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(2026, 11, 22))


@settings(max_examples=150, deadline=None)
@given(
    fmt=st.sampled_from(["td1", "td2", "td3"]),
    number=_ALNUM,
    surname=_NAME,
    given_names=st.lists(_NAME, min_size=1, max_size=2).map(" ".join),
    birth=_DATES,
    expiry=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2060, 12, 31)),
    sex=st.sampled_from("MF<"),
    nationality=st.sampled_from(["SWE", "DEU", "D", "GBD", "XXA", "FRA"]),
)
def test_round_trip(
    fmt: str,
    number: str,
    surname: str,
    given_names: str,
    birth: dt.date,
    expiry: dt.date,
    sex: str,
    nationality: str,
) -> None:
    builders: dict[str, Callable[..., str]] = {
        "td1": specimen.td1,
        "td2": specimen.td2,
        "td3": specimen.td3,
    }
    build = builders[fmt]
    mrz = build(
        surname=surname,
        given_names=given_names,
        document_number=number,
        nationality=nationality,
        date_of_birth=birth,
        sex=sex,
        expiry_date=expiry,
    )
    assert mrz_syntax_error(mrz) is None
    data = parse_mrz(mrz, as_of=AS_OF)
    assert data.check_digit_failures == []
    assert data.document_number == number
    assert data.date_of_birth == birth
    assert data.expiry_date == expiry
    assert data.nationality == nationality
    assert data.sex == ("X" if sex == "<" else sex)
    if not data.names_truncated:
        assert (data.surname, data.given_names) == (surname, given_names)


@settings(max_examples=150, deadline=None)
@given(position=st.integers(min_value=0, max_value=43), char=st.sampled_from("0123456789"))
def test_any_single_digit_change_in_line2_is_detected(position: int, char: str) -> None:
    line1, line2 = ICAO_TD3.split("\n")
    # Digit-for-digit substitutions are always caught (7, 3 and 1 are coprime with 10);
    # letter-for-digit ones are not (L=21 and 1 weigh the same mod 10), so only digits here.
    if line2[position] == char or not line2[position].isdigit():
        return
    changed = line2[:position] + char + line2[position + 1 :]
    assert parse_mrz(f"{line1}\n{changed}", as_of=AS_OF).check_digit_failures

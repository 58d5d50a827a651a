"""Build well-formed MRZs from field values, computing every check digit.

Tests, the OCR benchmark and the integrator's end-to-end fixtures all need valid MRZs for
made-up people; hand-computing check digits is error-prone (the 7-3-1 sum is easy to get
wrong), so they are derived here from the same `check_digit` the parser uses.
"""

from __future__ import annotations

import datetime as dt

from domain.documents.mrz import FILLER, check_digit


def _field(text: str, width: int) -> str:
    if len(text) > width:
        raise ValueError(f"{text!r} does not fit a {width}-character MRZ field")
    return text + FILLER * (width - len(text))


def _name_field(surname: str, given_names: str, width: int) -> str:
    """ICAO name field; truncates the given names (then surname) to fit, as issuers do."""
    primary = FILLER.join(surname.upper().split())
    secondary = FILLER.join(given_names.upper().split())
    text = primary + (FILLER * 2 + secondary if secondary else "")
    return _field(text[:width], width)


def _yymmdd(date: dt.date | None) -> str:
    return FILLER * 6 if date is None else date.strftime("%y%m%d")


def td3(
    *,
    surname: str,
    given_names: str,
    document_number: str,
    nationality: str,
    date_of_birth: dt.date | None,
    sex: str,
    expiry_date: dt.date,
    issuing_state: str | None = None,
    personal_number: str = "",
    document_code: str = "P",
) -> str:
    """Passport MRZ (2 x 44). Names and codes must already be in the MRZ alphabet."""
    line1 = _field(document_code, 2) + _field(issuing_state or nationality, 3)
    line1 += _name_field(surname, given_names, 39)
    number = _field(document_number, 9)
    birth, expiry = _yymmdd(date_of_birth), _yymmdd(expiry_date)
    personal = _field(personal_number, 14)
    personal_check = FILLER if not personal_number else check_digit(personal)
    line2 = number + check_digit(number) + _field(nationality, 3)
    line2 += birth + check_digit(birth) + (sex or FILLER)
    line2 += expiry + check_digit(expiry) + personal + personal_check
    composite = line2[0:10] + line2[13:20] + line2[21:43]
    return f"{line1}\n{line2}{check_digit(composite)}"


def _number_with_overflow(document_number: str, width: int) -> tuple[str, str]:
    """Returns (number field incl. check digit, overflow to prepend to optional data)."""
    if len(document_number) <= 9:
        number = _field(document_number, 9)
        return number + check_digit(number), ""
    head, tail = document_number[:9], document_number[9:]
    overflow = tail + check_digit(document_number) + FILLER
    if len(overflow) > width:
        raise ValueError("document number too long for the optional data field")
    return head + FILLER, overflow


def td1(
    *,
    surname: str,
    given_names: str,
    document_number: str,
    nationality: str,
    date_of_birth: dt.date | None,
    sex: str,
    expiry_date: dt.date,
    issuing_state: str | None = None,
    optional_data: str = "",
    document_code: str = "I",
) -> str:
    """Identity-card MRZ (3 x 30), with the ICAO long-document-number overflow."""
    number, overflow = _number_with_overflow(document_number, 15)
    line1 = _field(document_code, 2) + _field(issuing_state or nationality, 3) + number
    line1 += _field(overflow + optional_data, 15)
    birth, expiry = _yymmdd(date_of_birth), _yymmdd(expiry_date)
    line2 = birth + check_digit(birth) + (sex or FILLER) + expiry + check_digit(expiry)
    line2 += _field(nationality, 3) + _field("", 11)
    composite = line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29]
    line3 = _name_field(surname, given_names, 30)
    return f"{line1}\n{line2}{check_digit(composite)}\n{line3}"


def td2(
    *,
    surname: str,
    given_names: str,
    document_number: str,
    nationality: str,
    date_of_birth: dt.date | None,
    sex: str,
    expiry_date: dt.date,
    issuing_state: str | None = None,
    optional_data: str = "",
    document_code: str = "I",
) -> str:
    """Official travel document MRZ (2 x 36), with the long-document-number overflow."""
    line1 = _field(document_code, 2) + _field(issuing_state or nationality, 3)
    line1 += _name_field(surname, given_names, 31)
    number, overflow = _number_with_overflow(document_number, 7)
    birth, expiry = _yymmdd(date_of_birth), _yymmdd(expiry_date)
    line2 = number + _field(nationality, 3) + birth + check_digit(birth) + (sex or FILLER)
    line2 += expiry + check_digit(expiry) + _field(overflow + optional_data, 7)
    composite = line2[0:10] + line2[13:20] + line2[21:35]
    return f"{line1}\n{line2}{check_digit(composite)}"

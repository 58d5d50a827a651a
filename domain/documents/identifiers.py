"""IBAN and national identity/tax number validation.

A structurally invalid IBAN or identifier is the cheapest fraud and typo signal there is, and
many national numbers also encode the birth date, which gives a second, independent check of
the claimed date of birth. Validators come from schwifty and python-stdnum; which stdnum
schemes apply is decided by the applicant's nationality, because that is the state that
issued the number.
"""

from __future__ import annotations

import datetime as dt
import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

from schwifty import IBAN
from schwifty import exceptions as iban_errors

from domain.documents.codes import Code, finding
from models.common import Finding
from models.documents import IbanCheck

_IBAN_PROBLEMS: tuple[tuple[type[Exception], str], ...] = (
    (iban_errors.InvalidCountryCode, "unknown country code"),
    (iban_errors.InvalidLength, "wrong length for its country"),
    (iban_errors.InvalidStructure, "characters do not fit the country's format"),
    (iban_errors.InvalidChecksumDigits, "check digits do not match"),
    (iban_errors.InvalidBBANChecksum, "national account checksum fails"),
    (iban_errors.InvalidBankCode, "bank code is not valid"),
    (iban_errors.InvalidBranchCode, "branch code is not valid"),
    (iban_errors.InvalidAccountCode, "account number is not valid"),
)


def _iban_problem(exc: Exception) -> str:
    # schwifty's own messages can echo parts of the account number; use fixed wording.
    for kind, text in _IBAN_PROBLEMS:
        if isinstance(exc, kind):
            return text
    return "not a valid IBAN"


def check_iban(value: str, *, field: str = "iban") -> IbanCheck:
    try:
        iban = IBAN(value)
    except (iban_errors.SchwiftyException, ValueError) as exc:
        return IbanCheck(
            valid=False, findings=[finding(Code.IBAN_INVALID, field, detail=_iban_problem(exc))]
        )
    try:
        bic = iban.bic
    except (iban_errors.SchwiftyException, ValueError):
        bic = None
    findings = [] if bic is not None else [finding(Code.IBAN_BIC_UNKNOWN, field)]
    return IbanCheck(
        valid=True,
        country=iban.country_code,
        bank_code=iban.bank_code or None,
        bic=str(bic) if bic is not None else None,
        findings=findings,
    )


_NINO = re.compile(r"^(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D]$")


def _valid_nino(value: str) -> bool:
    """UK National Insurance number: python-stdnum has no module for it, rules are HMRC's."""
    return bool(_NINO.match(re.sub(r"\s+", "", value.upper())))


# Personal (not company) identifiers per nationality, most common first.
_STDNUM_SCHEMES: dict[str, tuple[str, ...]] = {
    "AR": ("ar.dni", "ar.cuit"),
    "AT": ("at.vnr", "at.tin"),
    "BE": ("be.nn", "be.bis"),
    "BG": ("bg.egn",),
    "BR": ("br.cpf",),
    "CH": ("ch.ssn",),
    "CL": ("cl.rut",),
    "CN": ("cn.ric",),
    "CZ": ("cz.rc",),
    "DE": ("de.idnr",),
    "DK": ("dk.cpr",),
    "EE": ("ee.ik",),
    "ES": ("es.dni", "es.nie"),
    "FI": ("fi.hetu",),
    "FR": ("fr.nir", "fr.nif"),
    "GB": ("gb.utr",),
    "GR": ("gr.amka",),
    "HR": ("hr.oib",),
    "IE": ("ie.pps",),
    "IN": ("in_.aadhaar", "in_.pan"),
    "IS": ("is_.kennitala",),
    "IT": ("it.codicefiscale",),
    "KR": ("kr.rrn",),
    "LT": ("lt.asmens",),
    "MX": ("mx.curp", "mx.rfc"),
    "NL": ("nl.bsn",),
    "NO": ("no.fodselsnummer",),
    "PL": ("pl.pesel",),
    "PT": ("pt.cc", "pt.nif"),
    "RO": ("ro.cnp",),
    "SE": ("se.personnummer",),
    "SI": ("si.emso",),
    "SK": ("sk.rc",),
    "TR": ("tr.tckimlik",),
    "US": ("us.ssn", "us.itin"),
    "ZA": ("za.idnr",),
}
_EXTRA_VALIDATORS: dict[str, tuple[tuple[str, Callable[[str], bool]], ...]] = {
    "GB": (("gb.nino", _valid_nino),),
}


@dataclass(frozen=True, slots=True)
class IdentifierResult:
    checked: bool
    scheme: str | None
    valid: bool
    birth_date: dt.date | None = None


def _module(path: str) -> ModuleType:
    return importlib.import_module(f"stdnum.{path}")


def _birth_date(module: ModuleType, value: str) -> dt.date | None:
    getter = getattr(module, "get_birth_date", None)
    if getter is None:
        return None
    try:
        result = getter(value)
    except Exception:  # stdnum raises its own errors for e.g. coordination numbers
        return None
    return result if isinstance(result, dt.date) else None


def validate_national_id(value: str, country: str) -> IdentifierResult:
    """Try every scheme of `country`; the first that accepts the number wins."""
    country = country.upper()
    extras = _EXTRA_VALIDATORS.get(country, ())
    schemes = _STDNUM_SCHEMES.get(country, ())
    if not extras and not schemes:
        return IdentifierResult(checked=False, scheme=None, valid=False)
    for label, check in extras:
        if check(value):
            return IdentifierResult(checked=True, scheme=label, valid=True)
    for path in schemes:
        module = _module(path)
        if module.is_valid(value):
            return IdentifierResult(
                checked=True,
                scheme=path.replace("_", ""),
                valid=True,
                birth_date=_birth_date(module, value),
            )
    labels = [label for label, _ in extras] + [p.replace("_", "") for p in schemes]
    return IdentifierResult(checked=True, scheme=" or ".join(labels), valid=False)


def _same_birth_date(encoded: dt.date, claimed: dt.date) -> bool:
    # Some schemes (e.g. codice fiscale) only encode two year digits and stdnum guesses the
    # century; the day, month and year-of-century are what the number actually attests.
    return (encoded.year % 100, encoded.month, encoded.day) == (
        claimed.year % 100,
        claimed.month,
        claimed.day,
    )


def national_id_findings(
    value: str, country: str, date_of_birth: dt.date, *, field: str = "applicant.national_id"
) -> list[Finding]:
    result = validate_national_id(value, country)
    if not result.checked:
        return [finding(Code.NATIONAL_ID_NOT_CHECKED, field, country=country.upper())]
    if not result.valid:
        return [finding(Code.NATIONAL_ID_INVALID, field, scheme=result.scheme)]
    if result.birth_date is not None and not _same_birth_date(result.birth_date, date_of_birth):
        return [finding(Code.NATIONAL_ID_DOB_MISMATCH, field, scheme=result.scheme)]
    return []

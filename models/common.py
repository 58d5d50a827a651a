"""Building blocks shared by every payload: immutable models, reason codes, ISO codes.

Payloads cross three boundaries (HTTP, Temporal history, PostgreSQL). They are frozen so a
workflow can never mutate an activity's result in place and diverge on replay, and they
forbid unknown fields at the HTTP edge so a typo in a portal integration is a 422, not a
silently dropped value.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

import pycountry
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    Strict,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError


class FrozenModel(BaseModel):
    """Immutable payload. Unknown fields are ignored so older workers can read newer payloads."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class StrictInput(BaseModel):
    """HTTP request body: unknown fields are an error so integrators learn about typos.

    Values are taken verbatim (no whitespace stripping): stripping after the length check
    would accept bodies the published schema calls too long, and stripping before it would
    refuse bodies the schema accepts. The text types below refuse blank values instead."""

    model_config = ConfigDict(frozen=True, extra="forbid")


# ---------------------------------------------------------------------------------------
# Text. PostgreSQL refuses NUL in text columns and a lone surrogate cannot be encoded as
# UTF-8, so either one used to pass validation and then fail every retry of the activity
# that wrote it, leaving a case stuck for good. Other control characters are refused too:
# they have no business in a name or an address and make logs and audit trails lie. The
# same regular expression is the validator and the JSON-schema `pattern`, so the OpenAPI
# document states exactly the rule the code applies.
# ---------------------------------------------------------------------------------------

_C0_C1 = r"\x00-\x1f\x7f-\x9f"
_C0_C1_EXCEPT_TAB_NL_CR = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"

LINE_PATTERN = f"^[^{_C0_C1}]*[^{_C0_C1} ][^{_C0_C1}]*$"
"""One line of text, not blank: no C0/C1 control character (so no NUL, tab or newline) and
at least one character that is not a space."""
MULTILINE_PATTERN = f"^[^{_C0_C1_EXCEPT_TAB_NL_CR}]*[^{_C0_C1} ][^{_C0_C1_EXCEPT_TAB_NL_CR}]*$"
"""Free text (a decision's reason, a note): like LINE_PATTERN but tab, LF and CR allowed."""


def _text_validator(pattern: str, multiline: bool) -> Callable[[str], str]:
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        bad = next((c for c in value if _is_refused(c, multiline)), None)
        if bad is not None:
            raise PydanticCustomError(
                "control_character",
                "must not contain control characters (found {code})",
                {"code": f"U+{ord(bad):04X}"},
            )
        if compiled.match(value) is None:
            raise PydanticCustomError("blank_text", "must not be blank")
        return value

    return check


def _is_refused(char: str, multiline: bool) -> bool:
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:
        return True  # a lone surrogate (a JSON "\\ud800" escape) cannot be encoded as UTF-8
    if multiline and char in "\t\n\r":
        return False
    return code < 0x20 or 0x7F <= code <= 0x9F


def text(max_length: int, *, min_length: int = 1, multiline: bool = False) -> Any:
    """A text type with length limits and the no-control-character rule. Build every free
    text field of a request with this (or `Line`/`FreeText`), never with a bare `str`."""
    pattern = MULTILINE_PATTERN if multiline else LINE_PATTERN
    return Annotated[
        str,
        Field(min_length=min_length, max_length=max_length, json_schema_extra={"pattern": pattern}),
        AfterValidator(_text_validator(pattern, multiline)),
    ]


Name = text(100)
"""A person's given names or surname."""
AddressLine = text(140)
City = text(100)
PostalCode = text(16)
Note = text(2000, multiline=True)
"""Free text from a portal (a note with new documents)."""
Reason = text(2000, min_length=3, multiline=True)
"""Why an officer decided as they did: kept in the audit trail."""


# ---------------------------------------------------------------------------------------
# Dates and numbers: no coercion. Pydantic's lax (and even strict JSON) date parsing takes
# 0, 86400 and "0" as Unix timestamps, i.e. 1 January 1970, which for a date of birth is a
# silent lie. Only an ISO 8601 calendar date (YYYY-MM-DD) is a date here.
# ---------------------------------------------------------------------------------------

ISO_DATE_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"


def _iso_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        raise PydanticCustomError("iso_date", "must be a date (YYYY-MM-DD), not a date-time")
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or re.fullmatch(ISO_DATE_PATTERN, value) is None:
        raise PydanticCustomError("iso_date", "must be an ISO 8601 date, YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError("iso_date", "is not a calendar date") from None


IsoDate = Annotated[
    dt.date,
    BeforeValidator(_iso_date),
    WithJsonSchema({"type": "string", "format": "date", "pattern": ISO_DATE_PATTERN}),
]
"""A calendar date written YYYY-MM-DD; numbers and other spellings are refused."""

StrictInt = Annotated[int, Strict()]
"""An integer that arrived as a JSON integer (never 1.0, "1" or true)."""

AMOUNT_PATTERN = r"^(0|[1-9][0-9]{0,17})(\.[0-9]{1,4})?$"


def _amount(value: object) -> Decimal:
    if isinstance(value, Decimal) and value.is_finite():
        value = format(value, "f")
    if not isinstance(value, str) or re.fullmatch(AMOUNT_PATTERN, value) is None:
        raise PydanticCustomError(
            "decimal_string",
            'must be a decimal string such as "125.50" (no float, no exponent, '
            "at most 18 integer digits and 4 decimals)",
        )
    return Decimal(value)


Amount = Annotated[
    Decimal,
    BeforeValidator(_amount),
    PlainSerializer(lambda d: format(d, "f"), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": AMOUNT_PATTERN, "examples": ["125.50"]}),
]
"""A non-negative money amount as a decimal string. A JSON number is refused: binary
floating point cannot hold 0.1, and money must round-trip exactly."""


# ---------------------------------------------------------------------------------------
# Codes and identifiers. Each is an enum or a pattern in the schema, so a value the schema
# accepts is one the code accepts, and the other way round.
# ---------------------------------------------------------------------------------------

# Built once at import: pycountry loads its database lazily from files, which the workflow
# sandbox forbids (payloads are validated inside it), and a set lookup is faster anyway.
_ALPHA2: frozenset[str] = frozenset(c.alpha_2 for c in pycountry.countries)
_CURRENCIES: frozenset[str] = frozenset(c.alpha_3 for c in pycountry.currencies)


def _member_of(codes: frozenset[str], what: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if value not in codes:
            raise PydanticCustomError(
                "code", "{value!r} is not an upper-case {what}", {"value": value, "what": what}
            )
        return value

    return check


CountryCode = Annotated[
    str,
    Field(examples=["SE"], json_schema_extra={"enum": sorted(_ALPHA2)}),
    AfterValidator(_member_of(_ALPHA2, "ISO 3166-1 alpha-2 country code")),
]
CurrencyCode = Annotated[
    str,
    Field(examples=["EUR"], json_schema_extra={"enum": sorted(_CURRENCIES)}),
    AfterValidator(_member_of(_CURRENCIES, "ISO 4217 currency code")),
]

EMAIL_PATTERN = (
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)
Email = Annotated[
    str,
    Field(max_length=254, pattern=EMAIL_PATTERN, examples=["anna@example.com"]),
]
"""An e-mail address: a dot-atom local part and a DNS domain with an alphabetic top-level
label. The pattern is the whole rule (no deliverability check), so it is in the schema."""

BUSINESS_KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
BusinessKey = Annotated[str, Field(pattern=BUSINESS_KEY_PATTERN, examples=["app-7f3a"])]
"""Identifiers chosen by the caller. They become Temporal workflow ids, which are stored
unencrypted, so the pattern keeps them short, printable and free of personal data shapes."""

WORKFLOW_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$"
WorkflowId = Annotated[str, Field(pattern=WORKFLOW_ID_PATTERN, examples=["onboarding-app-7f3a"])]
"""A workflow id in a path: the ids Clearway creates (business keys with a prefix)."""

CASE_ID_PATTERN = r"^case-[A-Za-z0-9-]{1,64}$"
CaseId = Annotated[str, Field(pattern=CASE_ID_PATTERN, examples=["case-3f9a1c0b2d4e5f60"])]
"""A case id in a path (`case-<hex>`, `case-rs-<hex>`)."""

CURSOR_PATTERN = r"^[A-Za-z0-9_-]{1,512}={0,2}$"
Cursor = Annotated[str, Field(pattern=CURSOR_PATTERN)]
"""An opaque page cursor as the API issues it (URL-safe base64)."""

Kind = Annotated[str, Field(pattern=r"^[a-z_]{1,32}$", examples=["onboarding"])]
"""A lower-case kind or product name."""


class Severity(StrEnum):
    """How much a finding weighs on the decision. The risk model maps these to outcomes."""

    INFO = "info"
    WARNING = "warning"
    REFER = "refer"
    REJECT = "reject"


class Finding(FrozenModel):
    """One typed reason with a human message: every decision is explained by these."""

    code: str = Field(examples=["MRZ_CHECK_DIGIT"])
    severity: Severity
    message: str = Field(examples=["Document number check digit is 3, expected 4"])
    field: str | None = Field(default=None, examples=["documents[0].mrz"])

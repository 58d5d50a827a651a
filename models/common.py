"""Building blocks shared by every payload: immutable models, reason codes, ISO codes.

Payloads cross three boundaries (HTTP, Temporal history, PostgreSQL). They are frozen so a
workflow can never mutate an activity's result in place and diverge on replay, and they
forbid unknown fields at the HTTP edge so a typo in a portal integration is a 422, not a
silently dropped value.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import pycountry
from pydantic import AfterValidator, BaseModel, ConfigDict, Field


class FrozenModel(BaseModel):
    """Immutable payload. Unknown fields are ignored so older workers can read newer payloads."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class StrictInput(BaseModel):
    """HTTP request body: unknown fields are an error so integrators learn about typos."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


# Built once at import: pycountry loads its database lazily from files, which the workflow
# sandbox forbids (payloads are validated inside it), and a set lookup is faster anyway.
_ALPHA2: frozenset[str] = frozenset(c.alpha_2 for c in pycountry.countries)
_CURRENCIES: frozenset[str] = frozenset(c.alpha_3 for c in pycountry.currencies)


def _alpha2(value: str) -> str:
    code = value.upper()
    if code not in _ALPHA2:
        raise ValueError(f"'{value}' is not an ISO 3166-1 alpha-2 country code")
    return code


def _currency(value: str) -> str:
    code = value.upper()
    if code not in _CURRENCIES:
        raise ValueError(f"'{value}' is not an ISO 4217 currency code")
    return code


CountryCode = Annotated[
    str,
    Field(min_length=2, max_length=2, examples=["SE"]),
    AfterValidator(_alpha2),
]
CurrencyCode = Annotated[
    str,
    Field(min_length=3, max_length=3, examples=["EUR"]),
    AfterValidator(_currency),
]

BUSINESS_KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
BusinessKey = Annotated[str, Field(pattern=BUSINESS_KEY_PATTERN, examples=["app-7f3a"])]
"""Identifiers chosen by the caller. They become Temporal workflow ids, which are stored
unencrypted, so the pattern keeps them short, printable and free of personal data shapes."""


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

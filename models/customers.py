"""Customer and account opening payloads."""

from __future__ import annotations

import datetime as dt

from models.common import FrozenModel
from models.onboarding import AccountRef


class OpenCustomerAccountInput(FrozenModel):
    customer_id: str
    account_id: str
    application_id: str
    workflow_id: str
    given_names: str
    surname: str
    date_of_birth: dt.date
    nationality: str
    residence_country: str
    risk_level: str
    currency: str
    product: str


class OpenCustomerAccountResult(FrozenModel):
    customer_id: str
    accounts: list[AccountRef]
    created: bool
    """False when the customer already existed (a retry or a replayed request)."""

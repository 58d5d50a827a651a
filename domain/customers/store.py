"""The customer store: customers and the accounts onboarding opens for them.

Called by activities (opening, freezing) and API routes alike; it never commits, the
caller's transaction is the unit of work. Personal data lives in these rows (the system of
record), never in Temporal history or logs.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from clearway.contract import CustomerConflict, CustomerNotFound
from models.customers import OpenCustomerAccountInput, OpenCustomerAccountResult
from models.onboarding import AccountRef
from models.tables import Account, Customer

ACTIVE, FROZEN = "active", "frozen"
SCREENED_STATUSES = (ACTIVE,)
"""Frozen customers are already blocked; re-screening them would only duplicate reviews."""


class ScreenedCustomer(NamedTuple):
    """What re-screening reads of a customer: the name, date of birth and nationality."""

    customer_id: str
    given_names: str
    surname: str
    date_of_birth: dt.date
    nationality: str


class CustomerStore:
    def __init__(self, session: Session) -> None:
        self._session = session

    def open_with_account(self, inp: OpenCustomerAccountInput) -> OpenCustomerAccountResult:
        """Create the customer and its first account, keyed by application id: a retry after
        a lost completion, or a second approval path, finds the rows already there and
        returns them instead of opening a second account."""
        s = self._session
        created = s.execute(
            insert(Customer)
            .values(
                customer_id=inp.customer_id,
                application_id=inp.application_id,
                workflow_id=inp.workflow_id,
                given_names=inp.given_names,
                surname=inp.surname,
                date_of_birth=inp.date_of_birth,
                nationality=inp.nationality,
                residence_country=inp.residence_country,
                risk_level=inp.risk_level,
                status=ACTIVE,
            )
            .on_conflict_do_nothing(index_elements=["application_id"])
            .returning(Customer.customer_id)
        ).scalar_one_or_none()
        customer = s.scalars(
            select(Customer).where(Customer.application_id == inp.application_id)
        ).one()
        if customer.customer_id != inp.customer_id:
            raise CustomerConflict(
                f"application {inp.application_id} already belongs to another customer"
            )
        if created is not None:
            s.add(
                Account(
                    account_id=inp.account_id,
                    customer_id=inp.customer_id,
                    kind="customer",
                    currency=inp.currency,
                    product=inp.product,
                    allow_negative=False,
                )
            )
            s.flush()
        return OpenCustomerAccountResult(
            customer_id=inp.customer_id,
            accounts=self.accounts(inp.customer_id),
            created=created is not None,
        )

    def accounts(self, customer_id: str) -> list[AccountRef]:
        rows = self._session.scalars(
            select(Account)
            .where(Account.customer_id == customer_id)
            .order_by(Account.created_at, Account.account_id)
        ).all()
        return [AccountRef(account_id=a.account_id, currency=a.currency) for a in rows]

    def freeze(self, customer_id: str) -> tuple[str, bool]:
        """Freeze a customer (it may still receive, never send). Idempotent: only a customer
        not yet frozen matches, so a retry reports `changed=False` instead of writing twice.
        Returns the status after the call and whether this call changed it."""
        s = self._session
        changed = s.execute(
            update(Customer)
            .where(Customer.customer_id == customer_id, Customer.status != FROZEN)
            .values(status=FROZEN)
            .returning(Customer.customer_id)
        ).scalar_one_or_none()
        status = s.scalar(select(Customer.status).where(Customer.customer_id == customer_id))
        if status is None:
            raise CustomerNotFound(f"customer {customer_id} does not exist")
        return status, changed is not None

    def screening_page(self, after_customer_id: str | None, size: int) -> list[ScreenedCustomer]:
        """One keyset page of the customers a sweep screens (stable under concurrent
        inserts: ids only grow past the cursor)."""
        stmt = (
            select(
                Customer.customer_id,
                Customer.given_names,
                Customer.surname,
                Customer.date_of_birth,
                Customer.nationality,
            )
            .where(Customer.status.in_(SCREENED_STATUSES))
            .order_by(Customer.customer_id)
            .limit(size)
        )
        if after_customer_id is not None:
            stmt = stmt.where(Customer.customer_id > after_customer_id)
        return [ScreenedCustomer(*row) for row in self._session.execute(stmt)]

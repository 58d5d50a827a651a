"""Customer and account opening: the last step of an approved onboarding."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from models.customers import OpenCustomerAccountInput, OpenCustomerAccountResult
from models.onboarding import AccountRef
from models.tables import Account, Customer


class CustomerActivities:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    @activity.defn(name="open_customer_account")
    def open_customer_account(self, inp: OpenCustomerAccountInput) -> OpenCustomerAccountResult:
        """Create the customer and its first account in one transaction.

        Keyed by application id: a retry after a lost completion, or a second approval path,
        finds the rows already there and returns them instead of opening a second account.
        """
        with self._sessions.begin() as session:
            created = session.execute(
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
                    status="active",
                )
                .on_conflict_do_nothing(index_elements=["application_id"])
                .returning(Customer.customer_id)
            ).scalar_one_or_none()
            customer = session.scalars(
                select(Customer).where(Customer.application_id == inp.application_id)
            ).one()
            if customer.customer_id != inp.customer_id:
                raise ApplicationError(
                    f"application {inp.application_id} already belongs to another customer",
                    type="CustomerConflict",
                    non_retryable=True,
                )
            if created is not None:
                session.add(
                    Account(
                        account_id=inp.account_id,
                        customer_id=inp.customer_id,
                        kind="customer",
                        currency=inp.currency,
                        product=inp.product,
                        allow_negative=False,
                    )
                )
            accounts = session.scalars(
                select(Account)
                .where(Account.customer_id == inp.customer_id)
                .order_by(Account.created_at, Account.account_id)
            ).all()
        activity.logger.info(
            "customer account opened" if created else "customer already existed",
            extra={"customer_id": inp.customer_id},
        )
        return OpenCustomerAccountResult(
            customer_id=inp.customer_id,
            accounts=[AccountRef(account_id=a.account_id, currency=a.currency) for a in accounts],
            created=created is not None,
        )

"""Customer-file activities (records queue): open on approval, freeze on a review's reject.
Each attempt is one transaction over `CustomerStore`, idempotent by business key."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity

from clearway.contract import Activity
from domain.customers.store import CustomerStore
from models.customers import OpenCustomerAccountInput, OpenCustomerAccountResult
from models.rescreening import FreezeCustomerInput, FreezeCustomerResult


class CustomerActivities:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    @activity.defn(name=Activity.OPEN_CUSTOMER_ACCOUNT)
    def open_customer_account(self, inp: OpenCustomerAccountInput) -> OpenCustomerAccountResult:
        with self._sessions.begin() as session:
            result = CustomerStore(session).open_with_account(inp)
        activity.logger.info(
            "customer account opened" if result.created else "customer already existed",
            extra={"customer_id": inp.customer_id},
        )
        return result

    @activity.defn(name=Activity.FREEZE_CUSTOMER)
    def freeze_customer(self, inp: FreezeCustomerInput) -> FreezeCustomerResult:
        with self._sessions.begin() as session:
            status, changed = CustomerStore(session).freeze(inp.customer_id)
        activity.logger.info(
            "customer frozen" if changed else "customer already frozen",
            extra={"customer_id": inp.customer_id, "case_id": inp.case_id},
        )
        return FreezeCustomerResult(customer_id=inp.customer_id, status=status, changed=changed)

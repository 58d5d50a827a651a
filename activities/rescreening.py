"""Re-screening activities (screening queue): a list version's delta, and customer pages
screened against it. The work is `domain.rescreening`; these read the page and log.

The delta of a list update is recorded once in history (`compute_list_delta`); page
activities receive only a reference to it and re-derive the same entries from the stored,
content-addressed copies, verified by hash. A million-customer sweep therefore records a
few hundred bytes per page, not the delta again and again.
"""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity

from clearway.contract import Activity
from clearway.heartbeat import heartbeating
from domain.customers.store import CustomerStore
from domain.rescreening import Rescreener
from domain.risk import RiskModel
from models.rescreening import (
    ComputeListDeltaInput,
    ListDeltaChunk,
    RescreenCustomersPageInput,
    RescreenCustomersPageResult,
)


class RescreeningActivities:
    def __init__(self, sessions: sessionmaker[Session], model: RiskModel) -> None:
        self._sessions = sessions
        self._rescreener = Rescreener(model)

    @activity.defn(name=Activity.COMPUTE_LIST_DELTA)
    def compute_list_delta(self, inp: ComputeListDeltaInput) -> ListDeltaChunk:
        with heartbeating():
            chunk, diff = self._rescreener.delta_chunk(inp)
        activity.logger.info(
            "list delta computed",
            extra={
                "source": inp.current.source,
                "added": diff.added,
                "changed": len(diff.changes) - diff.added,
                "removed": diff.removed,
            },
        )
        return chunk

    @activity.defn(name=Activity.RESCREEN_CUSTOMERS_PAGE)
    def rescreen_customers_page(
        self, inp: RescreenCustomersPageInput
    ) -> RescreenCustomersPageResult:
        with heartbeating():
            with self._sessions() as session:
                rows = CustomerStore(session).screening_page(inp.after_customer_id, inp.page_size)
            result = self._rescreener.screen_page(inp, rows)
        activity.logger.info(
            "customer page re-screened",
            extra={"customers": len(rows), "hits": len(result.hits)},
        )
        return result

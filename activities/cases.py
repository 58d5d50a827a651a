"""Case-queue activities (records queue): the review workflow decides, these make the queue
and its audit trail agree. Each attempt is one transaction over `CaseStore`, keyed by an
idempotency key, so a retried activity never appends a second event."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity

from clearway.contract import Activity
from domain.cases.store import CaseStore
from models.cases import CaseEventInput, CaseView, OpenCaseInput


class CaseActivities:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    @activity.defn(name=Activity.OPEN_CASE)
    def open_case(self, inp: OpenCaseInput) -> CaseView:
        with self._sessions.begin() as session:
            view = CaseStore(session).open(inp)
        activity.logger.info("case opened", extra={"case_id": inp.case_id})
        return view

    @activity.defn(name=Activity.RECORD_CASE_EVENT)
    def record_case_event(self, inp: CaseEventInput) -> CaseView:
        with self._sessions.begin() as session:
            return CaseStore(session).record_event(inp)

"""The names every layer shares, defined once: roles, task queues, activity names and the
error catalogue.

Each error type says, in one place, how the API answers it (status and code) and whether
Temporal may retry it. Domain code raises these plain exceptions; the worker's interceptor
turns them into `ApplicationError(type=<class name>)` with the right retryability, and the
API maps the same classes (or that type name, coming back from an update) to the envelope.
Nothing here imports Temporal, FastAPI or SQLAlchemy, so every layer may import it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar


class Role(StrEnum):
    PORTAL = "portal"
    OFFICER = "officer"
    SENIOR_OFFICER = "senior_officer"
    AUDITOR = "auditor"
    ADMIN = "admin"


OFFICER_ROLES: tuple[Role, ...] = (Role.OFFICER, Role.SENIOR_OFFICER)
STAFF_ROLES: tuple[Role, ...] = (Role.OFFICER, Role.SENIOR_OFFICER, Role.AUDITOR)


class Queue(StrEnum):
    """Task queues, one per scaling concern (all served by one process by default)."""

    WORKFLOWS = "workflows"
    """Orchestration: cheap, deterministic workflow tasks."""
    RECORDS = "records"
    """PostgreSQL writes of the case queue and the customer file (thread pool sized to the
    connection pool)."""
    SCREENING = "screening"
    """CPU-bound KYC checks: documents, sanctions screening, risk."""
    LEDGER = "ledger"
    """Ledger postings. Before the `records` queue existed, case and customer writes ran on
    a queue of this name; its worker still serves them for executions started then."""


QUEUE_NAMES: tuple[str, ...] = tuple(q.value for q in Queue)


class Activity(StrEnum):
    """Every activity name a workflow may call. Workflows call activities by these members
    only, and a test checks each one is registered by the workers (and nothing else is)."""

    # records queue
    OPEN_CASE = "open_case"
    RECORD_CASE_EVENT = "record_case_event"
    OPEN_CUSTOMER_ACCOUNT = "open_customer_account"
    FREEZE_CUSTOMER = "freeze_customer"
    # screening queue
    RUN_KYC_CHECKS = "run_kyc_checks"
    VERIFY_DOCUMENTS = "verify_documents"
    SCREEN_PARTY = "screen_party"
    ASSESS_RISK = "assess_risk"
    COMPUTE_LIST_DELTA = "compute_list_delta"
    RESCREEN_CUSTOMERS_PAGE = "rescreen_customers_page"


LEGACY_RECORDS_ACTIVITIES: tuple[Activity, ...] = (
    Activity.OPEN_CASE,
    Activity.RECORD_CASE_EVENT,
    Activity.OPEN_CUSTOMER_ACCOUNT,
    Activity.FREEZE_CUSTOMER,
)
"""Served on the `ledger` queue too, for executions whose input names it as their records
queue (started before the rename). Drop once none can still be running."""


class ClearwayError(Exception):
    """A business failure with a fixed meaning. Subclasses set the class attributes."""

    http_status: ClassVar[int] = 409
    code: ClassVar[str] = "conflict"
    retryable: ClassVar[bool] = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @classmethod
    def type_name(cls) -> str:
        return cls.__name__


class InvalidInput(ClearwayError):
    """Business input the code cannot act on (and retrying will not change)."""

    http_status, code = 422, "invalid_request"


class InvalidDocument(InvalidInput):
    code = "invalid_document"


class Forbidden(ClearwayError):
    http_status, code = 403, "forbidden"


class CaseNotFound(ClearwayError):
    http_status, code = 404, "not_found"


class CaseClosed(ClearwayError):
    http_status, code = 409, "case_closed"


class CaseConflict(ClearwayError):
    http_status, code = 409, "case_conflict"


class FourEyesViolation(ClearwayError):
    http_status, code = 409, "four_eyes_violation"


class DecisionNotSupported(ClearwayError):
    """A decision this kind of case does not take (e.g. request-information on a review).

    409, not 422: the body is valid by the published schema; what refuses it is the case
    it is sent to. A 422 means "breaks a rule of the schema" (the fuzzer holds us to it)."""

    http_status, code = 409, "decision_not_supported"


class NoInformationRequested(ClearwayError):
    http_status, code = 409, "case_closed"


class CustomerNotFound(ClearwayError):
    http_status, code = 404, "not_found"


class CustomerConflict(ClearwayError):
    http_status, code = 409, "customer_conflict"


class ListUnavailable(ClearwayError):
    """A stored list version cannot be read right now (disk, mount): retry."""

    http_status, code, retryable = 503, "list_unavailable", True


class ListChanged(ClearwayError):
    """A stored list's bytes no longer match the hash it was registered under."""

    http_status, code = 409, "list_changed"


class DeltaMismatch(ClearwayError):
    http_status, code = 409, "delta_mismatch"


def error_types() -> dict[str, type[ClearwayError]]:
    """Every error of the catalogue by its Temporal type name (all subclasses, so a
    capability that adds errors below needs no second registry)."""
    found: dict[str, type[ClearwayError]] = {}
    todo = list(ClearwayError.__subclasses__())
    while todo:
        cls = todo.pop()
        found[cls.type_name()] = cls
        todo.extend(cls.__subclasses__())
    return found


def non_retryable(*errors: type[ClearwayError]) -> list[str]:
    """Type names for a `RetryPolicy`: every non-retryable error of the catalogue, or of the
    given ones. Retryability is declared on the class, so policies cannot drift from it."""
    chosen = errors or tuple(error_types().values())
    return sorted(e.type_name() for e in chosen if not e.retryable)

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
    # ledger queue
    CREATE_TRANSFERS = "create_transfers"
    POST_DEPOSIT = "post_deposit"
    INGEST_CAMT054 = "ingest_camt054"
    EXPIRE_PENDING_TRANSFERS = "expire_pending_transfers"


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


# --- ledger -----------------------------------------------------------------------------
# One class per TigerBeetle-style result code: `code` is what a batch result and the API
# report, so a refused transfer reads the same in `create_transfers`, HTTP and Temporal.


class LedgerError(ClearwayError):
    """A transfer the ledger refused; nothing of it (or of its linked chain) was written."""

    http_status, code = 409, "ledger_error"


class AccountNotFound(LedgerError):
    http_status, code = 404, "account_not_found"


class AccountExists(LedgerError):
    http_status, code = 409, "account_exists_with_different_fields"


class InvalidAmount(LedgerError):
    """Zero, negative, more decimals than the currency's ISO 4217 exponent, or not a number."""

    http_status, code = 422, "invalid_amount"


class InvalidTransfer(LedgerError):
    """A transfer whose fields contradict each other (same account on both sides, a post
    without a pending id, a timeout on a single-phase transfer...)."""

    http_status, code = 422, "invalid_transfer"


class CurrencyMismatch(LedgerError):
    http_status, code = 422, "currency_mismatch"


class InsufficientFunds(LedgerError):
    """The debit would make the account's debits exceed its credits."""

    http_status, code = 409, "exceeds_credits"


class ExceedsDebits(LedgerError):
    """The credit would make the account's credits exceed its debits."""

    http_status, code = 409, "exceeds_debits"


class AccountClosed(LedgerError):
    http_status, code = 409, "account_closed"


class AccountFrozen(LedgerError):
    """The customer was frozen (re-screening): its accounts may receive but not send."""

    http_status, code = 409, "account_frozen"


class ExistsWithDifferentFields(LedgerError):
    """The transfer id was used before with other fields: never retried, never overwritten."""

    http_status, code = 409, "exists_with_different_fields"


class PendingTransferNotFound(LedgerError):
    http_status, code = 404, "pending_transfer_not_found"


class PendingTransferResolved(LedgerError):
    """The pending transfer was already posted, voided or expired (it resolves once)."""

    http_status, code = 409, "pending_transfer_already_resolved"


class PendingTransferExpired(LedgerError):
    http_status, code = 409, "pending_transfer_expired"


class PendingAmountExceeded(LedgerError):
    http_status, code = 422, "exceeds_pending_transfer_amount"


class LinkedEventFailed(LedgerError):
    """Another transfer of the same linked chain failed, so this one was not applied."""

    http_status, code = 409, "linked_event_failed"


class LinkedChainOpen(LedgerError):
    """The batch ended inside a linked chain (its last transfer had `linked: true`)."""

    http_status, code = 422, "linked_event_chain_open"


class LedgerContention(LedgerError):
    """A concurrent batch created the same transfer id first, or PostgreSQL broke a deadlock
    between two batches by aborting this one; nothing was written and a retry resolves it."""

    http_status, code, retryable = 503, "ledger_contention", True


class InvalidCamt054(LedgerError):
    """A camt.054 notification that is not well-formed XML or not valid against the XSD."""

    http_status, code = 422, "invalid_camt054"

"""Translate Temporal failures (refused updates, failed workflows) into the API's envelope."""

from __future__ import annotations

from temporalio.client import WorkflowFailureError, WorkflowUpdateFailedError
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.errors import ApiError, to_api_error
from clearway.contract import error_types


def catalogued(failure: ApplicationError) -> ApiError | None:
    """A typed failure (its type is a catalogue class name) as the status and code that
    class declares; None for a type the catalogue does not know."""
    known = error_types().get(failure.type or "")
    if known is None:
        return None
    return ApiError(known.http_status, known.code, failure.message)


def workflow_failure(exc: WorkflowFailureError) -> Exception:
    """The refusal a workflow failed with (directly or through its activity), as the
    envelope its catalogue class declares; anything else propagates unchanged."""
    cause: BaseException | None = exc.cause
    while isinstance(cause, ActivityError):
        cause = cause.cause
    if isinstance(cause, ApplicationError):
        return catalogued(cause) or exc
    return exc


def update_refusal(exc: Exception, subject: str) -> Exception:
    """Map a refused or failed update to the status its error declares in the catalogue
    (`clearway.contract`; the update validator raises them by type name), a finished
    workflow to 409/404, and an outage to 503; anything else propagates unchanged."""
    if isinstance(exc, WorkflowUpdateFailedError) and isinstance(exc.cause, ApplicationError):
        return catalogued(exc.cause) or ApiError(409, "conflict", exc.cause.message)
    if isinstance(exc, RPCError) and exc.status == RPCStatusCode.NOT_FOUND:
        if "completed" in exc.message.lower() or "closed" in exc.message.lower():
            return ApiError(409, "case_closed", f"{subject} is already closed")
        return ApiError(404, "not_found", f"{subject} not found")
    return to_api_error(exc) or exc

"""Translate Temporal failures of updates into the API's error envelope."""

from __future__ import annotations

from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.errors import ApiError, to_api_error
from clearway.contract import error_types


def update_refusal(exc: Exception, subject: str) -> Exception:
    """Map a refused or failed update to the status its error declares in the catalogue
    (`clearway.contract`; the update validator raises them by type name), a finished
    workflow to 409/404, and an outage to 503; anything else propagates unchanged."""
    if isinstance(exc, WorkflowUpdateFailedError) and isinstance(exc.cause, ApplicationError):
        known = error_types().get(exc.cause.type or "")
        if known is not None:
            return ApiError(known.http_status, known.code, exc.cause.message)
        return ApiError(409, "conflict", exc.cause.message)
    if isinstance(exc, RPCError) and exc.status == RPCStatusCode.NOT_FOUND:
        if "completed" in exc.message.lower() or "closed" in exc.message.lower():
            return ApiError(409, "case_closed", f"{subject} is already closed")
        return ApiError(404, "not_found", f"{subject} not found")
    return to_api_error(exc) or exc

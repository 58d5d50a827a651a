"""Translate Temporal failures of updates into the API's error envelope."""

from __future__ import annotations

from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.errors import ApiError

_STATUS = {
    "Forbidden": (403, "forbidden"),
    "CaseNotFound": (404, "not_found"),
    "CaseClosed": (409, "case_closed"),
    "FourEyesViolation": (409, "four_eyes_violation"),
}


def update_refusal(exc: Exception, subject: str) -> Exception:
    """Map a refused or failed update to 403/404/409; anything else propagates unchanged."""
    if isinstance(exc, WorkflowUpdateFailedError) and isinstance(exc.cause, ApplicationError):
        status, code = _STATUS.get(exc.cause.type or "", (409, "conflict"))
        return ApiError(status, code, exc.cause.message)
    if isinstance(exc, RPCError) and exc.status == RPCStatusCode.NOT_FOUND:
        if "completed" in exc.message.lower() or "closed" in exc.message.lower():
            return ApiError(409, "case_closed", f"{subject} is already closed")
        return ApiError(404, "not_found", f"{subject} not found")
    return exc

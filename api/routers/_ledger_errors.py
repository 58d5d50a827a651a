"""Catalogue errors (raised by the ledger store, or coming back from a workflow as a typed
ApplicationError) to the API's error envelope. Kept with the ledger routers until
`api/errors.py` maps `ClearwayError` for every router."""

from __future__ import annotations

from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ActivityError, ApplicationError

from api.errors import ApiError, ErrorDetail
from clearway.contract import ClearwayError, error_types


def api_error(exc: ClearwayError, field: str | None = None) -> ApiError:
    details = [ErrorDetail(field=field, message=exc.message, type=exc.code)] if field else []
    return ApiError(exc.http_status, exc.code, exc.message, details)


def workflow_failure(exc: WorkflowFailureError) -> Exception:
    """The refusal a workflow failed with, as the envelope its catalogue class declares."""
    cause: BaseException | None = exc.cause
    while isinstance(cause, ActivityError):
        cause = cause.cause
    if isinstance(cause, ApplicationError) and cause.type in error_types():
        cls = error_types()[cause.type]
        return ApiError(cls.http_status, cls.code, cause.message)
    return exc

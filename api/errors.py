"""One error envelope for every failure: `{"error": {"code", "message", "details"}}`.

Integrators branch on `code`, humans read `message`, and 422s list each offending field by
its JSON path so a portal can highlight it. Bad input is never a 500.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import (
    DisconnectionError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.service import RPCError, RPCStatusCode

from clearway.contract import ClearwayError
from clearway.logging import get_logger

log = get_logger(__name__)


class ErrorDetail(BaseModel):
    field: str | None = None
    message: str
    type: str | None = None


class ErrorBody(BaseModel):
    code: str
    message: str
    details: list[ErrorDetail] = []


class ErrorResponse(BaseModel):
    error: ErrorBody


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: list[ErrorDetail] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or []
        self.headers = headers


RETRY_AFTER_SECONDS = 5
"""What a 503 tells the client to wait: long enough for a restarted dependency to answer,
short enough that a portal retrying on its own recovers quickly."""

_UNAVAILABLE_RPC = frozenset(
    {
        RPCStatusCode.UNAVAILABLE,
        RPCStatusCode.DEADLINE_EXCEEDED,
        RPCStatusCode.CANCELLED,
        RPCStatusCode.RESOURCE_EXHAUSTED,
    }
)


def unavailable(dependency: str, message: str) -> ApiError:
    """A dependency outage: 503 in the envelope, with Retry-After, naming the dependency
    (never its address or the driver's message, which can quote a statement)."""
    return ApiError(
        503,
        f"{dependency}_unavailable",
        message,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def field_path(loc: tuple[int | str, ...] | list[int | str]) -> str:
    """Turn pydantic's ('body', 'documents', 0, 'mrz') into 'documents[0].mrz'. Parts that
    start with a capital letter name a member of a union (`MrzDocument`), not a field."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part[:1].isupper():
            continue
        else:
            out += f".{part}" if out else str(part)
    return out or "body"


def _envelope(status: int, code: str, message: str, details: list[ErrorDetail]) -> dict[str, Any]:
    return ErrorResponse(error=ErrorBody(code=code, message=message, details=details)).model_dump(
        mode="json"
    )


def error_response(exc: ApiError) -> JSONResponse:
    return JSONResponse(
        _envelope(exc.status, exc.code, exc.message, exc.details),
        status_code=exc.status,
        headers=exc.headers,
    )


def to_api_error(exc: BaseException) -> ApiError | None:
    """The envelope for an exception raised anywhere below a route, or None if unknown.

    Errors of the catalogue map by their class (status and code are declared there), so a
    capability that adds an error needs nothing here. Outages of Temporal or PostgreSQL
    are 503s: the request may succeed later, which is what Retry-After tells the client."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, ClearwayError):
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if exc.http_status == 503 else None
        return ApiError(exc.http_status, exc.code, exc.message, headers=headers)
    if isinstance(exc, RPCError) and exc.status in _UNAVAILABLE_RPC:
        return unavailable("temporal", "Temporal is not reachable; retry later")
    if isinstance(exc, RPCError) and exc.status == RPCStatusCode.NOT_FOUND:
        return ApiError(404, "not_found", "not found")
    if isinstance(exc, OperationalError | InterfaceError | DisconnectionError | PoolTimeout):
        return unavailable("database", "PostgreSQL is not reachable; retry later")
    if isinstance(exc, TimeoutError):
        return unavailable("dependency", "a dependency did not answer in time; retry later")
    return None


def field_error(exc: ClearwayError, field: str) -> ApiError:
    """A catalogue error that a route can pin to one request field (a 422 names it)."""
    detail = ErrorDetail(field=field, message=exc.message, type=exc.code)
    return ApiError(exc.http_status, exc.code, exc.message, [detail])


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(err.get("type") == "json_invalid" for err in errors):
            ctx = errors[0].get("ctx") or {}
            position = field_path(errors[0].get("loc", ())).strip("[]")
            message = f"the body is not valid JSON: {ctx.get('error', 'decode error')}"
            detail = ErrorDetail(field="body", message=f"{message} (position {position})")
            return error_response(ApiError(422, "invalid_json", message, [detail]))
        details = [
            ErrorDetail(
                field=field_path(err.get("loc", ())),
                message=str(err.get("msg", "invalid")),
                type=str(err.get("type")),
            )
            for err in errors
        ]
        summary = "; ".join(f"{d.field}: {d.message}" for d in details[:5])
        return JSONResponse(
            _envelope(422, "invalid_request", f"invalid request: {summary}", details),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and exc.detail == BODY_PARSE_ERROR:
            # FastAPI's answer to a body that is not UTF-8: still malformed JSON to a client.
            return error_response(
                ApiError(
                    422,
                    "invalid_json",
                    "the body is not valid JSON (not UTF-8 text)",
                    [ErrorDetail(field="body", message="not UTF-8 text")],
                )
            )
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(
            _envelope(exc.status_code, code, str(exc.detail), []),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    async def _mapped(request: Request, exc: Exception) -> JSONResponse:
        """Catalogue errors by their class; outages become 503s; anything else is a 500 in
        the envelope that says nothing about the cause (a driver's message can quote
        personal data)."""
        mapped = to_api_error(exc)
        if mapped is None:
            log.error("unhandled error", path=request.url.path, error=type(exc).__name__)
            return error_response(ApiError(500, "internal_error", "internal error"))
        if mapped.status == 503:
            log.warning(
                "dependency unavailable",
                path=request.url.path,
                code=mapped.code,
                error=type(exc).__name__,
            )
        return error_response(mapped)

    # Registered by class (not only under `Exception`) so Starlette's ExceptionMiddleware
    # answers them: the catch-all handler runs in ServerErrorMiddleware, which re-raises.
    for kind in (ClearwayError, RPCError, SQLAlchemyError, TimeoutError, Exception):
        app.add_exception_handler(kind, _mapped)


BODY_PARSE_ERROR = "There was an error parsing the body"

_DESCRIPTIONS = {
    400: "bad request",
    401: "missing or invalid bearer token",
    403: "the token's roles may not call this route",
    404: "not found (or not visible to this caller)",
    409: "conflicts with the current state",
    422: "invalid input: malformed JSON, or a field that breaks a rule of this schema",
    500: "internal error (the envelope says nothing more; the log has the error type)",
    503: "a dependency (PostgreSQL, Temporal) is unavailable or did not answer in time; "
    "retry after the number of seconds in Retry-After",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for error statuses, all with the envelope's schema."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        entry: dict[str, Any] = {"model": ErrorResponse, "description": _DESCRIPTIONS[status]}
        if status == 503:
            entry["headers"] = {
                "Retry-After": {
                    "description": "seconds to wait before retrying",
                    "schema": {"type": "integer"},
                }
            }
        if status == 401:
            entry["headers"] = {
                "WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}
            }
        out[status] = entry
    return out

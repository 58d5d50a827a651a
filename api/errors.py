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
from starlette.exceptions import HTTPException as StarletteHTTPException

from clearway.contract import ClearwayError


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


def field_path(loc: tuple[int | str, ...] | list[int | str]) -> str:
    """Turn pydantic's ('body', 'documents', 0, 'mrz') into 'documents[0].mrz'."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "body"


def _envelope(status: int, code: str, message: str, details: list[ErrorDetail]) -> dict[str, Any]:
    return ErrorResponse(error=ErrorBody(code=code, message=message, details=details)).model_dump(
        mode="json"
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ClearwayError)
    async def _business_error(_: Request, exc: ClearwayError) -> JSONResponse:
        """Domain stores raise the catalogue's errors; each class carries its status."""
        return JSONResponse(
            _envelope(exc.http_status, exc.code, exc.message, []), status_code=exc.http_status
        )

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(
            _envelope(exc.status, exc.code, exc.message, exc.details),
            status_code=exc.status,
            headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            ErrorDetail(
                field=field_path(err.get("loc", ())),
                message=str(err.get("msg", "invalid")),
                type=str(err.get("type")),
            )
            for err in exc.errors()
        ]
        summary = "; ".join(f"{d.field}: {d.message}" for d in details[:5])
        return JSONResponse(
            _envelope(422, "invalid_request", f"invalid request: {summary}", details),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(
            _envelope(exc.status_code, code, str(exc.detail), []),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

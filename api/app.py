"""FastAPI application factory. The lifespan owns the Temporal client and the DB engine.

Tests and `clearway up` pass explicit settings; the API never reads the environment itself
beyond `get_settings()` in `clearway api`.

Two ASGI middlewares guard every route, whoever wrote it: a request deadline (a dependency
that stops answering costs a client at most `api_request_timeout_seconds`, then a 503 with
Retry-After) and a refusal of control characters in the path and query string (no id,
filter or cursor of this API contains one, and PostgreSQL refuses NUL in text).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import unquote_to_bytes

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import (
    ApiError,
    ErrorDetail,
    error_response,
    error_responses,
    install_error_handlers,
    unavailable,
)
from api.metrics import ApiMetrics
from api.routers import accounts, audit, cases, codec, health, ledger, onboarding
from clearway.db import create_db_engine, session_factory
from clearway.logging import get_logger
from clearway.secrets import resolve_secrets
from clearway.settings import Settings
from clearway.temporal_client import build_codec, connect

log = get_logger(__name__)

DESCRIPTION = """Clearway: KYC/AML onboarding, compliance cases and audit on Temporal.

Every route needs a bearer JWT with a `roles` claim (`clearway token --role ROLE --sub NAME`).
Errors use one envelope: `{"error": {"code", "message", "details"}}`, and every route lists
each status it can answer. A 503 (PostgreSQL or Temporal unavailable, or no answer within
the request deadline) carries `Retry-After`. Text fields refuse control characters (the
`pattern` of each), dates are `YYYY-MM-DD` only, and malformed JSON is a 422.
"""


def _has_control_character(raw: bytes) -> bool:
    return any(b < 0x20 or b == 0x7F for b in raw)


class HostileInputGuard:
    """Refuse control characters in the path (404: no resource has such a name) and in the
    query string (422), before any route turns them into a database parameter."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope.get("raw_path") or scope["path"].encode("utf-8", "surrogateescape")
            if _has_control_character(unquote_to_bytes(path)):
                error = ApiError(
                    404, "not_found", "no resource has a control character in its path"
                )
                await error_response(error)(scope, receive, send)
                return
            query = unquote_to_bytes(scope.get("query_string", b"").replace(b"+", b" "))
            if _has_control_character(query):
                error = ApiError(
                    422,
                    "invalid_request",
                    "invalid request: the query string contains a control character",
                    [ErrorDetail(field="query", message="must not contain control characters")],
                )
                await error_response(error)(scope, receive, send)
                return
        await self.app(scope, receive, send)


class RequestDeadline:
    """Answer 503 (Retry-After) when a request has not started its response in time.

    The route runs as its own task and is abandoned, not awaited, on timeout: a route stuck
    in a thread on a paused PostgreSQL cannot be cancelled, and waiting for it is exactly
    the hang this exists to prevent. Whatever it sends later is dropped."""

    def __init__(self, app: ASGIApp, timeout: float) -> None:
        self.app = app
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False
        abandoned = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if abandoned:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        task = asyncio.ensure_future(self.app(scope, receive, guarded_send))
        try:
            done, _ = await asyncio.wait({task}, timeout=self.timeout)
        except asyncio.CancelledError:
            # The server gave up on this request (shutdown grace exceeded): tell the client
            # to retry rather than letting it see a bare 500 or a dropped connection.
            abandoned = True
            task.cancel()
            task.add_done_callback(_consume_result)
            if not started:
                error = unavailable("api", "the server is shutting down; retry later")
                with contextlib.suppress(Exception):
                    await error_response(error)(scope, receive, send)
            raise
        if task in done:
            task.result()
            return
        if started:
            # Streaming already began: only the route can finish it.
            await task
            return
        abandoned = True
        task.cancel()
        task.add_done_callback(_consume_result)
        log.warning("request deadline exceeded", path=scope.get("path"), timeout=self.timeout)
        error = unavailable("dependency", "the request did not complete in time; retry later")
        await error_response(error)(scope, receive, send)


def _consume_result(task: asyncio.Future[Any]) -> None:
    with contextlib.suppress(BaseException):
        task.result()


PARAMETER_PATTERN = r"^[^\x00-\x1f\x7f]*$"
"""What HostileInputGuard enforces on every path and query parameter, as a JSON-schema
`pattern` (parameters with a stricter pattern, an enum or a format already imply it)."""


def _document_parameter_rule(app: FastAPI) -> None:
    """State the guard's rule in the OpenAPI document of every string parameter, so the
    document stays the contract for routes whose parameters declare no pattern."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        document = generate()
        for path_item in document.get("paths", {}).values():
            for operation in path_item.values():
                for parameter in operation.get("parameters", []):
                    schema = parameter.get("schema", {})
                    for variant in schema.get("anyOf", [schema]):
                        if variant.get("type") == "string" and not (
                            {"pattern", "enum", "format", "const"} & variant.keys()
                        ):
                            variant["pattern"] = PARAMETER_PATTERN
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.secrets = resolve_secrets(settings)
        app.state.codec = build_codec(settings)
        app.state.temporal = await connect(settings)
        app.state.engine = create_db_engine(settings)
        app.state.sessions = session_factory(app.state.engine)
        try:
            yield
        finally:
            app.state.engine.dispose()

    app = FastAPI(
        title="Clearway API",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=[
            f"http://localhost:{settings.temporal_ui_port}",
            f"http://127.0.0.1:{settings.temporal_ui_port}",
            "http://localhost:8080",
        ],
        allow_methods=["POST", "GET"],
        allow_headers=["Authorization", "Content-Type", "X-Namespace"],
        allow_credentials=True,
    )
    app.add_middleware(RequestDeadline, timeout=settings.api_request_timeout_seconds)
    app.add_middleware(HostileInputGuard)
    install_error_handlers(app)
    app.state.metrics = ApiMetrics()
    app.state.metrics.install(app)
    app.include_router(health.router)
    # Statuses every authenticated route can answer; routes add their own (404, 409, ...).
    common = error_responses(401, 403, 422, 500, 503)
    for router in (
        onboarding.router,
        cases.router,
        audit.router,
        codec.router,
        accounts.router,
        ledger.router,
    ):
        app.include_router(router, responses=common)
    _document_parameter_rule(app)
    return app

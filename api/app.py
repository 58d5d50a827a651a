"""FastAPI application factory. The lifespan owns the Temporal client and the DB engine.

Tests and `clearway up` pass explicit settings; the API never reads the environment itself
beyond `get_settings()` in `clearway api`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from api.errors import ErrorResponse, install_error_handlers
from api.metrics import ApiMetrics
from api.routers import accounts, audit, cases, codec, health, ledger, onboarding
from clearway.db import create_db_engine, session_factory
from clearway.secrets import resolve_secrets
from clearway.settings import Settings
from clearway.temporal_client import build_codec, connect

DESCRIPTION = """Clearway: KYC/AML onboarding, compliance cases and audit on Temporal.

Every route needs a bearer JWT with a `roles` claim (`clearway token --role ROLE --sub NAME`).
Errors use one envelope: `{"error": {"code", "message", "details"}}`.
"""


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
        responses={
            401: {"model": ErrorResponse, "description": "missing or invalid token"},
            403: {"model": ErrorResponse, "description": "role not allowed"},
            422: {"model": ErrorResponse, "description": "invalid input, field by field"},
        },
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
    install_error_handlers(app)
    app.state.metrics = ApiMetrics()
    app.state.metrics.install(app)
    for router in (
        health.router,
        onboarding.router,
        cases.router,
        audit.router,
        codec.router,
        accounts.router,
        ledger.router,
    ):
        app.include_router(router)
    return app

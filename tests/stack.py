"""A whole Clearway stack for one test: API (in-process ASGI) → Temporal → worker → DB."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import Engine
from temporalio.client import Client

from api.app import create_app
from api.auth import mint_token
from clearway.db import create_db_engine
from clearway.settings import Settings
from clearway.temporal_client import connect
from workers.main import build_workers


@dataclass
class Stack:
    settings: Settings
    http: httpx.AsyncClient
    client: Client
    engine: Engine

    def token(self, *roles: str, sub: str = "tester") -> dict[str, str]:
        value = mint_token(
            self.settings.jwt_secret.get_secret_value(),  # type: ignore[union-attr]
            subject=sub,
            roles=list(roles),
            issuer=self.settings.jwt_issuer,
            audience=self.settings.jwt_audience,
            ttl=dt.timedelta(minutes=10),
        )
        return {"Authorization": f"Bearer {value}"}

    async def wait_status(
        self, application_id: str, statuses: set[str], limit_s: float = 30.0
    ) -> dict[str, Any]:
        """Poll the public status endpoint, as a portal would, until a wanted status."""
        headers = self.token("officer", sub="poller")
        async with asyncio.timeout(limit_s):
            while True:
                resp = await self.http.get(f"/v1/onboarding/{application_id}", headers=headers)
                if resp.status_code == 200 and resp.json()["status"] in statuses:
                    body: dict[str, Any] = resp.json()
                    return body
                await asyncio.sleep(0.1)


@asynccontextmanager
async def running_stack(settings: Settings) -> AsyncIterator[Stack]:
    client = await connect(settings)
    engine = create_db_engine(settings)
    workers = build_workers(client, settings, engine)
    worker_task = asyncio.create_task(workers.run())
    app = create_app(settings)
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://clearway") as http:
                yield Stack(settings=settings, http=http, client=client, engine=engine)
    finally:
        await workers.shutdown()
        await asyncio.gather(worker_task, return_exceptions=True)
        engine.dispose()

"""Operators scrape Prometheus metrics: SDK + business metrics from the worker's runtime, and
HTTP metrics from the API (admin role). No identifiers or personal data in label values."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest_asyncio
from prometheus_client.parser import text_string_to_metric_families

from clearway.settings import Settings
from tests.factories import application
from tests.ports import free_port
from tests.stack import Stack, running_stack


@pytest_asyncio.fixture
async def stack(settings: Settings) -> AsyncIterator[Stack]:
    with_metrics = settings.model_copy(update={"metrics_port": free_port()})
    async with running_stack(with_metrics) as s:
        yield s


async def test_worker_and_api_metrics(stack: Stack) -> None:
    body = application()
    resp = await stack.http.post("/v1/onboarding", json=body, headers=stack.token("portal"))
    assert resp.status_code == 202
    await stack.wait_status(body["application_id"], {"approved"})

    url = f"http://127.0.0.1:{stack.settings.metrics_port}/metrics"
    async with httpx.AsyncClient() as http, asyncio.timeout(20):
        while True:  # the runtime exports on its own schedule
            text = (await http.get(url)).text
            if "clearway_onboarding_decisions" in text:
                break
            await asyncio.sleep(0.2)
    decided = [ln for ln in text.splitlines() if ln.startswith("clearway_onboarding_decisions")]
    assert any('outcome="approved"' in ln and 'automatic="true"' in ln for ln in decided)
    assert "temporal_workflow_completed" in text
    assert body["application_id"] not in text and "Lindqvist" not in text

    scraped = await stack.http.get("/metrics", headers=stack.token("admin"))
    assert scraped.status_code == 200
    samples = [
        s.labels
        for family in text_string_to_metric_families(scraped.text)
        for s in family.samples
        if s.name == "clearway_http_requests_total"
    ]
    assert {"route": "/v1/onboarding", "method": "POST", "status": "202"} in samples
    assert {"route": "/v1/onboarding/{application_id}", "method": "GET", "status": "200"} in (
        samples
    )
    assert body["application_id"] not in scraped.text, "labels use route templates"
    assert (await stack.http.get("/metrics", headers=stack.token("portal"))).status_code == 403

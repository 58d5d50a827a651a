"""Auditors read decoded histories and prove replay; everyone else sees ciphertext."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator

import httpx
import pytest_asyncio
from temporalio.api.history.v1 import History
from temporalio.client import Client

from api.app import create_app
from clearway.contract import QUEUE_NAMES
from clearway.settings import Settings
from tests.factories import application
from tests.stack import Stack, running_stack


@pytest_asyncio.fixture
async def stack(settings: Settings) -> AsyncIterator[Stack]:
    async with running_stack(settings) as s:
        yield s


async def _approved(stack: Stack) -> tuple[str, dict[str, object]]:
    body = application(given_names="Maja", surname="Holmberg")
    resp = await stack.http.post("/v1/onboarding", json=body, headers=stack.token("portal"))
    assert resp.status_code == 202, resp.text
    await stack.wait_status(body["application_id"], {"approved"})
    return f"onboarding-{body['application_id']}", body


async def test_history_is_encrypted_at_rest_and_decoded_for_auditors(stack: Stack) -> None:
    workflow_id, _ = await _approved(stack)

    # Straight from Temporal, without the codec: no personal data in any payload.
    raw_client = await Client.connect(stack.client.service_client.config.target_host)
    raw = await raw_client.get_workflow_handle(workflow_id).fetch_history()
    raw_bytes = History(events=raw.events).SerializeToString()
    for secret in (b"Holmberg", b"HOLMBERG", b"applicant@example.com", b"Storgatan"):
        assert secret not in raw_bytes, f"{secret!r} leaked into Temporal history"
    assert b"binary/encrypted" in raw_bytes

    resp = await stack.http.get(
        f"/v1/audit/workflows/{workflow_id}/history", headers=stack.token("auditor", sub="audrey")
    )
    assert resp.status_code == 200, resp.text
    history = resp.json()
    assert history["status"] == "COMPLETED"
    events = history["events"]
    started = events[0]["workflowExecutionStartedEventAttributes"]
    [inp] = started["input"]
    assert inp["application"]["applicant"]["surname"] == "Holmberg"
    scheduled = [
        e["activityTaskScheduledEventAttributes"]["activityType"]["name"]
        for e in events
        if "activityTaskScheduledEventAttributes" in e
    ]
    assert scheduled == ["run_kyc_checks", "open_customer_account"]
    completed = [
        e["activityTaskCompletedEventAttributes"]["result"][0]
        for e in events
        if "activityTaskCompletedEventAttributes" in e
    ]
    checks = completed[0]
    assert checks["documents"]["passed"] is True
    assert checks["screening"]["matcher_version"], "screening names the matcher version"
    assert {v["source"] for v in checks["screening"]["lists"]} >= {"ofac_sdn", "un_sc"}
    assert checks["risk"]["model_version"]


async def test_replay_endpoint_proves_determinism(stack: Stack) -> None:
    workflow_id, _ = await _approved(stack)
    resp = await stack.http.get(
        f"/v1/audit/workflows/{workflow_id}/replay", headers=stack.token("auditor")
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["deterministic"] is True
    assert resp.json()["error"] is None
    missing = await stack.http.get(
        "/v1/audit/workflows/onboarding-nope/replay", headers=stack.token("auditor")
    )
    assert missing.status_code == 404


async def test_codec_endpoint_round_trip_and_roles(stack: Stack) -> None:
    plain = {
        "payloads": [
            {
                "metadata": {"encoding": base64.b64encode(b"json/plain").decode()},
                "data": base64.b64encode(b'{"name":"Maja"}').decode(),
            }
        ]
    }
    auditor = stack.token("auditor")
    enc = await stack.http.post("/codec/encode", json=plain, headers=auditor)
    assert enc.status_code == 200
    encoded = enc.json()["payloads"][0]
    assert base64.b64decode(encoded["metadata"]["encoding"]) == b"binary/encrypted"
    assert b"Maja" not in base64.b64decode(encoded["data"])
    dec = await stack.http.post("/codec/decode", json=enc.json(), headers=auditor)
    assert dec.json() == plain

    empty = await stack.http.post("/codec/decode", json={"payloads": []}, headers=auditor)
    assert empty.status_code == 200 and empty.json() == {"payloads": []}
    empty = await stack.http.post("/codec/encode", json={"payloads": []}, headers=auditor)
    assert empty.status_code == 200 and empty.json() == {"payloads": []}
    tampered = json.loads(json.dumps(enc.json()))
    raw = bytearray(base64.b64decode(tampered["payloads"][0]["data"]))
    raw[-1] ^= 1
    tampered["payloads"][0]["data"] = base64.b64encode(bytes(raw)).decode()
    refused = await stack.http.post("/codec/decode", json=tampered, headers=auditor)
    assert refused.status_code == 422
    assert "fails authentication" in refused.json()["error"]["message"]

    officer = await stack.http.post(
        "/codec/decode", json=enc.json(), headers=stack.token("officer")
    )
    assert officer.status_code == 403


async def test_readyz_reports_every_dependency(stack: Stack) -> None:
    # Workers register their pollers shortly after they start; an orchestrator polls
    # readiness the same way.
    async with asyncio.timeout(15):
        while (ready := await stack.http.get("/readyz")).status_code != 200:
            assert ready.status_code == 503, ready.text
            await asyncio.sleep(0.2)
    checks = ready.json()["checks"]
    assert checks["postgresql"] == "ok" and checks["temporal"] == "ok"
    assert sum(k.startswith("worker:") for k in checks) == len(QUEUE_NAMES)
    assert (await stack.http.get("/healthz")).json() == {"status": "ok"}


async def test_readyz_is_503_without_workers(settings: Settings) -> None:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://clearway") as http:
            resp = await http.get("/readyz")
    assert resp.status_code == 503
    body = resp.json()
    assert body["status"] == "not_ready"
    assert body["checks"]["postgresql"] == "ok" and body["checks"]["temporal"] == "ok"
    assert body["checks"][f"worker:{settings.queue('records')}"] == "no poller"

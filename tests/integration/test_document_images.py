"""Scans go API → PostgreSQL (claim check) → workflow carries a hash → activity OCRs it."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from sqlalchemy import select
from sqlalchemy.orm import Session
from temporalio.api.history.v1 import History

from clearway.settings import Settings
from domain.documents.ocr import tesseract_available
from domain.documents.synthetic import Degradation, mrz_font_path, render_document
from models.tables import DocumentImage
from tests.factories import application, passport_mrz
from tests.stack import Stack, running_stack

pytestmark = pytest.mark.skipif(
    not tesseract_available() or mrz_font_path() is None,
    reason="tesseract or the OCR-B font is missing (scripts/system-deps.sh installs them)",
)


@pytest_asyncio.fixture
async def stack(settings: Settings) -> AsyncIterator[Stack]:
    async with running_stack(settings) as s:
        yield s


async def test_passport_scan_is_stored_once_and_read_by_ocr(stack: Stack) -> None:
    mrz = passport_mrz(
        surname="Mueller",
        given_names="Karl Heinz",
        dob=dt.date(1964, 8, 12),
        nationality3="D<<",
        number="C01X00T47",
        expiry=dt.date(2030, 10, 31),
        sex="M",
    )
    scan = render_document(mrz, degradation=Degradation(1.0))
    body = application(
        given_names="Karl-Heinz",
        surname="Müller",
        dob=dt.date(1964, 8, 12),
        nationality="DE",
        country="DE",
    )
    body["documents"] = [{"kind": "passport", "image_base64": base64.b64encode(scan).decode()}]
    resp = await stack.http.post("/v1/onboarding", json=body, headers=stack.token("portal"))
    assert resp.status_code == 202, resp.text
    state = await stack.wait_status(body["application_id"], {"approved", "pending_review"})

    assert state["status"] == "approved", state["documents"]
    [check] = state["documents"]["documents"]
    assert check["source"] == "image"
    assert check["mrz"]["document_number"] == "C01X00T47"

    with Session(stack.engine) as db:
        [stored] = db.scalars(
            select(DocumentImage).where(DocumentImage.application_id == body["application_id"])
        ).all()
    assert stored.image_id == hashlib.sha256(scan).hexdigest()
    assert stored.content == scan and stored.media_type == "image/png"

    handle = stack.client.get_workflow_handle(f"onboarding-{body['application_id']}")
    history = await handle.fetch_history()
    size = len(History(events=history.events).SerializeToString())
    assert size < len(scan), "the scan itself never enters Temporal history"


async def test_client_cannot_send_image_refs_or_broken_images(stack: Stack) -> None:
    portal = stack.token("portal")
    body = application()
    body["documents"] = [{"kind": "passport", "image_ref": "a" * 64}]
    resp = await stack.http.post("/v1/onboarding", json=body, headers=portal)
    assert resp.status_code == 422
    fields = {d["field"] for d in resp.json()["error"]["details"]}
    assert "documents[0].image_ref" in fields

    body["documents"] = [{"kind": "passport", "image_base64": "not base64!"}]
    resp = await stack.http.post("/v1/onboarding", json=body, headers=portal)
    assert resp.status_code == 422
    assert resp.json()["error"]["details"][0]["message"] == "not valid base64"

    gif = base64.b64encode(b"GIF89a....").decode()
    body["documents"] = [{"kind": "passport", "image_base64": gif}]
    resp = await stack.http.post("/v1/onboarding", json=body, headers=portal)
    assert resp.status_code == 422
    assert "PNG or JPEG" in resp.json()["error"]["message"]

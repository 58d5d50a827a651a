"""End to end through the real path: HTTP API → Temporal → worker → activities → PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
from sqlalchemy import select
from sqlalchemy.orm import Session

from clearway.settings import Settings
from models.tables import Account, Case, CaseEvent, Customer
from tests.factories import application, break_check_digit
from tests.recording import record_history
from tests.stack import Stack, running_stack

# A real entry of the OFAC SDN list (ent_num 2676): "AL ZAWAHIRI, Dr. Ayman", DOB 19 Jun 1951.
LISTED = {
    "given_names": "Ayman",
    "surname": "Al Zawahiri",
    "dob": dt.date(1951, 6, 19),
    "nationality": "EG",
    "nationality3": "EGY",
    "sex": "M",
    "country": "EG",
}


@pytest_asyncio.fixture
async def stack(settings: Settings) -> AsyncIterator[Stack]:
    async with running_stack(settings) as s:
        yield s


async def submit(stack: Stack, body: dict[str, Any]) -> str:
    resp = await stack.http.post("/v1/onboarding", json=body, headers=stack.token("portal"))
    assert resp.status_code == 202, resp.text
    assert resp.json()["workflow_id"] == f"onboarding-{body['application_id']}"
    return str(body["application_id"])


async def decide(stack: Stack, case_id: str, decision: str, *, sub: str, role: str) -> Any:
    return await stack.http.post(
        f"/v1/cases/{case_id}/decision",
        json={"decision": decision, "reason": f"{decision} after review by {sub}"},
        headers=stack.token(role, sub=sub),
    )


async def test_clean_applicant_is_approved_with_an_account(stack: Stack) -> None:
    app_id = await submit(stack, application(currency="SEK"))
    state = await stack.wait_status(app_id, {"approved", "rejected", "pending_review"})

    assert state["status"] == "approved", state
    assert state["decision"]["automatic"] is True
    assert state["screening"]["hits"] == []
    assert state["screening"]["lists"], "the lists screened against are recorded"
    assert state["risk"]["outcome"] == "approve"
    assert state["documents"]["passed"] is True
    [account] = state["accounts"]
    assert account["currency"] == "SEK"
    with Session(stack.engine) as db:
        customer = db.get(Customer, state["customer_id"])
        assert customer is not None and customer.application_id == app_id
        row = db.get(Account, account["account_id"])
        assert row is not None and row.customer_id == customer.customer_id
        assert row.posted_balance == 0 and row.currency == "SEK"
    await record_history(stack.client, f"onboarding-{app_id}", "onboarding_auto_approved_v2")


async def test_listed_name_is_referred_and_needs_four_eyes(stack: Stack) -> None:
    app_id = await submit(stack, application(**LISTED))
    state = await stack.wait_status(app_id, {"pending_review", "approved", "rejected"})
    assert state["status"] == "pending_review", state
    hits = state["screening"]["hits"]
    assert any(h["source"] == "ofac_sdn" and h["source_id"] == "2676" for h in hits), hits
    case_id = state["case_id"]

    queue = await stack.http.get("/v1/cases", headers=stack.token("officer", sub="alice"))
    assert queue.status_code == 200
    [item] = [c for c in queue.json()["items"] if c["case_id"] == case_id]
    assert item["workflow_id"] == f"onboarding-{app_id}-case", "reviewed by a child workflow"
    assert item["subject"] == app_id
    assert item["required_approvals"] == 2, "a strong sanctions match is high risk"
    assert any(r["code"].startswith("SCREENING") for r in item["reasons"])

    first = await decide(stack, case_id, "approve", sub="alice", role="officer")
    assert first.status_code == 200, first.text
    assert [a["actor"] for a in first.json()["approvals"]] == ["alice"]

    again = await decide(stack, case_id, "approve", sub="alice", role="officer")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "four_eyes_violation"
    assert "cannot approve a case twice" in again.json()["error"]["message"]

    junior = await decide(stack, case_id, "approve", sub="bob", role="officer")
    assert junior.status_code == 409, "the second approval of a high-risk case must be senior"

    senior = await decide(stack, case_id, "approve", sub="carol", role="senior_officer")
    assert senior.status_code == 200, senior.text
    assert senior.json()["status"] == "closed"
    assert senior.json()["decision"] == "approved"

    state = await stack.wait_status(app_id, {"approved"})
    assert [d["actor"] for d in state["decision"]["officer_decisions"]] == ["alice", "carol"]
    assert state["customer_id"]

    closed = await decide(stack, case_id, "reject", sub="dave", role="senior_officer")
    assert closed.status_code == 409
    assert closed.json()["error"]["code"] == "case_closed"

    with Session(stack.engine) as db:
        assert db.get(Customer, state["customer_id"]) is not None
        events = db.scalars(
            select(CaseEvent.event).where(CaseEvent.case_id == case_id).order_by(CaseEvent.event_id)
        ).all()
    assert events[0] == "opened"
    assert events.count("decision_refused") == 3, "refused updates are audited in the DB"
    assert "approved" in events and events[-1] in ("closed", "decision_refused")
    await record_history(stack.client, f"onboarding-{app_id}", "onboarding_four_eyes_approved_v2")
    await record_history(stack.client, f"onboarding-{app_id}-case", "case_review_four_eyes_v2")


async def test_referred_case_rejected_by_officer(stack: Stack) -> None:
    body = application(**LISTED)
    app_id = await submit(stack, body)
    state = await stack.wait_status(app_id, {"pending_review"})
    resp = await decide(stack, state["case_id"], "reject", sub="alice", role="officer")
    assert resp.status_code == 200, resp.text
    assert resp.json()["decision"] == "rejected"
    state = await stack.wait_status(app_id, {"rejected"})
    assert state["decision"]["automatic"] is False
    assert state["customer_id"] is None and state["accounts"] == []
    with Session(stack.engine) as db:
        assert db.scalars(select(Customer).where(Customer.application_id == app_id)).first() is None
        case = db.get(Case, state["case_id"])
        assert case is not None and case.status == "closed" and case.decision == "rejected"
    await record_history(stack.client, f"onboarding-{app_id}", "onboarding_officer_rejected_v2")


async def test_wrong_mrz_check_digit_is_referred_with_a_reason(stack: Stack) -> None:
    body = application()
    body["documents"][0]["mrz"] = break_check_digit(body["documents"][0]["mrz"])
    app_id = await submit(stack, body)
    state = await stack.wait_status(app_id, {"pending_review", "approved", "rejected"})
    assert state["status"] == "pending_review"
    codes = {f["code"] for f in state["documents"]["findings"]}
    assert "MRZ_CHECK_DIGIT_DOCUMENT_NUMBER" in codes, codes
    assert state["documents"]["passed"] is False
    assert any(r["code"] == "DOCUMENT_REFERRAL" for r in state["risk"]["reasons"])


async def test_request_information_then_approve(stack: Stack) -> None:
    body = application()
    good_mrz = body["documents"][0]["mrz"]
    body["documents"][0]["mrz"] = break_check_digit(good_mrz)
    app_id = await submit(stack, body)
    state = await stack.wait_status(app_id, {"pending_review"})
    case_id = state["case_id"]

    asked = await decide(stack, case_id, "request_information", sub="alice", role="officer")
    assert asked.status_code == 200, asked.text
    assert asked.json()["status"] == "awaiting_information"
    await stack.wait_status(app_id, {"needs_information"})

    portal = stack.token("portal")
    resp = await stack.http.post(
        f"/v1/onboarding/{app_id}/information",
        json={"documents": [{"kind": "passport", "mrz": good_mrz}], "note": "rescanned"},
        headers=portal,
    )
    assert resp.status_code == 200, resp.text
    state = await stack.wait_status(app_id, {"pending_review"})
    assert state["documents"]["passed"] is True

    again = await stack.http.post(
        f"/v1/onboarding/{app_id}/information",
        json={"documents": [{"kind": "passport", "mrz": good_mrz}]},
        headers=portal,
    )
    assert again.status_code == 409, "information is only accepted when it was requested"

    approved = await decide(stack, case_id, "approve", sub="bob", role="officer")
    assert approved.status_code == 200, approved.text
    state = await stack.wait_status(app_id, {"approved"})
    assert state["customer_id"]
    assert [d["decision"] for d in state["officer_decisions"]] == [
        "request_information",
        "approve",
    ], "both review rounds' decisions reach the onboarding record"
    await record_history(stack.client, f"onboarding-{app_id}", "onboarding_information_approved_v2")
    await record_history(stack.client, f"onboarding-{app_id}-case", "case_review_reopened_v2")


async def test_duplicate_application_id(stack: Stack) -> None:
    body = application()
    app_id = await submit(stack, body)
    await stack.wait_status(app_id, {"approved"})
    portal = stack.token("portal")

    same = await stack.http.post("/v1/onboarding", json=body, headers=portal)
    assert same.status_code == 200, same.text
    assert same.json()["workflow_id"] == f"onboarding-{app_id}"
    assert same.json()["status"] == "approved"

    changed = json.loads(json.dumps(body))
    changed["applicant"]["email"] = "someone-else@example.com"
    conflict = await stack.http.post("/v1/onboarding", json=changed, headers=portal)
    assert conflict.status_code == 409
    assert conflict.json()["error"]["code"] == "conflict"
    with Session(stack.engine) as db:
        assert len(db.scalars(select(Customer).where(Customer.application_id == app_id)).all()) == 1


async def test_auth_roles_and_validation_errors(stack: Stack) -> None:
    body = application()
    no_token = await stack.http.post("/v1/onboarding", json=body)
    assert no_token.status_code == 401
    assert no_token.json()["error"]["code"] == "unauthorized"

    bad_token = await stack.http.post(
        "/v1/onboarding", json=body, headers={"Authorization": "Bearer not-a-jwt"}
    )
    assert bad_token.status_code == 401

    wrong_role = await stack.http.post("/v1/onboarding", json=body, headers=stack.token("officer"))
    assert wrong_role.status_code == 403
    assert "portal" in wrong_role.json()["error"]["message"]

    officer_only = await stack.http.get("/v1/cases", headers=stack.token("portal"))
    assert officer_only.status_code == 403
    auditor_only = await stack.http.get(
        "/v1/audit/workflows/onboarding-x/history", headers=stack.token("officer")
    )
    assert auditor_only.status_code == 403

    portal = stack.token("portal")
    missing = json.loads(json.dumps(body))
    del missing["applicant"]["date_of_birth"]
    resp = await stack.http.post("/v1/onboarding", json=missing, headers=portal)
    assert resp.status_code == 422
    fields = [d["field"] for d in resp.json()["error"]["details"]]
    assert fields == ["applicant.date_of_birth"]

    bad_country = json.loads(json.dumps(body))
    bad_country["applicant"]["nationality"] = "XX"
    resp = await stack.http.post("/v1/onboarding", json=bad_country, headers=portal)
    assert resp.status_code == 422
    assert resp.json()["error"]["details"][0]["field"] == "applicant.nationality"
    assert "ISO 3166-1" in resp.json()["error"]["message"]

    short_mrz = json.loads(json.dumps(body))
    short_mrz["documents"][0]["mrz"] = "P<SWELINDQVIST<<LENA\nX4R7K29P1"
    resp = await stack.http.post("/v1/onboarding", json=short_mrz, headers=portal)
    assert resp.status_code == 422
    assert resp.json()["error"]["details"][0]["field"] == "documents[0].mrz"

    bad_id = json.loads(json.dumps(body))
    bad_id["application_id"] = "has spaces/and slashes"
    resp = await stack.http.post("/v1/onboarding", json=bad_id, headers=portal)
    assert resp.status_code == 422
    assert resp.json()["error"]["details"][0]["field"] == "application_id"

    unknown = await stack.http.get("/v1/onboarding/app-does-not-exist", headers=portal)
    assert unknown.status_code == 404

    bad_decision = await stack.http.post(
        "/v1/cases/case-x/decision",
        json={"decision": "maybe", "reason": "x"},
        headers=stack.token("officer"),
    )
    assert bad_decision.status_code == 422
    assert {d["field"] for d in bad_decision.json()["error"]["details"]} == {"decision", "reason"}


async def test_a_portal_sees_only_its_own_applications(stack: Stack) -> None:
    body = application()
    app_id = await submit(stack, body)  # submitted by portal subject "tester"
    await stack.wait_status(app_id, {"approved"})
    other = stack.token("portal", sub="other-portal")
    peek = await stack.http.get(f"/v1/onboarding/{app_id}", headers=other)
    assert peek.status_code == 404, "another portal's application looks like no application"
    reuse = await stack.http.post("/v1/onboarding", json=body, headers=other)
    assert reuse.status_code == 409, "the same id and body from another portal is a conflict"
    own = await stack.http.get(f"/v1/onboarding/{app_id}", headers=stack.token("portal"))
    assert own.status_code == 200


async def test_portal_view_hides_screening_and_risk(stack: Stack) -> None:
    app_id = await submit(stack, application(**LISTED))
    await stack.wait_status(app_id, {"pending_review"})
    resp = await stack.http.get(f"/v1/onboarding/{app_id}", headers=stack.token("portal"))
    assert resp.status_code == 200
    body = resp.json()
    assert body["status"] == "pending_review"
    assert body["screening"] is None and body["risk"] is None
    officer = await stack.http.get(f"/v1/onboarding/{app_id}", headers=stack.token("officer"))
    assert officer.json()["screening"]["hits"], "officers see the hits"

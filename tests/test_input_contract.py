"""Hostile input: every rule is in the OpenAPI document, and the code applies exactly it.

Regression tests for issue 8: NUL bytes used to pass validation and then fail every retry
of the activity writing them (a case stuck for good, a decision that hung); integers were
taken as dates of birth (1 January 1970); malformed JSON answered 400 outside the envelope;
`GET /v1/cases/%00` answered 500. The stack tests run API → Temporal → worker → PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError
from temporalio.service import RPCError, RPCStatusCode

from api.app import create_app
from clearway.settings import Settings
from domain.documents.store import MAX_IMAGE_BYTES as STORE_MAX_IMAGE_BYTES
from models.cases import DecisionRequest
from models.common import LINE_PATTERN, MULTILINE_PATTERN, IsoDate, Name, Reason
from models.onboarding import MAX_IMAGE_BYTES, OnboardingRequest
from tests.factories import application
from tests.stack import Stack, running_stack

LISTED = {
    "given_names": "Ayman",
    "surname": "Al Zawahiri",
    "dob": dt.date(1951, 6, 19),
    "nationality": "EG",
    "nationality3": "EGY",
    "sex": "M",
    "country": "EG",
}


def _errors(exc: ValidationError) -> list[tuple[tuple[Any, ...], str]]:
    return [(tuple(e["loc"]), e["type"]) for e in exc.errors()]


# --- the models -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("applicant", "given_names"), "Lena\x00Sofia"),
        (("applicant", "surname"), "Lind\x1bqvist"),
        (("applicant", "address", "line1"), "Storgatan 1\x00"),
        (("applicant", "address", "city"), "Stock\u0085holm"),
        (("applicant", "given_names"), "Lena\nSofia"),
    ],
)
def test_control_characters_are_refused_by_field(path: tuple[str, ...], value: str) -> None:
    body = application()
    target = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(ValidationError) as info:
        OnboardingRequest.model_validate_json(json.dumps(body))
    assert _errors(info.value) == [(path, "control_character")]


def test_a_decision_reason_refuses_nul_but_keeps_line_breaks() -> None:
    with pytest.raises(ValidationError) as info:
        DecisionRequest.model_validate({"decision": "approve", "reason": "ok\x00 fine"})
    assert _errors(info.value) == [(("reason",), "control_character")]
    ok = DecisionRequest.model_validate({"decision": "approve", "reason": "line 1\nline 2"})
    assert ok.reason == "line 1\nline 2"


@pytest.mark.parametrize("value", [0, 86400, "0", "86400", 0.0, "1988-3-9", "19880309", True])
def test_dates_are_iso_8601_only(value: object) -> None:
    body = application()
    body["applicant"]["date_of_birth"] = value
    with pytest.raises(ValidationError) as info:
        OnboardingRequest.model_validate_json(json.dumps(body))
    assert _errors(info.value) == [(("applicant", "date_of_birth"), "iso_date")]


def test_an_iso_date_is_a_date() -> None:
    assert TypeAdapter(IsoDate).validate_json('"1988-03-09"') == dt.date(1988, 3, 9)
    with pytest.raises(ValidationError):
        TypeAdapter(IsoDate).validate_json('"1988-02-30"')


def test_a_document_is_exactly_one_of_the_two_forms() -> None:
    body = application()
    mrz = body["documents"][0]["mrz"]
    for bad in (
        {"kind": "passport"},
        {"kind": "passport", "mrz": mrz, "image_base64": "/9j/AAAA"},
        {"kind": "passport", "image_ref": "a" * 64},
    ):
        body["documents"] = [bad]
        with pytest.raises(ValidationError):
            OnboardingRequest.model_validate_json(json.dumps(body))


def test_image_limit_matches_the_store() -> None:
    assert MAX_IMAGE_BYTES == STORE_MAX_IMAGE_BYTES


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=12))
def test_the_published_pattern_is_the_rule_the_code_applies(value: str) -> None:
    """The JSON-schema `pattern` and the validator agree on every string (both kinds)."""
    for pattern, type_, min_length in ((LINE_PATTERN, Name, 1), (MULTILINE_PATTERN, Reason, 3)):
        published = re.fullmatch(pattern, value) is not None and len(value) >= min_length
        try:
            TypeAdapter(type_).validate_python(value)
            accepted = True
        except ValidationError:
            accepted = False
        assert published == accepted, (pattern, value)


# --- the OpenAPI document ---------------------------------------------------------------


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    document: dict[str, Any] = create_app(Settings()).openapi()
    return document


def _resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = document["components"]["schemas"][name]
    return node


def test_every_route_lists_its_error_statuses_with_the_envelope(openapi: dict[str, Any]) -> None:
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            statuses = set(operation["responses"])
            if path in ("/healthz", "/readyz"):
                continue
            assert {"401", "403", "422", "500", "503"} <= statuses, (method, path, statuses)
            for status in ("401", "403", "422", "500", "503"):
                schema = operation["responses"][status]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorResponse"}, (path, status)
            assert "Retry-After" in operation["responses"]["503"]["headers"]
    submit = openapi["paths"]["/v1/onboarding"]["post"]["responses"]
    assert {"200", "202", "409"} <= set(submit)
    read = openapi["paths"]["/v1/onboarding/{application_id}"]["get"]["responses"]
    assert "404" in read
    assert "503" in openapi["paths"]["/readyz"]["get"]["responses"]


def test_the_schema_states_the_input_rules(openapi: dict[str, Any]) -> None:
    schemas = openapi["components"]["schemas"]
    request = schemas["OnboardingRequest"]
    documents = request["properties"]["documents"]["items"]
    assert {r["$ref"].rsplit("/", 1)[-1] for r in documents["oneOf"]} == {
        "MrzDocument",
        "ImageDocument",
    }
    assert schemas["MrzDocument"]["required"] == ["kind", "mrz"]
    assert schemas["ImageDocument"]["required"] == ["kind", "image_base64"]
    assert schemas["MrzDocument"]["additionalProperties"] is False
    applicant = _resolve(openapi, request["properties"]["applicant"])
    given_names = applicant["properties"]["given_names"]
    assert re.fullmatch(given_names["pattern"], "Lena") is not None
    assert re.fullmatch(given_names["pattern"], "Le\x00na") is None
    dob = applicant["properties"]["date_of_birth"]
    assert dob["type"] == "string" and dob["format"] == "date"
    assert "SE" in applicant["properties"]["nationality"]["enum"]
    reason = schemas["DecisionRequest"]["properties"]["reason"]
    assert re.fullmatch(reason["pattern"], "a\x00b") is None


# --- through the stack ------------------------------------------------------------------


@pytest_asyncio.fixture
async def stack(settings: Settings) -> AsyncIterator[Stack]:
    async with running_stack(settings) as s:
        yield s


async def _no_workflow(stack: Stack, workflow_id: str) -> bool:
    try:
        await stack.client.get_workflow_handle(workflow_id).describe()
    except RPCError as exc:
        return exc.status == RPCStatusCode.NOT_FOUND
    return False


async def test_nul_bytes_never_reach_a_workflow(stack: Stack) -> None:
    portal = stack.token("portal")
    for path in (("given_names",), ("address", "line1")):
        body = application()
        target = body["applicant"]
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = "Storgatan\x001"
        resp = await stack.http.post("/v1/onboarding", json=body, headers=portal)
        assert resp.status_code == 422, resp.text
        [detail] = resp.json()["error"]["details"]
        assert detail["field"] == "applicant." + ".".join(path)
        assert "control characters" in detail["message"]
        assert await _no_workflow(stack, f"onboarding-{body['application_id']}")


async def test_integer_dates_of_birth_are_refused(stack: Stack) -> None:
    portal = stack.token("portal")
    for value in (0, 86400, "0"):
        body = application()
        body["applicant"]["date_of_birth"] = value
        resp = await stack.http.post("/v1/onboarding", json=body, headers=portal)
        assert resp.status_code == 422, (value, resp.text)
        assert resp.json()["error"]["details"][0]["field"] == "applicant.date_of_birth"


async def test_nul_in_a_decision_is_refused_and_the_case_still_decides(stack: Stack) -> None:
    body = application(**LISTED)  # type: ignore[arg-type]
    resp = await stack.http.post("/v1/onboarding", json=body, headers=stack.token("portal"))
    assert resp.status_code == 202, resp.text
    state = await stack.wait_status(body["application_id"], {"pending_review"})
    case_id = state["case_id"]
    officer = stack.token("officer", sub="alice")
    poisoned = await stack.http.post(
        f"/v1/cases/{case_id}/decision",
        json={"decision": "reject", "reason": "listed\x00person"},
        headers=officer,
    )
    assert poisoned.status_code == 422, poisoned.text
    assert poisoned.json()["error"]["details"][0]["field"] == "reason"
    decided = await stack.http.post(
        f"/v1/cases/{case_id}/decision",
        json={"decision": "reject", "reason": "DOB and nationality match the listing"},
        headers=officer,
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "closed"


async def test_control_characters_in_paths_and_queries(stack: Stack) -> None:
    officer = stack.token("officer", "auditor")
    for url in ("/v1/cases/%00", "/v1/onboarding/%00", "/v1/audit/workflows/%00/history"):
        resp = await stack.http.get(url, headers=officer)
        assert resp.status_code == 404, (url, resp.text)
        assert resp.json()["error"]["code"] == "not_found"
    resp = await stack.http.get("/v1/cases?kind=%00", headers=officer)
    assert resp.status_code == 422, resp.text
    assert resp.json()["error"]["details"][0]["field"] == "query"


async def test_malformed_json_is_a_422_in_the_envelope(stack: Stack) -> None:
    headers = stack.token("portal") | {"Content-Type": "application/json"}
    for raw in (b'{"application_id": ', b"\xff\xfe not utf-8", b"[1, 2,]"):
        resp = await stack.http.post("/v1/onboarding", content=raw, headers=headers)
        assert resp.status_code == 422, (raw, resp.text)
        assert resp.headers["content-type"] == "application/json"
        assert resp.json()["error"]["code"] == "invalid_json"
        assert resp.json()["error"]["details"][0]["field"] == "body"

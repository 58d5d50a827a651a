"""The ledger end to end: HTTP API → Temporal (DepositWorkflow, Camt054Workflow) → ledger
worker → PostgreSQL, starting from an account that onboarding opened."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest_asyncio

from clearway.settings import Settings
from models.ledger import CreateTransfersInput, CreateTransfersResult, TransferSpec
from tests.factories import application
from tests.recording import record_history
from tests.stack import Stack, running_stack
from workflows.ledger import TransferBatchWorkflow, TransferBatchWorkflowInput

CAMT054 = (Path(__file__).parents[1] / "ledger" / "fixtures" / "camt054.xml").read_text()


@pytest_asyncio.fixture
async def stack(settings: Settings) -> AsyncIterator[Stack]:
    async with running_stack(settings) as s:
        yield s


async def onboard(stack: Stack, currency: str = "EUR") -> tuple[str, str]:
    body = application(currency=currency)
    resp = await stack.http.post(
        "/v1/onboarding", json=body, headers=stack.token("portal", sub="portal-a")
    )
    assert resp.status_code == 202, resp.text
    state = await stack.wait_status(body["application_id"], {"approved", "rejected"})
    assert state["status"] == "approved", state
    return state["customer_id"], state["accounts"][0]["account_id"]


async def deposit(stack: Stack, account: str, body: dict[str, Any]) -> Any:
    return await stack.http.post(
        f"/v1/accounts/{account}/deposits", json=body, headers=stack.token("admin")
    )


async def test_deposits_balances_transfers_camt054_and_trial_balance(stack: Stack) -> None:
    _, account = await onboard(stack)
    body = {
        "deposit_id": f"dep-{account}",
        "amount": "1250.00",
        "currency": "EUR",
        "reference": "Initial",
    }
    first = await deposit(stack, account, body)
    assert first.status_code == 201, first.text
    assert first.json()["transfer"]["amount"] == "1250.00"
    assert first.json()["transfer"]["debit_account_id"] == "bank.clearing.EUR"
    again = await deposit(stack, account, body)
    assert again.status_code == 200 and again.json()["transfer"] == first.json()["transfer"]
    other = await deposit(stack, account, {**body, "amount": "1250.01"})
    assert (
        other.status_code == 409 and other.json()["error"]["code"] == "exists_with_different_fields"
    )

    view = await stack.http.get(
        f"/v1/accounts/{account}", headers=stack.token("portal", sub="portal-a")
    )
    assert view.status_code == 200, view.text
    assert view.json()["posted_balance"] == "1250.00"
    assert view.json()["available_balance"] == "1250.00"
    assert view.json()["flags"] == ["debits_must_not_exceed_credits"]
    hidden = await stack.http.get(
        f"/v1/accounts/{account}", headers=stack.token("portal", sub="portal-b")
    )
    assert hidden.status_code == 404
    past = await stack.http.get(
        f"/v1/accounts/{account}",
        params={"as_of": "2000-01-01T00:00:00Z"},
        headers=stack.token("auditor"),
    )
    assert past.status_code == 200 and past.json()["posted_balance"] == "0.00"

    xml = CAMT054.format(
        msg_id=f"M-{account}",
        ccy="EUR",
        amount1="100.50",
        amount2="20",
        account=account,
        ref=f"R-{account}",
    )
    headers = {**stack.token("admin"), "Content-Type": "application/xml"}
    ingested = await stack.http.post("/v1/ledger/camt054", content=xml, headers=headers)
    assert ingested.status_code == 200, ingested.text
    assert [e["outcome"] for e in ingested.json()["entries"]] == ["created", "created"]
    assert ingested.json()["skipped"] == [f"R-{account}-fee"]
    replay = await stack.http.post("/v1/ledger/camt054", content=xml, headers=headers)
    assert [e["outcome"] for e in replay.json()["entries"]] == ["exists", "exists"]

    page = await stack.http.get(
        f"/v1/accounts/{account}/transfers", params={"limit": 2}, headers=stack.token("officer")
    )
    assert page.status_code == 200
    items = page.json()["items"]
    assert [t["amount"] for t in items] == ["20.00", "100.50"]
    rest = await stack.http.get(
        f"/v1/accounts/{account}/transfers",
        params={"limit": 2, "cursor": page.json()["next_cursor"]},
        headers=stack.token("officer"),
    )
    assert [t["code"] for t in rest.json()["items"]] == ["deposit"]
    assert rest.json()["next_cursor"] is None

    view = await stack.http.get(f"/v1/accounts/{account}", headers=stack.token("officer"))
    assert view.json()["posted_balance"] == "1370.50"
    trial = await stack.http.get("/v1/ledger/trial-balance", headers=stack.token("auditor"))
    assert trial.status_code == 200 and trial.json()["balanced"] is True
    assert (
        await stack.http.get("/v1/ledger/trial-balance", headers=stack.token("portal"))
    ).status_code == 403

    # A second deposit and a transfer batch, kept as recorded histories for the replay test.
    second = await deposit(stack, account, {**body, "deposit_id": f"dep2-{account}"})
    assert second.status_code == 201
    batch = await stack.client.execute_workflow(
        TransferBatchWorkflow.run,
        TransferBatchWorkflowInput(
            batch=CreateTransfersInput(
                transfers=[
                    TransferSpec(
                        transfer_id=f"move-{account}",
                        debit_account_id=account,
                        credit_account_id="bank.clearing.EUR",
                        amount=Decimal("1.00"),
                        currency="EUR",
                        code="withdrawal",
                    )
                ]
            ),
            ledger_queue=stack.settings.queue("ledger"),
        ),
        id=f"transfers-move-{account}",
        task_queue=stack.settings.queue("workflows"),
        result_type=CreateTransfersResult,
    )
    assert batch.results[0].outcome.value == "created"
    await record_history(stack.client, f"deposit-dep2-{account}", "ledger_deposit")
    await record_history(stack.client, f"camt054-M-{account}", "ledger_camt054")
    await record_history(stack.client, f"transfers-move-{account}", "ledger_transfer_batch")


async def test_bad_input_is_precise_and_writes_nothing(stack: Stack) -> None:
    _, account = await onboard(stack, currency="JPY")
    admin = stack.token("admin")

    async def refused(body: dict[str, Any], status: int, code: str, field: str | None) -> None:
        resp = await deposit(stack, account, {"deposit_id": "bad-1", "currency": "JPY", **body})
        assert resp.status_code == status, resp.text
        error = resp.json()["error"]
        assert error["code"] == code, error
        if field:
            assert field in [d["field"] for d in error["details"]], error

    await refused({"amount": 100}, 422, "invalid_request", "amount")  # a JSON number
    await refused({"amount": "100.5"}, 422, "invalid_amount", "amount")  # JPY has no decimals
    await refused({"amount": "0"}, 422, "invalid_request", "amount")  # the schema says > 0
    await refused({"amount": "-5"}, 422, "invalid_request", "amount")
    await refused({"amount": "100", "currency": "EUR"}, 422, "currency_mismatch", "currency")
    await refused({"amount": "100", "currency": "XYZ"}, 422, "invalid_request", "currency")
    await refused({"amount": "100", "extra": 1}, 422, "invalid_request", "extra")
    missing = await stack.http.post(
        "/v1/accounts/nope-000/deposits",
        json={"deposit_id": "bad-2", "amount": "1", "currency": "JPY"},
        headers=admin,
    )
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "account_not_found"
    officer = await stack.http.post(
        f"/v1/accounts/{account}/deposits",
        json={"deposit_id": "bad-3", "amount": "1", "currency": "JPY"},
        headers=stack.token("officer"),
    )
    assert officer.status_code == 403
    view = await stack.http.get(f"/v1/accounts/{account}", headers=admin)
    assert view.json()["posted_balance"] == "0"

    headers = {**admin, "Content-Type": "application/xml"}
    for xml in (
        "<Document><unclosed",
        CAMT054.format(
            msg_id="M", ccy="EUR", amount1="1.001", amount2="1", account=account, ref="Rx"
        ),
        CAMT054.format(
            msg_id="M", ccy="EUR", amount1="1", amount2="1", account=account, ref="Rx"
        ).replace("<CdtDbtInd>CRDT", "<CdtDbtInd>CREDIT", 1),
    ):
        resp = await stack.http.post("/v1/ledger/camt054", content=xml, headers=headers)
        assert resp.status_code == 422, resp.text
        assert resp.json()["error"]["code"] == "invalid_camt054"
    # a currency the account does not hold: refused per entry, nothing posted
    xml = CAMT054.format(
        msg_id="M-eur", ccy="EUR", amount1="1", amount2="1", account=account, ref="Ry"
    )
    resp = await stack.http.post("/v1/ledger/camt054", content=xml, headers=headers)
    assert [e["code"] for e in resp.json()["entries"]] == ["currency_mismatch"] * 2
    view = await stack.http.get(f"/v1/accounts/{account}", headers=admin)
    assert view.json()["posted_balance"] == "0"

"""The single-transfer fast path (migrations 0005, 0009, 0010) against the general function,
differentially.

For random account states (flags, closed, frozen owners, balances near the limits, another
currency) and random one-transfer batches (valid and invalid amounts, replayed ids with the
same or different fields, unknown or identical accounts, two-phase kinds), the same call is
made twice in one transaction, rolled back in between: with the fast path and without it.
Results, balances and the stored transfer must be identical, and the fast path must have
answered alone exactly when the general function's answer is a new single-phase transfer:
it takes all of the commonest case and nothing else. Single-phase transfers are also made a
third time through the typed call the Python clients prepare for one transfer (migration
0010: the fields as parameters; PostgreSQL builds the general function's JSON from them
when the fast path declines).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import psycopg
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from domain.ledger.batch import CREATED, PREPARED_SINGLE_CALL, decode
from models.ledger import TransferSpec
from tests.ledger.conftest import answers

AT = dt.datetime(2026, 12, 2, 9, 30, tzinfo=dt.UTC)
CALL = "SELECT ledger_create_transfers(CAST(%s AS jsonb), %s)"
"""The function called straight from a psycopg cursor, to compare its raw answers."""
TYPED_CALL = re.sub(r"\$(\d)", r"%(p\1)s", PREPARED_SINGLE_CALL.decode())
"""The clients' typed single call, with psycopg's placeholders."""
APPLY_CALLS = (
    "SELECT COALESCE(pg_stat_get_xact_function_calls("
    "'ledger_apply_transfers(jsonb, timestamptz)'::regprocedure), 0)"
)


@dataclass(frozen=True)
class Side:
    currency: str
    allow_negative: bool
    credit_limited: bool  # credits_must_not_exceed_debits
    closed: bool
    owner: str | None  # None: a bank account; "active" or "frozen": a customer's
    debits: int  # minor units of 1/100
    credits: int
    pending_debits: int
    pending_credits: int


@st.composite
def sides(draw: st.DrawFn, clean: bool = False) -> Side:
    """`clean`: an open account in EUR whose owner (if any) is not frozen, so that only its
    balances and flags can refuse a transfer."""
    allow_negative = draw(st.booleans())
    credit_limited = allow_negative and draw(st.booleans())
    debits = draw(st.integers(0, 2000))
    credits = draw(st.integers(0, 2000))
    pending_debits = draw(st.integers(0, 300))
    pending_credits = draw(st.integers(0, 300))
    slack = draw(st.sampled_from([0, 1, 500, 3000, 3000]))  # 0: exactly at the limit
    if not allow_negative:
        credits = debits + pending_debits + slack
    elif credit_limited:
        debits = credits + pending_credits + slack
    return Side(
        currency="EUR" if clean else draw(st.sampled_from(["EUR"] * 11 + ["JPY"])),
        allow_negative=allow_negative,
        credit_limited=credit_limited,
        closed=not clean and draw(st.integers(0, 19)) == 0,
        owner=draw(st.sampled_from([None] * 3 + ["active"] * 4 + ([] if clean else ["frozen"]))),
        debits=debits,
        credits=credits,
        pending_debits=pending_debits,
        pending_credits=pending_credits,
    )


@dataclass(frozen=True)
class Case:
    debit: Side
    credit: Side
    debit_ref: str  # "d", "c" (the same account on both sides) or "x" (unknown)
    credit_ref: str
    amount: str
    currency: str
    kind: str
    replay: str | None  # None, "same" (a stored transfer with these fields) or "different"


@st.composite
def cases(draw: st.DrawFn) -> Case:
    replay = draw(st.sampled_from([None] * 14 + ["same", "different"]))
    cents = draw(st.integers(1 if replay else -5, 3000))
    forms = [
        str(Decimal(cents).scaleb(-2)),  # EUR's exponent
        str(cents),  # whole units: valid in both currencies
        str(Decimal(cents).scaleb(-2)) + "0",  # a trailing zero: still valid for EUR
    ]
    amount = draw(
        st.sampled_from(forms * 4 + [str(Decimal(cents).scaleb(-3))])
    )  # 1 decimal too many
    return Case(
        debit=draw(sides()),
        credit=draw(sides()),
        debit_ref=draw(st.sampled_from(["d"] * 18 + ["c", "x"])),
        credit_ref=draw(st.sampled_from(["c"] * 18 + ["d", "x"])),
        amount=amount,
        currency=draw(st.sampled_from(["EUR"] * 17 + ["JPY", "eur", "XAU"])),
        kind=draw(st.sampled_from(["single"] * 12 + ["pending"])),
        replay=replay,
    )


def set_up_account(cur: psycopg.Cursor[Any], side: Side, account_id: str) -> str:
    """An account (and its owner, if it has one) in the state `side` describes."""
    owner = None
    if side.owner is not None:
        owner = f"{account_id}-customer"
        cur.execute(
            "INSERT INTO customers (customer_id, application_id, workflow_id, given_names,"
            " surname, date_of_birth, nationality, residence_country, risk_level, status)"
            " VALUES (%s, %s, %s, 'Test', 'Customer', '1980-01-01', 'DE', 'DE', 'low', %s)",
            (owner, owner, owner, side.owner),
        )
    debits, credits = Decimal(side.debits).scaleb(-2), Decimal(side.credits).scaleb(-2)
    cur.execute(
        "INSERT INTO accounts (account_id, customer_id, kind, currency, product,"
        " allow_negative, credits_must_not_exceed_debits, closed, debits_posted,"
        " credits_posted, posted_balance, pending_debits, pending_credits)"
        " VALUES (%s, %s, 'customer', %s, 'test', %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            account_id,
            owner,
            side.currency,
            side.allow_negative,
            side.credit_limited,
            side.closed,
            debits,
            credits,
            credits - debits,
            Decimal(side.pending_debits).scaleb(-2),
            Decimal(side.pending_credits).scaleb(-2),
        ),
    )
    return account_id


def _set_up(cur: psycopg.Cursor[Any], case: Case) -> dict[str, str]:
    prefix = uuid.uuid4().hex[:10]
    ids = {"d": f"fp-{prefix}-d", "c": f"fp-{prefix}-c", "x": f"fp-{prefix}-missing"}
    set_up_account(cur, case.debit, ids["d"])
    set_up_account(cur, case.credit, ids["c"])
    return ids


def _transfer(case: Case, ids: dict[str, str]) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": ids["d"] + "-t",
        "kind": case.kind,
        "code": "transfer",
        "reference": "fast path check",
        "debit": ids[case.debit_ref],
        "credit": ids[case.credit_ref],
        "amount": case.amount,
        "currency": case.currency,
    }
    if case.kind == "pending":
        item["timeout"] = 60
    return item


def _snapshot(cur: psycopg.Cursor[Any], ids: dict[str, str], tid: str) -> Any:
    cur.execute(
        "SELECT account_id, debits_posted, credits_posted, posted_balance, pending_debits,"
        " pending_credits FROM accounts WHERE account_id = ANY(%s) ORDER BY account_id",
        ([ids["d"], ids["c"]],),
    )
    accounts = cur.fetchall()
    cur.execute(
        "SELECT transfer_id, kind, debit_account_id, credit_account_id, amount, currency, code,"
        " reference, pending_id, timeout_seconds, expires_at, state, created_at"
        " FROM ledger_transfers WHERE transfer_id = %s",
        (tid,),
    )
    return accounts, cur.fetchall()


def call(
    cur: psycopg.Cursor[Any],
    batch: list[dict[str, Any]],
    fast: bool,
    at: dt.datetime,
    typed: bool = False,
) -> tuple[Any, bool]:
    """One call of the ledger function with the fast paths on or off, or the clients' typed
    call for one transfer: (the result as callers decode it, or the error's SQLSTATE;
    whether the general function was called)."""
    cur.execute(
        "SELECT set_config('clearway.ledger_fast_path', %s, true)", ["on" if fast else "off"]
    )
    cur.execute("SET LOCAL track_functions = 'pl'")
    before = apply_calls(cur)
    cur.execute("SAVEPOINT call")
    try:
        if typed:
            (item,) = batch
            fields = ("id", "debit", "credit", "amount", "currency", "code", "reference")
            params: dict[str, Any] = {f"p{i}": item[f] for i, f in enumerate(fields, start=1)}
            cur.execute(TYPED_CALL, {**params, "p8": at})
        else:
            cur.execute(CALL, (json.dumps(batch), at))
        row = cur.fetchone()
        assert row is not None
        result: Any = answers(row[0], batch, at)
    except psycopg.Error as exc:
        cur.execute("ROLLBACK TO SAVEPOINT call")
        return ("error", exc.sqlstate), True
    return result, apply_calls(cur) > before


def apply_calls(cur: psycopg.Cursor[Any]) -> int:
    """Calls of the general function so far in this transaction (track_functions)."""
    cur.execute(APPLY_CALLS)
    row = cur.fetchone()
    assert row is not None
    return int(row[0])


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=cases())
def test_the_fast_path_answers_exactly_like_the_general_function(
    conn: psycopg.Connection[Any], case: Case
) -> None:
    with conn.cursor() as cur:
        try:
            ids = _set_up(cur, case)
            item = _transfer(case, ids)
            if case.replay is not None:
                stored = dict(item, kind="single")
                stored.pop("timeout", None)
                if case.replay == "different":
                    stored["reference"] = "another reference"
                # stored as if an earlier call had made it (balances are not the point here)
                cur.execute(
                    "INSERT INTO ledger_transfers (transfer_id, kind, debit_account_id,"
                    " credit_account_id, amount, currency, code, reference, created_at)"
                    " VALUES (%s, 'single', %s, %s, %s, 'EUR', 'transfer', %s, %s)",
                    (stored["id"], ids["d"], ids["c"], case.amount, stored["reference"], AT),
                )
            cur.execute("SAVEPOINT state")
            general, _ = call(cur, [item], fast=False, at=AT)
            general_books = _snapshot(cur, ids, item["id"])
            cur.execute("ROLLBACK TO SAVEPOINT state")
            fast, fell_through = call(cur, [item], fast=True, at=AT)
            fast_books = _snapshot(cur, ids, item["id"])
            typed = None
            if case.kind == "single":
                cur.execute("ROLLBACK TO SAVEPOINT state")
                typed = call(cur, [item], fast=True, at=AT, typed=True)
                typed_books = _snapshot(cur, ids, item["id"])
        finally:
            conn.rollback()
    assert fast == general
    assert fast_books == general_books
    if typed is not None:
        assert typed == (fast, fell_through)
        assert typed_books == general_books
    created_single = (
        isinstance(general, list) and general[0]["outcome"] == "created" and case.kind == "single"
    )
    event("fast path" if created_single else "general function")
    if isinstance(general, list):
        event(f"outcome: {general[0]['code'] or general[0]['outcome']}")
    assert fell_through == (not created_single), (case, general)


def test_a_replayed_call_through_the_fast_path_returns_the_original(
    conn: psycopg.Connection[Any],
) -> None:
    """The second identical call is not new: the general function answers `exists` with the
    same transfer, sequence number included."""
    case = Case(
        debit=Side("EUR", True, False, False, None, 0, 0, 0, 0),
        credit=Side("EUR", False, False, False, "active", 0, 0, 0, 0),
        debit_ref="d",
        credit_ref="c",
        amount="12.50",
        currency="EUR",
        kind="single",
        replay=None,
    )
    with conn.cursor() as cur:
        try:
            ids = _set_up(cur, case)
            item = _transfer(case, ids)
            cur.execute(CALL, (json.dumps([item]), AT))
            first_raw = cur.fetchone()[0]  # type: ignore[index]
            cur.execute(CALL, (json.dumps([item]), AT))
            second_raw = cur.fetchone()[0]  # type: ignore[index]
            accounts, _ = _snapshot(cur, ids, item["id"])
        finally:
            conn.rollback()
    spec = [
        TransferSpec(
            transfer_id=item["id"],
            debit_account_id=ids["d"],
            credit_account_id=ids["c"],
            amount=Decimal("12.5"),
            currency="EUR",
            code="transfer",
            reference="fast path check",
        )
    ]
    assert first_raw.startswith(CREATED), "the fast path answers a new transfer compactly"
    (first,) = decode(first_raw, spec, AT).results
    (second,) = decode(second_raw, spec, AT).results
    assert first.outcome == "created" and second.outcome == "exists"
    assert first.transfer is not None and str(first.transfer.amount) == "12.50"
    assert second.transfer == first.transfer
    balances = {a[0]: a[3] for a in accounts}
    assert balances == {ids["d"]: Decimal("-12.50"), ids["c"]: Decimal("12.50")}

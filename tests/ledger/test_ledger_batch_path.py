"""The set-based batch path (migration 0006) against the general function, and the triggers
that keep transfers' account references valid without foreign-key row locks.

For random accounts (flags, closed, frozen owners, balances near their limits, another
currency) and random batches of two to eight transfers among them (running balances that
may cross a limit part-way, linked chains, invalid amounts, duplicate and replayed ids,
two-phase kinds), the same call is made twice in one transaction, rolled back in between:
with the fast paths and without. Results, balances and stored transfers must be identical,
and the batch path must have answered alone exactly when every transfer is a new
single-phase one that the general function creates.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from clearway.contract import LedgerContention
from domain.ledger import LedgerStore
from tests.ledger.conftest import Book
from tests.ledger.test_ledger_fast_path import Side, call, set_up_account, sides

AT = dt.datetime(2026, 12, 2, 18, 0, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Item:
    debit: int  # account index; -1: an unknown account
    credit: int
    cents: int
    amount_form: str  # plain, units, padded, scientific, too_precise or not_a_number
    currency: str
    kind: str
    linked: bool
    id_from: str  # "new", "dup-same", "dup-different" (an earlier item's id), "replay"


@st.composite
def items(draw: st.DrawFn, accounts: int) -> Item:
    """A transfer that is valid on its own (only balances can refuse it)."""
    debit = draw(st.integers(0, accounts - 1))
    return Item(
        debit=debit,
        credit=(debit + draw(st.integers(1, accounts - 1))) % accounts,
        cents=draw(st.integers(1, 400)),
        amount_form=draw(st.sampled_from(["plain", "units", "padded"] * 5 + ["scientific"])),
        currency="EUR",
        kind="single",
        linked=draw(st.integers(0, 4)) == 0,
        id_from="new",
    )


ITEM_DEFECTS: dict[str, dict[str, Any]] = {
    "negative": {"cents": -5},
    "zero": {"cents": 0},
    "too precise": {"amount_form": "too_precise"},
    "not a number": {"amount_form": "not_a_number"},
    "unknown debit": {"debit": -1},
    "unknown credit": {"credit": -1},
    "other currency": {"currency": "JPY"},
    "lower-case currency": {"currency": "eur"},
    "pending": {"kind": "pending"},
    "same id, same fields": {"id_from": "dup-same"},
    "same id, other fields": {"id_from": "dup-different"},
    "stored id": {"id_from": "replay"},
    "open chain": {"linked": True},
    "one account on both sides": {},
}
ACCOUNT_DEFECTS: dict[str, dict[str, Any]] = {
    "closed account": {"closed": True},
    "frozen owner": {"owner": "frozen"},
    "account in JPY": {"currency": "JPY"},
}
"""One way for a batch to be refused other than by balances; a generated batch carries at
most one, so that each is met often with everything else valid, where only the batch path's
own rule can send it to the general function."""


@dataclass(frozen=True)
class BatchCase:
    accounts: list[Side]
    items: list[Item]
    defect: str | None


@st.composite
def batch_cases(draw: st.DrawFn) -> BatchCase:
    n_accounts = draw(st.integers(2, 4))
    accounts = [draw(sides(clean=True)) for _ in range(n_accounts)]
    batch = draw(st.lists(items(n_accounts), min_size=2, max_size=8))
    defect = draw(st.sampled_from([None] * 8 + sorted(ITEM_DEFECTS) + sorted(ACCOUNT_DEFECTS)))
    if defect in ITEM_DEFECTS:
        at = len(batch) - 1 if defect == "open chain" else draw(st.integers(0, len(batch) - 1))
        if defect == "same id, same fields" or defect == "same id, other fields":
            at = draw(st.integers(1, len(batch) - 1))
        batch[at] = dataclasses.replace(batch[at], **ITEM_DEFECTS[defect])
        if defect == "one account on both sides":
            batch[at] = dataclasses.replace(batch[at], credit=batch[at].debit)
    elif defect in ACCOUNT_DEFECTS:
        at = draw(st.integers(0, n_accounts - 1))
        accounts[at] = dataclasses.replace(accounts[at], **ACCOUNT_DEFECTS[defect])
    return BatchCase(accounts=accounts, items=batch, defect=defect)


def _amount(item: Item) -> str:
    cents = Decimal(item.cents)
    return {
        "plain": str(cents.scaleb(-2)),
        "units": str(item.cents),
        "padded": str(cents.scaleb(-2)) + "0",
        "scientific": f"{item.cents}E-2",
        "too_precise": str(cents.scaleb(-3)),
        "not_a_number": "NaN",
    }[item.amount_form]


def _batch(case: BatchCase, ids: list[str], prefix: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i, it in enumerate(case.items):
        body: dict[str, Any] = {
            "id": f"{prefix}-t{(7 * i) % 11:02d}",  # ids sort out of batch order
            "kind": it.kind,
            "code": "transfer",
            "reference": f"batch path check {i}",
            "debit": ids[it.debit] if it.debit >= 0 else f"{prefix}-missing",
            "credit": ids[it.credit] if it.credit >= 0 else f"{prefix}-missing",
            "amount": _amount(it),
            "currency": it.currency,
        }
        if it.kind == "pending":
            body["timeout"] = 60
        if it.linked:
            body["linked"] = True
        if it.id_from.startswith("dup") and out:
            body["id"] = out[0]["id"]
            if it.id_from == "dup-same":
                body = dict(out[0])
                body.pop("linked", None)
                if it.linked:
                    body["linked"] = True
            else:
                body["reference"] = "another reference"
        elif it.id_from == "replay":
            body["id"] = f"{prefix}-stored"
        out.append(body)
    return out


def _books(cur: psycopg.Cursor[Any], prefix: str) -> Any:
    cur.execute(
        "SELECT account_id, debits_posted, credits_posted, posted_balance, pending_debits,"
        " pending_credits FROM accounts WHERE account_id LIKE %s ORDER BY account_id",
        (prefix + "-%",),
    )
    accounts = cur.fetchall()
    cur.execute(
        "SELECT transfer_id, kind, debit_account_id, credit_account_id, amount, currency, code,"
        " reference, pending_id, timeout_seconds, expires_at, state, created_at,"
        " rank() OVER (ORDER BY seq) FROM ledger_transfers WHERE transfer_id LIKE %s"
        " ORDER BY seq",
        (prefix + "-%",),
    )
    return accounts, cur.fetchall()


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=batch_cases())
def test_the_batch_path_answers_exactly_like_the_general_function(
    conn: psycopg.Connection[Any], case: BatchCase
) -> None:
    prefix = "bp-" + uuid.uuid4().hex[:10]
    with conn.cursor() as cur:
        try:
            ids = [
                set_up_account(cur, side, f"{prefix}-a{i}") for i, side in enumerate(case.accounts)
            ]
            batch = _batch(case, ids, prefix)
            if any(it.id_from == "replay" for it in case.items):
                cur.execute(
                    "INSERT INTO ledger_transfers (transfer_id, kind, debit_account_id,"
                    " credit_account_id, amount, currency, code, reference, created_at)"
                    " VALUES (%s, 'single', %s, %s, 1, 'EUR', 'transfer', 'stored', %s)",
                    (f"{prefix}-stored", ids[0], ids[1], AT),
                )
            cur.execute("SAVEPOINT state")
            general, _ = call(cur, batch, fast=False, at=AT)
            general_books = _books(cur, prefix)
            cur.execute("ROLLBACK TO SAVEPOINT state")
            fast, fell_through = call(cur, batch, fast=True, at=AT)
            fast_books = _books(cur, prefix)
        finally:
            conn.rollback()
    assert fast == general
    assert fast_books == general_books
    all_created_singles = isinstance(general, list) and all(
        r["outcome"] == "created" and b["kind"] == "single"
        for r, b in zip(general, batch, strict=True)
    )
    event("batch path" if all_created_singles else "general function")
    event(f"defect: {case.defect}")
    assert fell_through == (not all_created_singles), (case, general)


def test_a_balance_taken_between_the_check_and_the_lock_sends_the_batch_to_the_rules(
    book: Book, request: pytest.FixtureRequest
) -> None:
    """The batch path checks balances before it writes, then again under the locks. Here
    another transaction takes the money in between: the batch's unlocked check passes, its
    insert runs, its lock waits; when the other commits, the locked check fails, the
    batch path rolls back its own insert and the general function answers, refusing only
    the transfer that no longer fits. With the fast paths off, the general function waits
    for the lock before it writes anything, and answers the same."""
    batch_path = request.node.callspec.params["ledger_engine"] == "fast-path"
    src, a, b, c = (
        book.open("src", limited=False),
        book.open("a"),
        book.open("b"),
        book.open("c"),
    )
    assert book.create(book.transfer("fund", src, a, "100")) == ["created"]
    taker = book.sessions()
    taker.begin()
    taken = LedgerStore(taker).create_transfers([book.transfer("take", a, c, "90")])
    assert [r.outcome.value for r in taken.results] == ["created"]
    got: list[list[str]] = []

    def batch() -> None:
        got.append(book.create(book.transfer("b1", a, b, "60"), book.transfer("b2", src, b, "5")))

    thread = threading.Thread(target=batch)
    thread.start()
    thread.join(0.5)
    assert thread.is_alive(), "the batch should wait for the taker's account lock"
    with book.sessions() as s:  # the batch path waits having inserted (uncommitted, unseen)
        assert s.execute(
            text(
                "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)"
                " WHERE l.relation = 'ledger_transfers'::regclass"
                " AND l.mode = 'RowExclusiveLock' AND a.wait_event_type = 'Lock'"
            )
        ).scalar_one() == (1 if batch_path else 0)
    taker.commit()
    taker.close()
    thread.join(10)
    assert got == [["exceeds_credits", "created"]]
    assert book.balance(a)[:2] == (Decimal(90), Decimal(100))
    assert book.balance(b)[1] == Decimal(5)
    assert not book.stored("b1")
    with book.sessions() as s:
        assert LedgerStore(s).verify().clean


def test_concurrent_overlapping_batches_never_overdraw_and_balance(book: Book) -> None:
    """Eight writers post batches of 1 to 12 transfers among six thinly funded accounts, so
    batches race for the same rows and many run out of money part-way."""
    import random

    src = book.open("src", limited=False)
    accounts = [book.open(f"a{i}") for i in range(6)]
    assert book.create(*[book.transfer(f"fund{i}", src, a, "40") for i, a in enumerate(accounts)])
    created = 0
    lock = threading.Lock()

    def writer(w: int) -> None:
        nonlocal created
        rng = random.Random(w)
        for k in range(12):
            specs = [
                book.transfer(
                    f"w{w}-{k}-{i}", *rng.sample(accounts, 2), f"{rng.randint(1, 1500) / 100:.2f}"
                )
                for i in range(rng.randint(1, 12))
            ]
            while True:
                try:
                    outcomes = book.create(*specs)
                    break
                except LedgerContention:
                    continue
            with lock:
                created += outcomes.count("created")

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = Decimal(0)
    for a in accounts:
        dp, cp, pd, _ = book.balance(a)
        assert cp - dp - pd >= 0, a
        total += cp - dp
    assert total == Decimal(240)
    with book.sessions() as s:
        stored = s.execute(
            text("SELECT count(*) FROM ledger_transfers WHERE transfer_id LIKE :p"),
            {"p": book.prefix + "-w%"},
        ).scalar_one()
        assert stored == created > 0
        assert LedgerStore(s).verify().clean
        assert LedgerStore(s).trial_balance().balanced


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        (
            "INSERT INTO ledger_transfers (transfer_id, kind, debit_account_id,"
            " credit_account_id, amount, currency, code, reference)"
            " VALUES ('{p}-ghost', 'single', '{a}', '{p}-nobody', 1, 'EUR', 't', '')",
            "which does not exist",
        ),
        ("DELETE FROM accounts WHERE account_id = '{a}'", "never deleted or renamed"),
        (
            "UPDATE accounts SET account_id = '{p}-renamed' WHERE account_id = '{a}'",
            "never deleted or renamed",
        ),
        (
            "UPDATE ledger_transfers SET debit_account_id = '{a}' WHERE transfer_id = '{p}-fund'",
            "cannot change",
        ),
        ("TRUNCATE accounts", "never deleted or renamed"),
    ],
)
def test_transfers_always_name_existing_accounts(
    book: Book, conn: psycopg.Connection[Any], statement: str, message: str
) -> None:
    """What the account foreign keys guaranteed, kept by triggers (SQLSTATE 23503)."""
    src, a = book.open("src", limited=False), book.open("a")
    assert book.create(book.transfer("fund", src, a, "1")) == ["created"]
    with conn.cursor() as cur:
        try:
            with pytest.raises(psycopg.errors.ForeignKeyViolation, match=message):
                cur.execute(statement.format(p=book.prefix, a=a))  # type: ignore[arg-type]
        finally:
            conn.rollback()
    assert book.balance(a)[1] == Decimal(1)


def test_an_update_that_names_the_account_id_unchanged_is_allowed(book: Book) -> None:
    a = book.open("a")
    with book.sessions.begin() as s:
        s.execute(
            text(
                "UPDATE accounts SET account_id = account_id, closed = true WHERE account_id = :a"
            ),
            {"a": a},
        )
    with book.sessions() as s:
        assert LedgerStore(s).get_account(a).status == "closed"

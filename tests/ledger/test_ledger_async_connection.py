"""`AsyncLedgerConnection` drives libpq without blocking, so the event loop's bookkeeping is
its own: every call gets its own answer however many run at once, a call cancelled while
PostgreSQL works leaves the connection usable (and its transfer exactly once), and a lost
connection is an `OperationalError` with nothing written, as with `LedgerConnection`."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

import psycopg
import pytest

from domain.ledger import AsyncLedgerConnection, LedgerConnection, LedgerStore
from tests.ledger.conftest import Book, libpq, terminate


def _outcomes(result: object) -> list[str]:
    return [r.code or r.outcome.value for r in result.results]  # type: ignore[attr-defined]


async def test_answers_are_the_blocking_connections(book: Book, database_url: str) -> None:
    """Created, replayed, replayed with other fields, refused, a batch: the same results as
    `LedgerConnection` gives for the same calls on another book."""
    seen: dict[str, list[list[str]]] = {}
    for way in ("async", "blocking"):
        src, a, b = (
            book.open(f"{way}-src", limited=False),
            book.open(f"{way}-a"),
            book.open(f"{way}-b"),
        )
        calls = [
            [book.transfer(f"{way}-1", src, a, "10.50")],
            [book.transfer(f"{way}-1", src, a, "10.50")],
            [book.transfer(f"{way}-1", src, a, "11")],
            [book.transfer(f"{way}-2", a, b, "100")],
            [book.transfer(f"{way}-3", a, b, "0.50"), book.transfer(f"{way}-4", src, b, "3")],
            [],
        ]
        if way == "async":
            async with await AsyncLedgerConnection.connect(libpq(database_url)) as conn:
                results = [await conn.create_transfers(c) for c in calls]
        else:
            with LedgerConnection(libpq(database_url)) as blocking:
                results = [blocking.create_transfers(c) for c in calls]
        seen[way] = [_outcomes(r) for r in results]
        assert book.balance(a)[:2] == (Decimal("0.50"), Decimal("10.50"))
        assert book.balance(b)[1] == Decimal("3.50")
    assert (
        seen["async"]
        == seen["blocking"]
        == [
            ["created"],
            ["exists"],
            ["exists_with_different_fields"],
            ["exceeds_credits"],
            ["created", "created"],
            [],
        ]
    )


async def test_many_calls_at_once_each_get_their_own_answer(book: Book, database_url: str) -> None:
    """Eight connections on one loop, and twenty callers sharing a ninth (they queue on its
    lock): every transfer is created once, every caller sees its own, the books verify."""
    src, a = book.open("src", limited=False), book.open("a")
    conns = [await AsyncLedgerConnection.connect(libpq(database_url)) for _ in range(9)]
    try:

        async def client(i: int) -> list[str]:
            got = []
            for j in range(25):
                spec = book.transfer(f"c{i}-{j}", src, a, "1.01")
                (r,) = (await conns[i].create_transfers([spec])).results
                assert r.transfer_id == spec.transfer_id
                got.append(r.outcome.value)
            return got

        async def sharer(k: int) -> str:
            spec = book.transfer(f"s{k}", src, a, "2")
            (r,) = (await conns[8].create_transfers([spec])).results
            assert r.transfer_id == spec.transfer_id
            return r.outcome.value

        answers = await asyncio.gather(
            *(client(i) for i in range(8)), *(sharer(k) for k in range(20))
        )
    finally:
        for c in conns:
            await c.close()
    assert answers[:8] == [["created"] * 25] * 8
    assert answers[8:] == ["created"] * 20
    assert book.balance(a)[1] == Decimal("1.01") * 200 + Decimal(40)
    with book.sessions() as s:
        assert LedgerStore(s).verify().clean


async def test_a_cancelled_call_leaves_the_connection_usable_and_its_transfer_once(
    book: Book, database_url: str
) -> None:
    """The caller gives up while the statement waits for a row lock: the statement still
    runs when the lock goes (cancelling the caller does not cancel PostgreSQL), its answer
    is read and dropped, and the connection's next call gets its own answer."""
    src, a = book.open("src", limited=False), book.open("a")
    async with await AsyncLedgerConnection.connect(libpq(database_url)) as conn:
        with psycopg.connect(libpq(database_url)) as blocker:
            blocker.execute("SELECT 1 FROM accounts WHERE account_id = %s FOR UPDATE", (a,))
            call = asyncio.create_task(conn.create_transfers([book.transfer("t1", src, a, "5")]))
            await asyncio.sleep(0.3)
            assert not call.done(), "the call should wait for the blocker's row lock"
            call.cancel()
            with pytest.raises(asyncio.CancelledError):
                await call
            nxt = asyncio.create_task(conn.create_transfers([book.transfer("t2", src, a, "7")]))
            await asyncio.sleep(0.2)
            assert not nxt.done(), "the next call waits for the cancelled one's answer"
            blocker.commit()
        assert _outcomes(await nxt) == ["created"]
        assert _outcomes(await conn.create_transfers([book.transfer("t1", src, a, "5")])) == [
            "exists"
        ]
    assert book.balance(a)[1] == Decimal(12)


async def test_a_lost_connection_is_an_operational_error_and_writes_nothing(
    book: Book, database_url: str
) -> None:
    src, a = book.open("src", limited=False), book.open("a")
    name = f"ledger-async-{uuid.uuid4().hex[:8]}"
    conn = await AsyncLedgerConnection.connect(libpq(database_url, application_name=name))
    try:
        first = await conn.create_transfers([book.transfer("before", src, a, "5")])
        assert _outcomes(first) == ["created"]
        assert terminate(database_url, name) == 1
        with pytest.raises(psycopg.OperationalError):
            await conn.create_transfers([book.transfer("after", src, a, "7")])
        with pytest.raises(psycopg.OperationalError):  # and stays refused, never hangs
            await conn.create_transfers([book.transfer("after", src, a, "7")])
    finally:
        await conn.close()
    assert book.balance(a)[1] == Decimal(5)
    assert not book.stored("after")
    async with await AsyncLedgerConnection.connect(libpq(database_url)) as again:
        retried = await again.create_transfers([book.transfer("after", src, a, "7")])
    assert _outcomes(retried) == ["created"]
    assert book.balance(a)[1] == Decimal(12)


async def test_a_batch_larger_than_the_socket_buffer_is_sent_whole(
    book: Book, database_url: str
) -> None:
    """5,000 transfers are about 1 MB of JSON: libpq cannot write it at once on a
    non-blocking socket, so the call waits for the socket to drain between writes."""
    src, a = book.open("src", limited=False), book.open("a")
    specs = [book.transfer(f"big-{i}", src, a, "0.01", reference="r" * 120) for i in range(5000)]
    async with await AsyncLedgerConnection.connect(libpq(database_url)) as conn:
        result = await conn.create_transfers(specs)
    assert {r.outcome.value for r in result.results} == {"created"}
    assert book.balance(a)[1] == Decimal(50)

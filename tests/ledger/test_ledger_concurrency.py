"""Many writers at once against the real PostgreSQL: no interleaving breaks an invariant."""

from __future__ import annotations

import random
import threading
from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from clearway.contract import LedgerContention
from domain.ledger import LedgerConnection, LedgerStore
from models.ledger import TransferKind, TransferSpec
from tests.ledger.conftest import Book

THREADS = 8


def _run(book: Book, work: list[list[TransferSpec]]) -> Counter[str]:
    """Each thread posts its batches, retrying a batch on contention like an activity."""
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def worker(batches: list[TransferSpec]) -> None:
        for spec in batches:
            while True:
                try:
                    with book.sessions.begin() as s:
                        res = LedgerStore(s).create_transfers([spec])
                    break
                except LedgerContention:
                    continue
            with lock:
                outcomes.update(r.code or r.outcome.value for r in res.results)

    threads = [threading.Thread(target=worker, args=(w,)) for w in work]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def test_concurrent_transfers_never_overdraw_and_balance(book: Book) -> None:
    src = book.open("src", limited=False)
    accounts = [book.open(f"a{i}") for i in range(5)]
    assert book.create(*[book.transfer(f"fund{i}", src, a, "50") for i, a in enumerate(accounts)])
    rng = random.Random(7)
    work = [
        [
            book.transfer(
                f"w{w}-{i}", *rng.sample(accounts, 2), f"{rng.randint(1, 3000) / 100:.2f}"
            )
            for i in range(40)
        ]
        for w in range(THREADS)
    ]
    outcomes = _run(book, work)
    assert outcomes["created"] > 0 and outcomes["exceeds_credits"] > 0
    total = Decimal(0)
    for a in accounts:
        dp, cp, pd, _ = book.balance(a)
        assert cp - dp - pd >= 0, a
        total += cp - dp
    assert total == Decimal(250)  # money only moved between them
    with book.sessions() as s:
        created = s.execute(
            text(
                "SELECT count(*) FROM ledger_transfers WHERE transfer_id LIKE :p "
                "AND transfer_id NOT LIKE :f"
            ),
            {"p": book.prefix + "-w%", "f": book.prefix + "-fund%"},
        ).scalar_one()
        assert created == outcomes["created"]
        assert LedgerStore(s).verify().clean
        assert LedgerStore(s).trial_balance().balanced


def test_a_pending_transfer_resolves_once_under_a_race(book: Book) -> None:
    src, a, b = book.open("src", limited=False), book.open("a"), book.open("b")
    assert book.create(book.transfer("fund", src, a, "100")) == ["created"]
    assert book.create(book.transfer("hold", a, b, "100", kind=TransferKind.PENDING)) == ["created"]
    kinds = [TransferKind.POST_PENDING, TransferKind.VOID_PENDING]
    work = [
        [TransferSpec(transfer_id=book.id(f"r{w}"), kind=kinds[w % 2], pending_id=book.id("hold"))]
        for w in range(THREADS)
    ]
    outcomes = _run(book, work)
    assert outcomes["created"] == 1
    assert outcomes["pending_transfer_already_resolved"] == THREADS - 1
    dp, cp, pd, _ = book.balance(a)
    assert pd == 0 and (dp, cp) in {(Decimal(0), Decimal(100)), (Decimal(100), Decimal(100))}


def test_the_same_new_id_from_many_writers_is_created_once(book: Book) -> None:
    src, a = book.open("src", limited=False), book.open("a")
    same = book.transfer("dup", src, a, "5")
    outcomes = _run(book, [[same] for _ in range(THREADS)])
    assert outcomes == Counter({"created": 1, "exists": THREADS - 1})
    assert book.balance(a)[1] == Decimal(5)


def test_a_new_id_committed_first_by_another_batch_is_contention_then_exists(
    book: Book, database_url: str, request: pytest.FixtureRequest
) -> None:
    """Batch B reads that id X is new, then A commits X first: B's insert finds X taken.
    The general function fails B as a whole with the retryable `LedgerContention` (never
    half-written), and its retry returns A's transfer as `exists`. The single-transfer fast
    path (migration 0009) has no read before its insert: its insert waits for A, finds X
    stored, writes nothing and hands the call to the general function, which answers
    `exists` at once. Both ways in: a SQLAlchemy session (`LedgerStore`) and an autocommit
    psycopg connection (`LedgerConnection`)."""
    fast = "fast-path" in request.node.callspec.id
    src, a = book.open("src", limited=False), book.open("a")
    conninfo = make_url(database_url).set(drivername="postgresql").render_as_string(False)
    for way in ("store", "connection"):
        spec_a = book.transfer(f"x-{way}", src, a, "5")
        spec_b = book.transfer(f"x-{way}", src, a, "5")
        blocker = book.sessions()
        blocker.begin()
        assert [
            r.outcome.value for r in LedgerStore(blocker).create_transfers([spec_a]).results
        ] == ["created"]
        raised: list[BaseException] = []

        answered: list[str] = []

        def other(
            spec: TransferSpec = spec_b,
            how: str = way,
            out: list[BaseException] = raised,
            got: list[str] = answered,
        ) -> None:
            try:
                if how == "store":
                    with book.sessions.begin() as s:
                        result = LedgerStore(s).create_transfers([spec])
                else:
                    with LedgerConnection(conninfo) as conn:
                        result = conn.create_transfers([spec])
                got.extend(r.outcome.value for r in result.results)
            except BaseException as exc:  # handed to the test thread
                out.append(exc)

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(0.5)
        assert thread.is_alive(), "B should wait for A's uncommitted row"
        blocker.commit()
        blocker.close()
        thread.join(10)
        if fast or way == "connection":  # LedgerConnection's session keeps the defaults
            assert raised == [] and answered == ["exists"], (raised, answered)
        else:
            assert len(raised) == 1 and isinstance(raised[0], LedgerContention), (raised, answered)
        with book.sessions.begin() as s:
            again = LedgerStore(s).create_transfers([spec_b]).results
        assert [r.outcome.value for r in again] == ["exists"]
    assert book.balance(a)[1] == Decimal(10)
    with book.sessions() as s:
        assert LedgerStore(s).verify().clean


def test_a_deadlock_between_two_batches_is_contention_with_nothing_written(book: Book) -> None:
    """Two open transactions each hold an account the other's next batch needs: PostgreSQL
    aborts one (40P01), the store reports it as retryable `LedgerContention`, and nothing of
    the aborted transaction is written while the other commits."""
    a, b, x, y, z, w = (book.open(n, limited=False) for n in "abxyzw")
    first, second = book.sessions(), book.sessions()
    errors: dict[str, BaseException] = {}

    def post(name: str, s: Session, *specs: TransferSpec) -> None:
        try:
            LedgerStore(s).create_transfers(list(specs))
        except LedgerContention as exc:
            errors[name] = exc

    try:
        post("first", first, book.transfer("f1", a, x, "1"))  # holds a and x
        post("second", second, book.transfer("s1", b, y, "1"))  # holds b and y
        waiting = threading.Thread(
            target=post, args=("first", first, book.transfer("f2", b, z, "1"))
        )
        waiting.start()  # blocks on b
        post("second", second, book.transfer("s2", a, w, "1"))  # blocks on a: a cycle
        waiting.join(timeout=30)
        assert not waiting.is_alive()
        assert len(errors) == 1, errors
        for name, s in (("first", first), ("second", second)):
            if name in errors:
                s.rollback()
            else:
                s.commit()
    finally:
        first.close()
        second.close()
    (loser,) = errors
    kept = ["s1", "s2"] if loser == "first" else ["f1", "f2"]
    lost = ["f1", "f2"] if loser == "first" else ["s1", "s2"]
    with book.sessions() as s:
        store = LedgerStore(s)
        assert all(store.get_transfer(book.id(t)) is not None for t in kept)
        assert all(store.get_transfer(book.id(t)) is None for t in lost)

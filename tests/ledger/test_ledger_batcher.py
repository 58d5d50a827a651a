"""`TransferBatcher`: concurrent callers share function calls, and each still gets exactly
its own results, with its own linked chains intact."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.engine import make_url

from domain.ledger import LedgerStore
from domain.ledger.batch import TransferBatcher
from models.ledger import CreateTransfersResult, TransferSpec
from tests.ledger.conftest import Book


def _wait_until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the batcher never got there"
        time.sleep(0.01)


def test_batches_that_arrive_during_a_call_go_together_in_the_next(
    book: Book, database_url: str
) -> None:
    src = book.open("src", limited=False)
    slow = book.open("slow")
    accounts = [book.open(f"a{i}") for i in range(6)]
    assert book.create(book.transfer("fund", src, accounts[0], "10")) == ["created"]
    batcher = TransferBatcher(
        make_url(database_url).set(drivername="postgresql").render_as_string(False)
    )
    results: dict[str, CreateTransfersResult] = {}

    def call(name: str, specs: list[TransferSpec]) -> None:
        results[name] = batcher.create_transfers(specs)

    blocker = book.sessions()
    blocker.begin()
    blocker.execute(text("SELECT 1 FROM accounts WHERE account_id = :a FOR UPDATE"), {"a": slow})
    first = threading.Thread(target=call, args=("first", [book.transfer("t0", src, slow, "1")]))
    first.start()
    # the first call is now inside PostgreSQL, waiting on the lock
    _wait_until(lambda: batcher.calls == 1)
    callers = {
        # five independent single transfers
        **{f"s{i}": [book.transfer(f"s{i}", src, accounts[i], "2")] for i in range(1, 6)},
        # a linked pair whose second leg overdraws: both fail, nobody else does
        "chain": [
            book.transfer("c1", src, accounts[1], "1", linked=True),
            book.transfer("c2", accounts[0], accounts[2], "99"),
        ],
        # a caller repeating another's id with the same fields: exists, not created twice
        "again": [book.transfer("s1", src, accounts[1], "2")],
    }
    threads = [threading.Thread(target=call, args=item) for item in callers.items()]
    for t in threads:
        t.start()
    _wait_until(lambda: batcher.queued == len(callers))
    blocker.commit()
    blocker.close()
    for t in [first, *threads]:
        t.join(10)
    batcher.close()

    assert batcher.calls == 2  # the first, then everything that queued behind it
    assert [r.outcome.value for r in results["first"].results] == ["created"]
    for i in range(1, 6):
        (r,) = results[f"s{i}"].results
        assert (r.index, r.outcome.value, r.transfer_id) == (0, "created", book.id(f"s{i}"))
    chain = results["chain"].results
    assert [(r.index, r.code) for r in chain] == [
        (0, "linked_event_failed"),
        (1, "exceeds_credits"),
    ]
    assert chain[1].error == "InsufficientFunds"
    (again,) = results["again"].results
    assert (again.index, again.outcome.value) == (0, "exists")
    assert book.balance(accounts[1])[1] == Decimal("2.00")  # c1 rolled back, s1 once
    assert book.balance(accounts[0]) == (0, Decimal("10.00"), 0, 0)  # c2 refused
    with book.sessions() as s:
        assert LedgerStore(s).verify().clean


def test_a_failed_shared_call_reaches_every_caller_in_it(database_url: str) -> None:
    batcher = TransferBatcher(
        make_url(database_url).set(drivername="postgresql").render_as_string(False)
    )
    batcher._connection.close()  # the database connection dies
    try:
        TransferBatcher.create_transfers(
            batcher,
            [
                TransferSpec(
                    transfer_id="x",
                    debit_account_id="a",
                    credit_account_id="b",
                    amount=Decimal(1),
                    currency="EUR",
                )
            ],
        )
    except Exception as exc:
        assert "closed" in str(exc).lower()
    else:
        raise AssertionError("a dead connection must fail the caller, not hang it")
    finally:
        batcher.close()

"""`LedgerConnection` talks to libpq directly (`PQexecPrepared`), so what psycopg's cursor
did for it is its own job: a lost connection is a psycopg `OperationalError` with nothing
written, never a hang or a half-read answer, and the creation time must be unambiguous."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import psycopg
import pytest
from sqlalchemy import text

from domain.ledger import LedgerConnection
from tests.ledger.conftest import Book, libpq, terminate


def test_a_lost_connection_is_an_operational_error_and_writes_nothing(
    book: Book, database_url: str
) -> None:
    src, a = book.open("src", limited=False), book.open("a")
    name = f"ledger-test-{uuid.uuid4().hex[:8]}"
    with LedgerConnection(libpq(database_url, application_name=name)) as conn:
        first = conn.create_transfers([book.transfer("before", src, a, "5")])
        assert [r.outcome.value for r in first.results] == ["created"]
        assert terminate(database_url, name) == 1
        with pytest.raises(psycopg.OperationalError):
            conn.create_transfers([book.transfer("after", src, a, "7")])
    assert book.balance(a)[1] == Decimal(5)
    assert not book.stored("after")
    with LedgerConnection(libpq(database_url)) as again:  # a new connection posts it once
        retried = again.create_transfers([book.transfer("after", src, a, "7")])
    assert [r.outcome.value for r in retried.results] == ["created"]
    assert book.balance(a)[1] == Decimal(12)


def test_a_creation_time_without_a_zone_is_refused_before_anything_is_sent(
    book: Book, database_url: str
) -> None:
    src, a = book.open("src", limited=False), book.open("a")
    with LedgerConnection(libpq(database_url)) as conn:
        with pytest.raises(ValueError, match="timezone-aware"):
            conn.create_transfers(
                [book.transfer("naive", src, a, "5")], now=dt.datetime(2026, 12, 3, 9, 0)
            )
        created = conn.create_transfers(
            [book.transfer("aware", src, a, "5")],
            now=dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=1))),
        )
    (result,) = created.results
    assert result.transfer is not None
    assert result.transfer.created_at == dt.datetime(2026, 12, 3, 8, 0, tzinfo=dt.UTC)
    with book.sessions() as s:  # the text parameter kept the instant, offset and all
        stored = s.execute(
            text("SELECT created_at FROM ledger_transfers WHERE transfer_id = :t"),
            {"t": book.id("aware")},
        ).scalar_one()
    assert stored == dt.datetime(2026, 12, 3, 8, 0, tzinfo=dt.UTC)
    assert book.balance(a)[1] == Decimal(5)


def test_a_nul_in_a_single_transfer_is_refused_whole_never_truncated(
    book: Book, database_url: str
) -> None:
    """libpq ends a text parameter at its first NUL: the typed single call must not carry
    one (it would store `ref` for `ref\\x00tail`, or another transfer's id); the JSON call
    refuses it, and nothing is written."""
    src, a = book.open("src", limited=False), book.open("a")
    spec = book.transfer("nul", src, a, "5").model_copy(update={"reference": "ref\x00tail"})
    with LedgerConnection(libpq(database_url)) as conn:
        with pytest.raises(psycopg.errors.UntranslatableCharacter):
            conn.create_transfers([spec])
    assert not book.stored("nul")
    assert book.balance(a)[1] == Decimal(0)

"""Ledger tests run against the suite's real PostgreSQL (migrated with Alembic)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from domain.ledger import LedgerStore
from domain.ledger.batch import CREATED, decode
from models.ledger import AccountFlag, AccountKind, OpenAccountInput, TransferSpec

PATHS = {
    "fast-path": "",
    "row-by-row": "-c clearway.ledger_fast_path=off",
    "set-based": "-c clearway.ledger_fast_path=off -c clearway.ledger_small_batch=0",
}
"""Session settings that steer `ledger_create_transfers` down each of its three paths."""


@pytest.fixture(scope="session", params=list(PATHS))
def ledger_engine(database_url: str, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """Every ledger test runs three times: one new single-phase transfer that succeeds takes
    the fast path, the general function handles small batches row by row and large ones with
    set-based statements. Session settings turn the fast path off and move the small-batch
    cut-off to 0, so the same batches exercise every path."""
    options = {"options": PATHS[request.param]} if PATHS[request.param] else {}
    engine = create_engine(database_url, pool_size=12, max_overflow=4, connect_args=options)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def ledger_sessions(ledger_engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(ledger_engine, expire_on_commit=False)


class Book:
    """Accounts with a unique prefix per test, so tests share one database safely."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self.prefix = uuid.uuid4().hex[:8]

    def id(self, name: str) -> str:
        return f"{self.prefix}-{name}"

    def open(
        self,
        name: str,
        currency: str = "EUR",
        *,
        limited: bool = True,
        credit_limited: bool = False,
        kind: AccountKind = AccountKind.SUSPENSE,
    ) -> str:
        flags = []
        if limited:
            flags.append(AccountFlag.DEBITS_MUST_NOT_EXCEED_CREDITS)
        if credit_limited:
            flags.append(AccountFlag.CREDITS_MUST_NOT_EXCEED_DEBITS)
        with self.sessions.begin() as s:
            LedgerStore(s).open_account(
                OpenAccountInput(
                    account_id=self.id(name), kind=kind, currency=currency, flags=flags
                )
            )
        return self.id(name)

    def transfer(
        self, tid: str, debit: str, credit: str, amount: str, currency: str = "EUR", **kw: object
    ) -> TransferSpec:
        return TransferSpec(
            transfer_id=self.id(tid),
            debit_account_id=debit,
            credit_account_id=credit,
            amount=Decimal(amount),
            currency=currency,
            **kw,  # type: ignore[arg-type]
        )

    def create(self, *specs: TransferSpec, **kw: object) -> list[str]:
        """Outcomes (`created`, `exists` or the failure code) in order."""
        with self.sessions.begin() as s:
            result = LedgerStore(s).create_transfers(list(specs), **kw)  # type: ignore[arg-type]
        return [r.code or r.outcome.value for r in result.results]

    def stored(self, name: str) -> bool:
        """Whether the transfer `name` (this book's id for it) is in the table."""
        with self.sessions() as s:
            found = s.execute(
                text("SELECT count(*) FROM ledger_transfers WHERE transfer_id = :t"),
                {"t": self.id(name)},
            ).scalar_one()
        return bool(found)

    def balance(self, account_id: str) -> tuple[Decimal, Decimal, Decimal, Decimal]:
        with self.sessions() as s:
            v = LedgerStore(s).get_account(account_id)
        return v.debits_posted, v.credits_posted, v.pending_debits, v.pending_credits


@pytest.fixture
def book(ledger_sessions: sessionmaker[Session]) -> Book:
    return Book(ledger_sessions)


@pytest.fixture(scope="module")
def conn(database_url: str) -> Iterator[psycopg.Connection[Any]]:
    """A plain psycopg connection for the differential tests (the caller rolls back)."""
    libpq = make_url(database_url).set(drivername="postgresql")
    with psycopg.connect(libpq.render_as_string(hide_password=False)) as c:
        superuser = c.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        row = superuser.fetchone()
        assert row is not None and row[0], "track_functions (which path ran) needs a superuser"
        c.rollback()
        yield c


def answers(raw: str, batch: list[dict[str, Any]], at: dt.datetime) -> list[dict[str, Any]]:
    """The function's answer to a batch as callers get it (the product's own decoding, so
    the fast paths' compact answer and the general function's full one compare), with
    sequence numbers as ranks: two calls draw from one sequence, so only their order can
    agree."""
    specs = [
        TransferSpec(
            transfer_id=b["id"],
            kind=b["kind"],
            debit_account_id=b.get("debit"),
            credit_account_id=b.get("credit"),
            amount=Decimal(b["amount"]) if b.get("amount") is not None else None,
            currency=b.get("currency"),
            code=b["code"],
            reference=b["reference"],
            pending_id=b.get("pending_id"),
            timeout_seconds=b.get("timeout"),
            linked=b.get("linked", False),
        )
        for b in batch
        if raw.startswith(CREATED)  # only the compact answer needs them (all valid then)
    ]
    results = [r.model_dump() for r in decode(raw, specs, at).results]
    seqs = sorted({r["transfer"]["seq"] for r in results if r["transfer"] is not None})
    for r in results:
        if r["transfer"] is not None:
            r["transfer"]["seq"] = seqs.index(r["transfer"]["seq"])
    return results


def libpq(database_url: str, **params: str) -> str:
    """The suite's SQLAlchemy URL as a libpq conninfo, with extra parameters."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.update_query_dict(params).render_as_string(hide_password=False)


def terminate(database_url: str, application_name: str) -> int:
    """End the backends of one application (a lost connection, on demand): how many."""
    with psycopg.connect(libpq(database_url), autocommit=True) as admin:
        row = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = %s",
            (application_name,),
        ).fetchone()
    assert row is not None
    return int(row[0])

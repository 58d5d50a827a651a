"""One `create_transfers` batch, as one call of the ledger's PostgreSQL function.

The rules (idempotency by id, account flags, two-phase resolution, linked chains) live in
`ledger_create_transfers` (migration 0004), which applies a batch of any size under its row
locks in one round trip and returns one result per transfer. This module only encodes the
batch and decodes the results, for the two ways in: `LedgerStore` inside a caller's
SQLAlchemy transaction, and `LedgerConnection` for throughput callers that want each batch
to be its own transaction on a plain psycopg connection (the bench; a posting service).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

import psycopg

from clearway.contract import LedgerContention, LedgerError
from models.ledger import CreateTransfersResult, TransferResult, TransferSpec

CALL = "SELECT ledger_create_transfers(CAST(%s AS jsonb), %s)"
CONTENTION_SQLSTATE = "CW001"
"""Raised by the function when a concurrent batch committed one of its new ids first."""


def _error_classes() -> dict[str, type[LedgerError]]:
    found: dict[str, type[LedgerError]] = {}
    todo: list[type[LedgerError]] = [LedgerError]
    while todo:
        cls = todo.pop()
        found.setdefault(cls.code, cls)
        todo.extend(cls.__subclasses__())
    return found


ERRORS_BY_CODE = _error_classes()
"""The function reports refusals by catalogue code; results carry the class name too."""


def encode(specs: Sequence[TransferSpec]) -> str:
    """The batch as compact JSON: amounts as exact decimal strings (never floats)."""
    out: list[dict[str, Any]] = []
    for sp in specs:
        item: dict[str, Any] = {
            "id": sp.transfer_id,
            "kind": sp.kind.value,
            "code": sp.code,
            "reference": sp.reference,
        }
        if sp.debit_account_id is not None:
            item["debit"] = sp.debit_account_id
        if sp.credit_account_id is not None:
            item["credit"] = sp.credit_account_id
        if sp.amount is not None:
            item["amount"] = str(sp.amount)  # finite: TransferSpec refuses NaN and infinities
        if sp.currency is not None:
            item["currency"] = sp.currency
        if sp.pending_id is not None:
            item["pending_id"] = sp.pending_id
        if sp.timeout_seconds is not None:
            item["timeout"] = sp.timeout_seconds
        if sp.linked:
            item["linked"] = True
        out.append(item)
    return json.dumps(out, separators=(",", ":"))


def decode(raw: str) -> CreateTransfersResult:
    """Validated straight from the function's JSON (pydantic's parser, no dict detour)."""
    result = CreateTransfersResult.model_validate_json('{"results":' + raw + "}")
    if all(r.outcome != "failed" for r in result.results):
        return result
    return CreateTransfersResult(results=[_named(r) for r in result.results])


def _named(r: TransferResult) -> TransferResult:
    if r.outcome != "failed":
        return r
    cls = ERRORS_BY_CODE.get(r.code or "", LedgerError)
    return r.model_copy(update={"error": cls.type_name()})


def contention() -> LedgerContention:
    return LedgerContention("a concurrent batch created some of these transfer ids first; retry")


class LedgerConnection:
    """A psycopg connection in autocommit mode: each `create_transfers` call is one
    statement and one transaction, the cheapest way a client can post (no ORM session,
    no separate BEGIN/COMMIT round trips)."""

    def __init__(self, conninfo: str) -> None:
        self._conn = psycopg.connect(conninfo, autocommit=True)

    def create_transfers(
        self, specs: Sequence[TransferSpec], now: dt.datetime | None = None
    ) -> CreateTransfersResult:
        if not specs:
            return CreateTransfersResult(results=[])
        try:
            row = self._conn.execute(
                CALL, (encode(specs), now or dt.datetime.now(dt.UTC)), prepare=True
            ).fetchone()
        except psycopg.Error as exc:
            if exc.sqlstate == CONTENTION_SQLSTATE:
                raise contention() from None
            raise
        assert row is not None
        return decode(row[0])

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> LedgerConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

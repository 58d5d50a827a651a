"""The double-entry ledger: money (ISO 4217 exponents), accounts with TigerBeetle-style
flags, single- and two-phase transfers, linked batches, idempotency by transfer id.

No Temporal, no FastAPI. The rules for moving money run in one place, the PostgreSQL
function `ledger_create_transfers` (migrations 0004 to 0010); activities, the API and the
CLI reach it through `LedgerStore` (inside their transaction), throughput callers and the
bench through `LedgerConnection` (one autocommit call per batch) or, from asyncio code,
`AsyncLedgerConnection` (the same call on a non-blocking connection).
"""

from domain.ledger.async_connection import AsyncLedgerConnection
from domain.ledger.batch import LedgerConnection
from domain.ledger.money import MoneyError, exponent, format_amount, parse_amount
from domain.ledger.store import (
    LedgerStore,
    bank_account_id,
    deposit_transfer_id,
    expiry_transfer_id,
    raise_for,
)

__all__ = [
    "AsyncLedgerConnection",
    "LedgerConnection",
    "LedgerStore",
    "MoneyError",
    "bank_account_id",
    "deposit_transfer_id",
    "expiry_transfer_id",
    "exponent",
    "format_amount",
    "parse_amount",
    "raise_for",
]

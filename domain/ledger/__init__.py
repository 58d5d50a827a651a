"""The double-entry ledger: money (ISO 4217 exponents), accounts with TigerBeetle-style
flags, single- and two-phase transfers, linked batches, idempotency by transfer id.

Plain Python on SQLAlchemy: no Temporal, no FastAPI. Activities, the API, the CLI and the
bench all go through `LedgerStore`, so there is one set of rules for moving money.
"""

from domain.ledger.money import MoneyError, exponent, format_amount, parse_amount
from domain.ledger.store import (
    LedgerStore,
    bank_account_id,
    deposit_transfer_id,
    expiry_transfer_id,
    raise_for,
)

__all__ = [
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

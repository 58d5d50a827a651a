"""Ledger payloads: HTTP bodies, activity inputs/results and the views the API returns.

Amounts cross every boundary as decimal strings ("12.50"): pydantic serialises `Decimal`
as a string, and request bodies accept only strings, so a JSON number (a binary float in
most clients) is a 422 before it can round anything.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StrictStr

from models.common import BusinessKey, CurrencyCode, FrozenModel, StrictInput

TRANSFER_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
TransferId = Annotated[str, Field(pattern=TRANSFER_ID_PATTERN, examples=["tr-2026-000001"])]
AccountId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
POSITIVE_AMOUNT_PATTERN = (
    r"^(?:[1-9][0-9]{0,15}(?:\.[0-9]{1,4})?"
    r"|0\.(?:[1-9][0-9]{0,3}|0[1-9][0-9]{0,2}|00[1-9][0-9]?|000[1-9]))$"
)
"""Greater than zero, at most 16 integer digits and 4 decimals (the schema states what it can;
the currency's own exponent is checked against the currency)."""
AmountString = Annotated[
    StrictStr,
    Field(
        pattern=POSITIVE_AMOUNT_PATTERN,
        examples=["125.50"],
        description="Positive decimal string with at most the currency's ISO 4217 "
        "decimals; JSON numbers are refused.",
    ),
]
TransferCode = Annotated[str, Field(pattern=r"^[a-z0-9_]{1,32}$", examples=["deposit"])]
Reference = Annotated[str, Field(max_length=140, examples=["Salary November"])]


class TransferKind(StrEnum):
    SINGLE = "single"
    PENDING = "pending"
    POST_PENDING = "post_pending"
    VOID_PENDING = "void_pending"
    EXPIRE_PENDING = "expire_pending"


class PendingState(StrEnum):
    PENDING = "pending"
    POSTED = "posted"
    VOIDED = "voided"
    EXPIRED = "expired"


class AccountKind(StrEnum):
    CUSTOMER = "customer"
    CLEARING = "clearing"
    SETTLEMENT = "settlement"
    FEES = "fees"
    SUSPENSE = "suspense"
    LOANS = "loans"


class AccountFlag(StrEnum):
    DEBITS_MUST_NOT_EXCEED_CREDITS = "debits_must_not_exceed_credits"
    CREDITS_MUST_NOT_EXCEED_DEBITS = "credits_must_not_exceed_debits"
    CLOSED = "closed"


class TransferSpec(FrozenModel):
    """One transfer of a `create_transfers` batch (TigerBeetle's Transfer, with strings).

    Single and pending transfers name both accounts, the amount and the currency. A post or
    void names `pending_id`; its accounts and currency come from the pending transfer (if
    given they must match) and a post's amount defaults to the pending amount (less is a
    partial post). `linked` chains this transfer to the next one: all succeed or none does.
    """

    transfer_id: Annotated[str, Field(max_length=72)]
    kind: TransferKind = TransferKind.SINGLE
    debit_account_id: str | None = None
    credit_account_id: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    code: str = "transfer"
    reference: str = ""
    pending_id: str | None = None
    timeout_seconds: int | None = None
    """Pending only: seconds until the hold expires (None: never)."""
    linked: bool = False


class TransferView(FrozenModel):
    transfer_id: str
    seq: int
    kind: TransferKind
    debit_account_id: str
    credit_account_id: str
    amount: Decimal
    currency: str
    code: str
    reference: str
    pending_id: str | None = None
    timeout_seconds: int | None = None
    expires_at: dt.datetime | None = None
    state: PendingState | None = None
    created_at: dt.datetime


class TransferOutcome(StrEnum):
    CREATED = "created"
    EXISTS = "exists"
    FAILED = "failed"


class TransferResult(FrozenModel):
    """Per-transfer result of a batch: `created`, `exists` (same id and fields: the original
    is returned) or `failed` with the error code of the contract's catalogue."""

    index: int
    transfer_id: str
    outcome: TransferOutcome
    error: str | None = None
    """Error type name in the catalogue (`InsufficientFunds`), when failed."""
    code: str | None = None
    """Its stable code (`exceeds_credits`), when failed."""
    message: str | None = None
    transfer: TransferView | None = None


class CreateTransfersInput(FrozenModel):
    transfers: list[TransferSpec]


class CreateTransfersResult(FrozenModel):
    results: list[TransferResult]

    @property
    def failed(self) -> list[TransferResult]:
        return [r for r in self.results if r.outcome is TransferOutcome.FAILED]


class AccountView(FrozenModel):
    account_id: str
    customer_id: str | None
    kind: str
    currency: str
    product: str
    flags: list[AccountFlag]
    status: str = Field(examples=["open"], description="open, frozen (receive only) or closed")
    debits_posted: Decimal
    credits_posted: Decimal
    posted_balance: Decimal
    """credits_posted - debits_posted."""
    pending_debits: Decimal
    pending_credits: Decimal
    available_balance: Decimal
    """posted_balance - pending_debits: what the account can still send."""
    as_of: dt.datetime | None = None

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "account_id": "acc-3f9c2a",
                    "customer_id": "cus-81b2",
                    "kind": "customer",
                    "currency": "EUR",
                    "product": "current_account",
                    "flags": ["debits_must_not_exceed_credits"],
                    "status": "open",
                    "debits_posted": "200.00",
                    "credits_posted": "1250.00",
                    "posted_balance": "1050.00",
                    "pending_debits": "50.00",
                    "pending_credits": "0.00",
                    "available_balance": "1000.00",
                    "as_of": None,
                }
            ]
        }
    }


class TransferPage(FrozenModel):
    items: list[TransferView]
    next_cursor: str | None


class OpenAccountInput(FrozenModel):
    account_id: str
    kind: AccountKind
    currency: str
    product: str = "ledger"
    customer_id: str | None = None
    flags: list[AccountFlag] = []


class DepositRequest(StrictInput):
    """Money received for a customer (e.g. a bank transfer in): credit it from clearing."""

    deposit_id: BusinessKey
    amount: AmountString
    currency: CurrencyCode
    reference: Reference = ""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "deposit_id": "dep-2026-12-0001",
                    "amount": "1250.00",
                    "currency": "EUR",
                    "reference": "Initial funding",
                }
            ]
        }
    }


class DepositInput(FrozenModel):
    deposit_id: str
    account_id: str
    amount: Decimal
    currency: str
    reference: str


class DepositResult(FrozenModel):
    deposit_id: str
    account_id: str
    created: bool
    """False when the same deposit was posted before (a retried request)."""
    transfer: TransferView

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "deposit_id": "dep-2026-12-0001",
                    "account_id": "acc-3f9c2a",
                    "created": True,
                    "transfer": {
                        "transfer_id": "deposit-dep-2026-12-0001",
                        "seq": 42,
                        "kind": "single",
                        "debit_account_id": "bank.clearing.EUR",
                        "credit_account_id": "acc-3f9c2a",
                        "amount": "1250.00",
                        "currency": "EUR",
                        "code": "deposit",
                        "reference": "Initial funding",
                        "created_at": "2026-12-02T09:30:00Z",
                    },
                }
            ]
        }
    }


class TrialBalanceRow(FrozenModel):
    currency: str
    kind: str
    accounts: int
    debits_posted: Decimal
    credits_posted: Decimal
    pending_debits: Decimal
    pending_credits: Decimal


class CurrencyBalance(FrozenModel):
    currency: str
    debits_posted: Decimal
    credits_posted: Decimal
    pending_debits: Decimal
    pending_credits: Decimal
    balanced: bool


class TrialBalance(FrozenModel):
    rows: list[TrialBalanceRow]
    currencies: list[CurrencyBalance]
    balanced: bool


class VerifyMismatch(FrozenModel):
    account_id: str
    field: str
    stored: Decimal | None
    computed: Decimal | None


class VerifyReport(FrozenModel):
    accounts: int
    transfers: int
    mismatches: list[VerifyMismatch]
    pending_problems: list[str]
    """Transfers breaking a rule the balances cannot show: a pending transfer whose state
    disagrees with its resolution rows, a transfer in another currency than its accounts, a
    transfer naming an account that does not exist (the field kept its first name)."""

    @property
    def clean(self) -> bool:
        return not self.mismatches and not self.pending_problems


class Camt054Entry(FrozenModel):
    """One booked credit of a camt.054 notification, reduced to what the ledger books (the
    notification's party names stay out of Temporal history)."""

    entry_ref: str
    transfer_id: str
    account_id: str
    amount: Decimal
    currency: str
    reference: str


class Camt054Input(FrozenModel):
    message_id: str
    entries: list[Camt054Entry]
    skipped: list[str] = []
    """Entries that are not booked credits (debits, pending, informational): not posted."""


class Camt054EntryResult(FrozenModel):
    entry_ref: str
    transfer_id: str
    outcome: TransferOutcome
    code: str | None = None
    message: str | None = None


class Camt054Result(FrozenModel):
    message_id: str
    entries: list[Camt054EntryResult]
    skipped: list[str] = []

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "message_id": "NTF-20261202-0001",
                    "entries": [
                        {
                            "entry_ref": "ASR-7734-001",
                            "transfer_id": "camt054-6f1c0e4b8a2d9e17",
                            "outcome": "created",
                            "code": None,
                            "message": None,
                        }
                    ],
                    "skipped": [],
                }
            ]
        }
    }


class ExpirePendingInput(FrozenModel):
    now: dt.datetime
    limit: int = 1000


class ExpirePendingResult(FrozenModel):
    expired: int

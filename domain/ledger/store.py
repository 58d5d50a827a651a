"""The ledger store: every write and read of accounts and transfers.

`create_transfers` is the one write path (deposits, camt.054 credits, expiry, the bench
all come through it). A batch is decided in a handful of statements however many transfers
it holds, which is how a ledger on PostgreSQL gets fast:

1. one `SELECT … FOR UPDATE` of the transfers the batch names (its own ids, for
   idempotency, and the pending transfers it resolves), in id order;
2. one `SELECT … FOR UPDATE` of every account involved, in id order, so two batches
   touching the same accounts queue instead of deadlocking;
3. the transfers are applied one by one to the locked balances in memory, with linked
   chains rolled back as a unit when one of their transfers fails;
4. one `INSERT … SELECT FROM unnest(…)` of the accepted transfers and one `UPDATE … FROM
   unnest(…)` of the balances (and one of resolved pending rows).

The balances written are absolute values computed under the row locks, and the table's
check constraints re-check every flag, so a bug here fails the transaction instead of
breaking an account. The store never commits: the caller's transaction is the unit of work.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from clearway.contract import (
    AccountClosed,
    AccountExists,
    AccountFrozen,
    AccountNotFound,
    CurrencyMismatch,
    ExceedsDebits,
    ExistsWithDifferentFields,
    InsufficientFunds,
    InvalidAmount,
    InvalidInput,
    InvalidTransfer,
    LedgerContention,
    LedgerError,
    LinkedChainOpen,
    LinkedEventFailed,
    PendingAmountExceeded,
    PendingTransferExpired,
    PendingTransferNotFound,
    PendingTransferResolved,
)
from domain.ledger.money import MoneyError, exponent
from models.ledger import (
    AccountFlag,
    AccountKind,
    AccountView,
    CreateTransfersResult,
    CurrencyBalance,
    OpenAccountInput,
    PendingState,
    TransferKind,
    TransferPage,
    TransferResult,
    TransferSpec,
    TransferView,
    TrialBalance,
    TrialBalanceRow,
    VerifyMismatch,
    VerifyReport,
)
from models.tables import Account

ZERO = Decimal(0)
POSTING_KINDS = (TransferKind.SINGLE.value, TransferKind.POST_PENDING.value)
RESOLUTIONS = {
    TransferKind.POST_PENDING: PendingState.POSTED,
    TransferKind.VOID_PENDING: PendingState.VOIDED,
    TransferKind.EXPIRE_PENDING: PendingState.EXPIRED,
}
BANK_ACCOUNT_KINDS: dict[AccountKind, tuple[bool, bool]] = {
    # kind: (allow_negative, credits_must_not_exceed_debits)
    AccountKind.CLEARING: (True, False),
    AccountKind.SETTLEMENT: (True, False),
    AccountKind.FEES: (False, False),
    AccountKind.SUSPENSE: (True, False),
    AccountKind.LOANS: (True, True),
}
"""The bank's own accounts per currency. Clearing, settlement and suspense are debited
for money on its way in; fees only accumulate income; loans are assets that repayments may
never overshoot."""


def bank_account_id(kind: AccountKind, currency: str, counterparty: str | None = None) -> str:
    """`bank.clearing.EUR`, `bank.settlement.NDEASESS.EUR`: readable, one per currency."""
    middle = f".{counterparty}" if counterparty else ""
    return f"bank.{kind.value}{middle}.{currency.upper()}"


def deposit_transfer_id(deposit_id: str) -> str:
    return f"deposit-{deposit_id}"


def expiry_transfer_id(pending_id: str) -> str:
    return f"expire.{pending_id}"


@dataclasses.dataclass(slots=True)
class _Account:
    account_id: str
    currency: str
    allow_negative: bool
    credits_must_not_exceed_debits: bool
    closed: bool
    frozen: bool
    debits_posted: Decimal
    credits_posted: Decimal
    pending_debits: Decimal
    pending_credits: Decimal
    touched: bool = False


@dataclasses.dataclass(slots=True)
class _Transfer:
    transfer_id: str
    kind: TransferKind
    debit_account_id: str
    credit_account_id: str
    amount: Decimal
    currency: str
    code: str
    reference: str
    pending_id: str | None
    timeout_seconds: int | None
    expires_at: dt.datetime | None
    state: PendingState | None
    created_at: dt.datetime
    seq: int = 0
    stored: bool = False
    """Read from the database (not created by this batch)."""
    state_changed: bool = False

    def view(self) -> TransferView:
        return TransferView(
            transfer_id=self.transfer_id,
            seq=self.seq,
            kind=self.kind,
            debit_account_id=self.debit_account_id,
            credit_account_id=self.credit_account_id,
            amount=self.amount,
            currency=self.currency,
            code=self.code,
            reference=self.reference,
            pending_id=self.pending_id,
            timeout_seconds=self.timeout_seconds,
            expires_at=self.expires_at,
            state=self.state,
            created_at=self.created_at,
        )


_TRANSFER_COLUMNS = (
    "transfer_id, seq, kind, debit_account_id, credit_account_id, amount, currency, code, "
    "reference, pending_id, timeout_seconds, expires_at, state, created_at"
)


def _transfer_from_row(row: Row[Any]) -> _Transfer:
    return _Transfer(
        transfer_id=row.transfer_id,
        kind=TransferKind(row.kind),
        debit_account_id=row.debit_account_id,
        credit_account_id=row.credit_account_id,
        amount=row.amount.quantize(Decimal(1).scaleb(-exponent(row.currency))),
        currency=row.currency,
        code=row.code,
        reference=row.reference,
        pending_id=row.pending_id,
        timeout_seconds=row.timeout_seconds,
        expires_at=row.expires_at,
        state=PendingState(row.state) if row.state else None,
        created_at=row.created_at,
        seq=row.seq,
        stored=True,
    )


_LOCK_TRANSFERS = text(
    f"SELECT {_TRANSFER_COLUMNS} FROM ledger_transfers "  # noqa: S608 - constant
    "WHERE transfer_id = ANY(:ids) ORDER BY transfer_id FOR UPDATE"
)
_ACCOUNT_COLUMNS = (
    "a.account_id, a.currency, a.allow_negative, a.credits_must_not_exceed_debits, a.closed, "
    "c.status = 'frozen' AS frozen, a.debits_posted, a.credits_posted, a.pending_debits, "
    "a.pending_credits"
)
_LOCK_ACCOUNTS = text(
    f"SELECT {_ACCOUNT_COLUMNS} "  # noqa: S608 - constant
    "FROM accounts a LEFT JOIN customers c ON c.customer_id = a.customer_id "
    "WHERE a.account_id = ANY(:ids) ORDER BY a.account_id FOR UPDATE OF a"
)
_READ_AND_LOCK = text(
    f"""
    WITH t AS MATERIALIZED (
        SELECT {_TRANSFER_COLUMNS} FROM ledger_transfers WHERE transfer_id = ANY(:ids)
    ), a AS MATERIALIZED (
        SELECT {_ACCOUNT_COLUMNS}
        FROM accounts a LEFT JOIN customers c ON c.customer_id = a.customer_id
        WHERE a.account_id = ANY(:aids) ORDER BY a.account_id FOR UPDATE OF a
    )
    SELECT 't' AS src, {_TRANSFER_COLUMNS}, NULL AS account_id, NULL::bool AS allow_negative,
        NULL::bool AS credits_must_not_exceed_debits, NULL::bool AS closed,
        NULL::bool AS frozen, NULL::numeric AS debits_posted, NULL::numeric AS credits_posted,
        NULL::numeric AS pending_debits, NULL::numeric AS pending_credits
    FROM t
    UNION ALL
    SELECT 'a', NULL, NULL, NULL, NULL, NULL, NULL, a.currency, NULL, NULL, NULL, NULL,
        NULL, NULL, NULL, a.account_id, a.allow_negative, a.credits_must_not_exceed_debits,
        a.closed, a.frozen, a.debits_posted, a.credits_posted, a.pending_debits,
        a.pending_credits
    FROM a
    """  # noqa: S608 - constant
)
_WRITE = text(
    """
    WITH ins AS (
        INSERT INTO ledger_transfers (transfer_id, kind, debit_account_id, credit_account_id,
            amount, currency, code, reference, pending_id, timeout_seconds, expires_at, state,
            created_at)
        SELECT * FROM unnest(
            CAST(:ids AS text[]), CAST(:kinds AS text[]), CAST(:debits AS text[]),
            CAST(:credits AS text[]), CAST(:amounts AS numeric[]), CAST(:currencies AS text[]),
            CAST(:codes AS text[]), CAST(:refs AS text[]), CAST(:pendings AS text[]),
            CAST(:timeouts AS integer[]), CAST(:expires AS timestamptz[]),
            CAST(:states AS text[]), CAST(:created AS timestamptz[]))
        ON CONFLICT (transfer_id) DO NOTHING
        RETURNING transfer_id, seq
    ), resolved AS (
        UPDATE ledger_transfers t SET state = v.state
        FROM unnest(CAST(:resolved_ids AS text[]), CAST(:resolved_states AS text[]))
            AS v(id, state)
        WHERE t.transfer_id = v.id AND t.state = 'pending'
        RETURNING 1
    ), balances AS (
        UPDATE accounts a SET debits_posted = v.dp, credits_posted = v.cp,
            posted_balance = v.cp - v.dp, pending_debits = v.pd, pending_credits = v.pc
        FROM unnest(CAST(:acc_ids AS text[]), CAST(:dp AS numeric[]), CAST(:cp AS numeric[]),
            CAST(:pd AS numeric[]), CAST(:pc AS numeric[])) AS v(account_id, dp, cp, pd, pc)
        WHERE a.account_id = v.account_id
        RETURNING 1
    )
    SELECT transfer_id, seq FROM ins
    """
)


class _Refused(Exception):
    """Internal: one transfer refused with a catalogue error (becomes its batch result)."""

    def __init__(self, error: LedgerError) -> None:
        super().__init__(error.message)
        self.error = error


def _refuse(cls: type[LedgerError], message: str) -> _Refused:
    return _Refused(cls(message))


class _Batch:
    """Applies transfers to locked balances in memory, with an undo log per linked chain."""

    def __init__(
        self,
        accounts: dict[str, _Account],
        known: dict[str, _Transfer],
        now: dt.datetime,
    ) -> None:
        self.accounts = accounts
        self.known = known
        self.now = now
        self.created: list[_Transfer] = []
        self._undo: list[Callable[[], None]] = []

    # -- undo log -----------------------------------------------------------------------
    def mark(self) -> tuple[int, int]:
        return len(self._undo), len(self.created)

    def rollback(self, mark: tuple[int, int]) -> None:
        undo_len, created_len = mark
        while len(self._undo) > undo_len:
            self._undo.pop()()
        for t in self.created[created_len:]:
            self.known.pop(t.transfer_id, None)
        del self.created[created_len:]

    def _set(self, obj: Any, field: str, value: Any) -> None:
        old = getattr(obj, field)
        self._undo.append(lambda: setattr(obj, field, old))
        setattr(obj, field, value)

    # -- one transfer -------------------------------------------------------------------
    def apply(self, spec: TransferSpec) -> tuple[bool, _Transfer]:
        """Returns (created, transfer); raises _Refused."""
        existing = self.known.get(spec.transfer_id)
        if existing is not None:
            _same_fields(spec, existing)
            return False, existing
        if spec.kind in (TransferKind.SINGLE, TransferKind.PENDING):
            transfer = self._new_movement(spec)
        else:
            transfer = self._resolve(spec)
        self.created.append(transfer)
        self.known[transfer.transfer_id] = transfer
        return True, transfer

    def _account(self, account_id: str | None, side: str) -> _Account:
        if account_id is None:
            raise _refuse(InvalidTransfer, f"{side}_account_id is required")
        found = self.accounts.get(account_id)
        if found is None:
            raise _refuse(AccountNotFound, f"{side} account {account_id!r} does not exist")
        return found

    def _new_movement(self, spec: TransferSpec) -> _Transfer:
        if spec.pending_id is not None:
            raise _refuse(InvalidTransfer, f"a {spec.kind.value} transfer takes no pending_id")
        if spec.kind is TransferKind.SINGLE and spec.timeout_seconds is not None:
            raise _refuse(InvalidTransfer, "timeout_seconds is only for pending transfers")
        if spec.timeout_seconds is not None and spec.timeout_seconds <= 0:
            raise _refuse(InvalidTransfer, "timeout_seconds must be positive")
        if spec.amount is None or spec.currency is None:
            raise _refuse(InvalidTransfer, "amount and currency are required")
        amount = _checked_amount(spec.amount, spec.currency)
        debit = self._account(spec.debit_account_id, "debit")
        credit = self._account(spec.credit_account_id, "credit")
        if debit.account_id == credit.account_id:
            raise _refuse(InvalidTransfer, "debit and credit account must be different")
        for acct in (debit, credit):
            if acct.currency != spec.currency:
                raise _refuse(
                    CurrencyMismatch,
                    f"account {acct.account_id} is in {acct.currency}, "
                    f"the transfer in {spec.currency}",
                )
            if acct.closed:
                raise _refuse(AccountClosed, f"account {acct.account_id} is closed")
        if debit.frozen:
            raise _refuse(
                AccountFrozen,
                f"account {debit.account_id} belongs to a frozen customer: it may receive "
                "but not send",
            )
        pending = spec.kind is TransferKind.PENDING
        if pending:
            self._set(debit, "pending_debits", debit.pending_debits + amount)
            self._set(credit, "pending_credits", credit.pending_credits + amount)
        else:
            self._set(debit, "debits_posted", debit.debits_posted + amount)
            self._set(credit, "credits_posted", credit.credits_posted + amount)
        _check_flags(debit, credit)
        debit.touched = credit.touched = True
        expires = (
            self.now + dt.timedelta(seconds=spec.timeout_seconds)
            if spec.timeout_seconds is not None
            else None
        )
        return _Transfer(
            transfer_id=spec.transfer_id,
            kind=spec.kind,
            debit_account_id=debit.account_id,
            credit_account_id=credit.account_id,
            amount=amount,
            currency=spec.currency,
            code=spec.code,
            reference=spec.reference,
            pending_id=None,
            timeout_seconds=spec.timeout_seconds,
            expires_at=expires,
            state=PendingState.PENDING if pending else None,
            created_at=self.now,
        )

    def _resolve(self, spec: TransferSpec) -> _Transfer:
        if spec.pending_id is None:
            raise _refuse(InvalidTransfer, f"a {spec.kind.value} transfer needs pending_id")
        if spec.timeout_seconds is not None:
            raise _refuse(InvalidTransfer, "timeout_seconds is only for pending transfers")
        pending = self.known.get(spec.pending_id)
        if pending is None or pending.kind is not TransferKind.PENDING:
            raise _refuse(
                PendingTransferNotFound, f"no pending transfer {spec.pending_id!r} to resolve"
            )
        if pending.state is not PendingState.PENDING:
            raise _refuse(
                PendingTransferResolved,
                f"pending transfer {pending.transfer_id} is already {pending.state}",
            )
        expired = pending.expires_at is not None and pending.expires_at <= self.now
        if spec.kind is TransferKind.EXPIRE_PENDING and not expired:
            raise _refuse(
                InvalidTransfer, f"pending transfer {pending.transfer_id} has not expired"
            )
        if spec.kind is not TransferKind.EXPIRE_PENDING and expired:
            raise _refuse(
                PendingTransferExpired, f"pending transfer {pending.transfer_id} has expired"
            )
        for field, given, held in (
            ("debit_account_id", spec.debit_account_id, pending.debit_account_id),
            ("credit_account_id", spec.credit_account_id, pending.credit_account_id),
            ("currency", spec.currency, pending.currency),
        ):
            if given is not None and given != held:
                raise _refuse(
                    InvalidTransfer, f"{field} {given!r} differs from the pending transfer's"
                )
        amount = pending.amount
        if spec.amount is not None:
            amount = _checked_amount(spec.amount, pending.currency)
            if amount > pending.amount:
                raise _refuse(
                    PendingAmountExceeded,
                    f"amount {amount} exceeds the pending amount {pending.amount}",
                )
            if spec.kind is not TransferKind.POST_PENDING and amount != pending.amount:
                raise _refuse(InvalidTransfer, "a void or expiry releases the whole pending amount")
        debit = self.accounts[pending.debit_account_id]
        credit = self.accounts[pending.credit_account_id]
        posting = spec.kind is TransferKind.POST_PENDING
        if posting:
            if debit.frozen:
                raise _refuse(
                    AccountFrozen,
                    f"account {debit.account_id} belongs to a frozen customer: it may receive "
                    "but not send",
                )
            for acct in (debit, credit):
                if acct.closed:
                    raise _refuse(AccountClosed, f"account {acct.account_id} is closed")
        self._set(debit, "pending_debits", debit.pending_debits - pending.amount)
        self._set(credit, "pending_credits", credit.pending_credits - pending.amount)
        if posting:
            self._set(debit, "debits_posted", debit.debits_posted + amount)
            self._set(credit, "credits_posted", credit.credits_posted + amount)
        _check_flags(debit, credit)
        debit.touched = credit.touched = True
        self._set(pending, "state", RESOLUTIONS[spec.kind])
        if pending.stored:
            self._set(pending, "state_changed", True)
        return _Transfer(
            transfer_id=spec.transfer_id,
            kind=spec.kind,
            debit_account_id=pending.debit_account_id,
            credit_account_id=pending.credit_account_id,
            amount=amount,
            currency=pending.currency,
            code=spec.code,
            reference=spec.reference,
            pending_id=pending.transfer_id,
            timeout_seconds=None,
            expires_at=None,
            state=None,
            created_at=self.now,
        )


def _checked_amount(amount: Decimal, currency: str) -> Decimal:
    try:
        places = exponent(currency)
    except MoneyError as exc:
        raise _refuse(InvalidAmount, str(exc)) from None
    if not amount.is_finite() or amount <= 0:
        raise _refuse(InvalidAmount, f"amount must be greater than zero, got {amount}")
    exp = amount.as_tuple().exponent
    if (
        isinstance(exp, int)
        and -exp > places
        and amount != amount.quantize(Decimal(1).scaleb(-places))
    ):
        raise _refuse(
            InvalidAmount, f"amount {amount} has more decimals than {currency} allows ({places})"
        )
    return amount.quantize(Decimal(1).scaleb(-places))


def _check_flags(debit: _Account, credit: _Account) -> None:
    if not debit.allow_negative and (
        debit.debits_posted + debit.pending_debits > debit.credits_posted
    ):
        raise _refuse(
            InsufficientFunds,
            f"insufficient funds: debits of account {debit.account_id} would exceed its credits",
        )
    if credit.credits_must_not_exceed_debits and (
        credit.credits_posted + credit.pending_credits > credit.debits_posted
    ):
        raise _refuse(
            ExceedsDebits, f"credits of account {credit.account_id} would exceed its debits"
        )


def _same_fields(spec: TransferSpec, stored: _Transfer) -> None:
    """The same id with the same fields is the same transfer (its original result is
    returned); any difference is a non-retryable conflict, never an overwrite."""
    differs: list[str] = []
    if spec.kind is not stored.kind:
        differs.append("kind")
    for field in ("debit_account_id", "credit_account_id", "currency"):
        given = getattr(spec, field)
        if given is not None and given != getattr(stored, field):
            differs.append(field)
    if spec.amount is not None and spec.amount != stored.amount:
        differs.append("amount")
    for field in ("code", "reference", "pending_id", "timeout_seconds"):
        if getattr(spec, field) != getattr(stored, field):
            differs.append(field)
    if differs:
        raise _refuse(
            ExistsWithDifferentFields,
            f"transfer {spec.transfer_id} exists with different {', '.join(differs)}",
        )


def _chains(specs: Sequence[TransferSpec]) -> list[list[int]]:
    """Indices grouped into linked chains (a lone transfer is a chain of one)."""
    chains: list[list[int]] = []
    current: list[int] = []
    for i, spec in enumerate(specs):
        current.append(i)
        if not spec.linked:
            chains.append(current)
            current = []
    if current:
        chains.append(current)
    return chains


def _failed(index: int, spec: TransferSpec, error: LedgerError) -> TransferResult:
    return TransferResult(
        index=index,
        transfer_id=spec.transfer_id,
        outcome="failed",
        error=error.type_name(),
        code=error.code,
        message=error.message,
    )


class LedgerStore:
    def __init__(self, session: Session) -> None:
        self._session = session

    # -- accounts -----------------------------------------------------------------------
    def open_account(self, inp: OpenAccountInput) -> AccountView:
        """Open an account, or find the identical one opened before (idempotent by id)."""
        try:
            exponent(inp.currency)
        except MoneyError as exc:
            raise InvalidInput(str(exc)) from None
        flags = set(inp.flags)
        values = {
            "account_id": inp.account_id,
            "customer_id": inp.customer_id,
            "kind": inp.kind.value,
            "currency": inp.currency,
            "product": inp.product,
            "allow_negative": AccountFlag.DEBITS_MUST_NOT_EXCEED_CREDITS not in flags,
            "credits_must_not_exceed_debits": AccountFlag.CREDITS_MUST_NOT_EXCEED_DEBITS in flags,
            "closed": AccountFlag.CLOSED in flags,
        }
        self._session.execute(insert(Account).values(**values).on_conflict_do_nothing())
        view = self.get_account(inp.account_id)
        if (
            view.kind != inp.kind.value
            or view.currency != inp.currency
            or view.customer_id != inp.customer_id
            or set(view.flags) - {AccountFlag.CLOSED} != flags - {AccountFlag.CLOSED}
        ):
            raise AccountExists(f"account {inp.account_id} exists with different fields")
        return view

    def open_bank_accounts(
        self, currency: str, counterparties: Iterable[str] = ()
    ) -> list[AccountView]:
        """The bank's own accounts in a currency (clearing, fees, suspense, loans, and a
        settlement account per counterparty bank). Idempotent."""
        out = []
        for kind, (allow_negative, credit_limited) in BANK_ACCOUNT_KINDS.items():
            parties: Iterable[str | None] = (
                counterparties if kind is AccountKind.SETTLEMENT else (None,)
            )
            for party in parties:
                flags = []
                if not allow_negative:
                    flags.append(AccountFlag.DEBITS_MUST_NOT_EXCEED_CREDITS)
                if credit_limited:
                    flags.append(AccountFlag.CREDITS_MUST_NOT_EXCEED_DEBITS)
                out.append(
                    self.open_account(
                        OpenAccountInput(
                            account_id=bank_account_id(kind, currency, party),
                            kind=kind,
                            currency=currency.upper(),
                            product="bank",
                            flags=flags,
                        )
                    )
                )
        return out

    def close_account(self, account_id: str) -> AccountView:
        found = self._session.execute(
            text("UPDATE accounts SET closed = true WHERE account_id = :a RETURNING account_id"),
            {"a": account_id},
        ).first()
        if found is None:
            raise AccountNotFound(f"no account {account_id!r}")
        return self.get_account(account_id)

    def get_account(self, account_id: str, as_of: dt.datetime | None = None) -> AccountView:
        row = self._session.execute(
            text(
                "SELECT a.*, coalesce(c.status, 'active') AS customer_status FROM accounts a "
                "LEFT JOIN customers c ON c.customer_id = a.customer_id WHERE a.account_id = :a"
            ),
            {"a": account_id},
        ).first()
        if row is None:
            raise AccountNotFound(f"no account {account_id!r}")
        dp, cp, pd, pc = (
            row.debits_posted,
            row.credits_posted,
            row.pending_debits,
            row.pending_credits,
        )
        if as_of is not None:
            dp, cp, pd, pc = self._balances_at(account_id, as_of)
        flags = []
        if not row.allow_negative:
            flags.append(AccountFlag.DEBITS_MUST_NOT_EXCEED_CREDITS)
        if row.credits_must_not_exceed_debits:
            flags.append(AccountFlag.CREDITS_MUST_NOT_EXCEED_DEBITS)
        if row.closed:
            flags.append(AccountFlag.CLOSED)
        status = "closed" if row.closed else "frozen" if row.customer_status == "frozen" else "open"
        posted = cp - dp
        places = exponent(row.currency)
        q = Decimal(1).scaleb(-places)
        return AccountView(
            account_id=row.account_id,
            customer_id=row.customer_id,
            kind=row.kind,
            currency=row.currency,
            product=row.product,
            flags=flags,
            status=status,
            debits_posted=dp.quantize(q),
            credits_posted=cp.quantize(q),
            posted_balance=posted.quantize(q),
            pending_debits=pd.quantize(q),
            pending_credits=pc.quantize(q),
            available_balance=(posted - pd).quantize(q),
            as_of=as_of,
        )

    def _balances_at(
        self, account_id: str, as_of: dt.datetime
    ) -> tuple[Decimal, Decimal, Decimal, Decimal]:
        """Recompute from the transfer log: postings up to `as_of`, and holds placed by then
        whose resolution (if any) came later."""
        row = self._session.execute(
            text(
                """
                WITH t AS (
                    SELECT * FROM ledger_transfers
                    WHERE debit_account_id = :a AND created_at <= :as_of
                    UNION ALL
                    SELECT * FROM ledger_transfers
                    WHERE credit_account_id = :a AND created_at <= :as_of
                )
                SELECT
                  coalesce(sum(t.amount) FILTER (WHERE t.kind IN ('single', 'post_pending')
                    AND t.debit_account_id = :a), 0) AS dp,
                  coalesce(sum(t.amount) FILTER (WHERE t.kind IN ('single', 'post_pending')
                    AND t.credit_account_id = :a), 0) AS cp,
                  coalesce(sum(t.amount) FILTER (WHERE t.kind = 'pending'
                    AND t.debit_account_id = :a), 0)
                  - coalesce(sum(p.amount) FILTER (WHERE t.pending_id IS NOT NULL
                    AND t.debit_account_id = :a), 0) AS pd,
                  coalesce(sum(t.amount) FILTER (WHERE t.kind = 'pending'
                    AND t.credit_account_id = :a), 0)
                  - coalesce(sum(p.amount) FILTER (WHERE t.pending_id IS NOT NULL
                    AND t.credit_account_id = :a), 0) AS pc
                FROM t LEFT JOIN ledger_transfers p ON p.transfer_id = t.pending_id
                """
            ),
            {"a": account_id, "as_of": as_of},
        ).one()
        return row.dp, row.cp, row.pd, row.pc

    def account_customer(self, account_id: str) -> tuple[str | None, str | None]:
        """(customer_id, application_id) of an account, for portal scoping."""
        row = self._session.execute(
            text(
                "SELECT a.customer_id, c.application_id FROM accounts a "
                "LEFT JOIN customers c ON c.customer_id = a.customer_id WHERE a.account_id = :a"
            ),
            {"a": account_id},
        ).first()
        if row is None:
            raise AccountNotFound(f"no account {account_id!r}")
        return row.customer_id, row.application_id

    # -- transfers ----------------------------------------------------------------------
    def create_transfers(
        self, specs: Sequence[TransferSpec], now: dt.datetime | None = None
    ) -> CreateTransfersResult:
        """Apply a batch; one result per transfer, in order. Refusals are results, not
        exceptions (TigerBeetle's contract), so one bad transfer does not sink a batch of
        thousands unless it is linked to them. Raises only `LedgerContention` (retry)."""
        if not specs:
            return CreateTransfersResult(results=[])
        now = now or dt.datetime.now(dt.UTC)
        s = self._session
        ids = sorted(
            {sp.transfer_id for sp in specs} | {sp.pending_id for sp in specs if sp.pending_id}
        )
        account_ids = {sp.debit_account_id for sp in specs if sp.debit_account_id}
        account_ids |= {sp.credit_account_id for sp in specs if sp.credit_account_id}
        known: dict[str, _Transfer] = {}
        accounts: dict[str, _Account] = {}
        if any(sp.pending_id for sp in specs):
            # Resolutions: lock the pending rows first, then every account they and the
            # batch name (the pending rows say which), in id order.
            for row in s.execute(_LOCK_TRANSFERS, {"ids": ids}):
                known[row.transfer_id] = _transfer_from_row(row)
            for t in known.values():
                account_ids.update((t.debit_account_id, t.credit_account_id))
            rows = s.execute(_LOCK_ACCOUNTS, {"ids": sorted(account_ids)}).all()
        else:
            # No resolutions: the accounts are known up front, so the idempotency read and
            # the account locks go in one round trip (fewer round trips = shorter lock hold).
            rows = []
            for row in s.execute(_READ_AND_LOCK, {"ids": ids, "aids": sorted(account_ids)}):
                if row.src == "t":
                    known[row.transfer_id] = _transfer_from_row(row)
                else:
                    rows.append(row)
        for row in rows:
            accounts[row.account_id] = _Account(
                account_id=row.account_id,
                currency=row.currency,
                allow_negative=row.allow_negative,
                credits_must_not_exceed_debits=row.credits_must_not_exceed_debits,
                closed=row.closed,
                frozen=bool(row.frozen),
                debits_posted=row.debits_posted,
                credits_posted=row.credits_posted,
                pending_debits=row.pending_debits,
                pending_credits=row.pending_credits,
            )
        batch = _Batch(accounts, known, now)
        results: list[TransferResult | None] = [None] * len(specs)
        outcomes: dict[int, tuple[bool, _Transfer]] = {}
        for chain in _chains(specs):
            mark = batch.mark()
            open_chain = specs[chain[-1]].linked
            failure: tuple[int, LedgerError] | None = None
            if open_chain:
                failure = (
                    chain[-1],
                    LinkedChainOpen(
                        "the batch ends inside a linked chain: its last transfer is linked"
                    ),
                )
            else:
                for i in chain:
                    try:
                        outcomes[i] = batch.apply(specs[i])
                    except _Refused as refused:
                        failure = (i, refused.error)
                        break
            if failure is None:
                continue
            batch.rollback(mark)
            bad, error = failure
            for i in chain:
                outcomes.pop(i, None)
                if i == bad or open_chain:
                    results[i] = _failed(i, specs[i], error)
                else:
                    results[i] = _failed(
                        i,
                        specs[i],
                        LinkedEventFailed(
                            f"linked transfer {specs[bad].transfer_id} failed: {error.code}"
                        ),
                    )
        self._write(batch)
        for i, (created, transfer) in outcomes.items():
            results[i] = TransferResult(
                index=i,
                transfer_id=specs[i].transfer_id,
                outcome="created" if created else "exists",
                transfer=transfer.view(),
            )
        return CreateTransfersResult(results=[r for r in results if r is not None])

    def _write(self, batch: _Batch) -> None:
        """Everything the batch changes in one statement (three data-modifying CTEs)."""
        rows = batch.created
        resolved = [t for t in batch.known.values() if t.stored and t.state_changed]
        touched = [a for a in batch.accounts.values() if a.touched]
        if not (rows or resolved or touched):
            return
        inserted = self._session.execute(
            _WRITE,
            {
                "ids": [t.transfer_id for t in rows],
                "kinds": [t.kind.value for t in rows],
                "debits": [t.debit_account_id for t in rows],
                "credits": [t.credit_account_id for t in rows],
                "amounts": [t.amount for t in rows],
                "currencies": [t.currency for t in rows],
                "codes": [t.code for t in rows],
                "refs": [t.reference for t in rows],
                "pendings": [t.pending_id for t in rows],
                "timeouts": [t.timeout_seconds for t in rows],
                "expires": [t.expires_at for t in rows],
                "states": [t.state.value if t.state else None for t in rows],
                "created": [t.created_at for t in rows],
                "resolved_ids": [t.transfer_id for t in resolved],
                "resolved_states": [t.state.value if t.state else None for t in resolved],
                "acc_ids": [a.account_id for a in touched],
                "dp": [a.debits_posted for a in touched],
                "cp": [a.credits_posted for a in touched],
                "pd": [a.pending_debits for a in touched],
                "pc": [a.pending_credits for a in touched],
            },
        ).all()
        if len(inserted) != len(rows):
            raise LedgerContention(
                "a concurrent batch created some of these transfer ids first; retry"
            )
        seqs = {r.transfer_id: r.seq for r in inserted}
        for t in rows:
            t.seq = seqs[t.transfer_id]

    def expire_pending(self, now: dt.datetime, limit: int = 1000) -> int:
        """Expire holds whose timeout has passed (each once: the expiry is a transfer with
        a deterministic id, so two sweepers cannot both expire one hold)."""
        due = (
            self._session.execute(
                text(
                    "SELECT transfer_id FROM ledger_transfers WHERE state = 'pending' "
                    "AND expires_at <= :now ORDER BY transfer_id LIMIT :limit "
                    "FOR UPDATE SKIP LOCKED"
                ),
                {"now": now, "limit": limit},
            )
            .scalars()
            .all()
        )
        if not due:
            return 0
        result = self.create_transfers(
            [
                TransferSpec(
                    transfer_id=expiry_transfer_id(pid),
                    kind=TransferKind.EXPIRE_PENDING,
                    pending_id=pid,
                    code="expiry",
                )
                for pid in due
            ],
            now=now,
        )
        return sum(1 for r in result.results if r.outcome == "created")

    def get_transfer(self, transfer_id: str) -> TransferView | None:
        row = self._session.execute(
            text(f"SELECT {_TRANSFER_COLUMNS} FROM ledger_transfers WHERE transfer_id = :t"),  # noqa: S608
            {"t": transfer_id},
        ).first()
        return _transfer_from_row(row).view() if row else None

    def account_transfers(
        self, account_id: str, *, limit: int = 50, cursor: str | None = None
    ) -> TransferPage:
        """Newest first, keyset pages on `seq` (stable while transfers are appended)."""
        self.get_account(account_id)
        before = _decode_cursor(cursor) if cursor else 2**63 - 1
        side = (
            f"(SELECT {_TRANSFER_COLUMNS} FROM ledger_transfers "  # noqa: S608 - constant
            "WHERE {col} = :a AND seq < :before ORDER BY seq DESC LIMIT :n)"
        )
        # One index range scan per side, merged: an OR would scan and sort both sides whole.
        rows = self._session.execute(
            text(
                side.format(col="debit_account_id")
                + " UNION ALL "
                + side.format(col="credit_account_id")
                + " ORDER BY seq DESC LIMIT :n"
            ),
            {"a": account_id, "before": before, "n": limit + 1},
        ).all()
        views = [_transfer_from_row(r).view() for r in rows]
        more = len(views) > limit
        views = views[:limit]
        return TransferPage(
            items=views, next_cursor=_encode_cursor(views[-1].seq) if more and views else None
        )

    # -- audit --------------------------------------------------------------------------
    def trial_balance(self) -> TrialBalance:
        rows = [
            TrialBalanceRow(
                currency=r.currency,
                kind=r.kind,
                accounts=r.n,
                debits_posted=_money(r.dp, r.currency),
                credits_posted=_money(r.cp, r.currency),
                pending_debits=_money(r.pd, r.currency),
                pending_credits=_money(r.pc, r.currency),
            )
            for r in self._session.execute(
                text(
                    "SELECT currency, kind, count(*) AS n, sum(debits_posted) AS dp, "
                    "sum(credits_posted) AS cp, sum(pending_debits) AS pd, "
                    "sum(pending_credits) AS pc FROM accounts GROUP BY currency, kind "
                    "ORDER BY currency, kind"
                )
            )
        ]
        currencies: dict[str, list[Decimal]] = {}
        for r in rows:
            acc = currencies.setdefault(r.currency, [ZERO, ZERO, ZERO, ZERO])
            for i, v in enumerate(
                (r.debits_posted, r.credits_posted, r.pending_debits, r.pending_credits)
            ):
                acc[i] += v
        totals = [
            CurrencyBalance(
                currency=c,
                debits_posted=v[0],
                credits_posted=v[1],
                pending_debits=v[2],
                pending_credits=v[3],
                balanced=v[0] == v[1] and v[2] == v[3],
            )
            for c, v in sorted(currencies.items())
        ]
        return TrialBalance(rows=rows, currencies=totals, balanced=all(c.balanced for c in totals))

    def verify(self, limit: int = 1000) -> VerifyReport:
        """Recompute every balance from the transfer log, in the database (one aggregate
        pass, constant client memory), and name each account whose stored figure differs."""
        s = self._session
        mismatches: list[VerifyMismatch] = []
        for r in s.execute(
            text(
                """
                WITH moves AS (
                    SELECT debit_account_id AS account_id,
                        sum(amount) FILTER (WHERE kind IN ('single', 'post_pending')) AS dp,
                        0::numeric AS cp,
                        sum(amount) FILTER (WHERE kind = 'pending' AND state = 'pending') AS pd,
                        0::numeric AS pc
                    FROM ledger_transfers GROUP BY debit_account_id
                    UNION ALL
                    SELECT credit_account_id, 0,
                        sum(amount) FILTER (WHERE kind IN ('single', 'post_pending')), 0,
                        sum(amount) FILTER (WHERE kind = 'pending' AND state = 'pending')
                    FROM ledger_transfers GROUP BY credit_account_id
                ), sums AS (
                    SELECT account_id, coalesce(sum(dp), 0) AS dp, coalesce(sum(cp), 0) AS cp,
                        coalesce(sum(pd), 0) AS pd, coalesce(sum(pc), 0) AS pc
                    FROM moves GROUP BY account_id
                )
                SELECT a.account_id, a.debits_posted, a.credits_posted, a.pending_debits,
                    a.pending_credits, a.posted_balance,
                    coalesce(s.dp, 0) AS c_dp, coalesce(s.cp, 0) AS c_cp,
                    coalesce(s.pd, 0) AS c_pd, coalesce(s.pc, 0) AS c_pc
                FROM accounts a LEFT JOIN sums s ON s.account_id = a.account_id
                WHERE a.debits_posted <> coalesce(s.dp, 0)
                   OR a.credits_posted <> coalesce(s.cp, 0)
                   OR a.pending_debits <> coalesce(s.pd, 0)
                   OR a.pending_credits <> coalesce(s.pc, 0)
                   OR a.posted_balance <> a.credits_posted - a.debits_posted
                ORDER BY a.account_id LIMIT :limit
                """
            ),
            {"limit": limit},
        ):
            for field, stored, computed in (
                ("debits_posted", r.debits_posted, r.c_dp),
                ("credits_posted", r.credits_posted, r.c_cp),
                ("pending_debits", r.pending_debits, r.c_pd),
                ("pending_credits", r.pending_credits, r.c_pc),
                ("posted_balance", r.posted_balance, r.credits_posted - r.debits_posted),
            ):
                if stored != computed:
                    mismatches.append(
                        VerifyMismatch(
                            account_id=r.account_id, field=field, stored=stored, computed=computed
                        )
                    )
        problems = [
            f"pending transfer {r.transfer_id} is {r.state} but "
            + (f"resolved by {r.kind}" if r.kind else "has no resolution")
            for r in s.execute(
                text(
                    """
                    SELECT p.transfer_id, p.state, r.kind FROM ledger_transfers p
                    LEFT JOIN ledger_transfers r ON r.pending_id = p.transfer_id
                    WHERE p.kind = 'pending' AND (
                        (p.state = 'pending' AND r.transfer_id IS NOT NULL)
                        OR (p.state = 'posted' AND r.kind IS DISTINCT FROM 'post_pending')
                        OR (p.state = 'voided' AND r.kind IS DISTINCT FROM 'void_pending')
                        OR (p.state = 'expired' AND r.kind IS DISTINCT FROM 'expire_pending'))
                    ORDER BY p.transfer_id LIMIT :limit
                    """
                ),
                {"limit": limit},
            )
        ]
        problems += [
            f"transfer {r.transfer_id} in {r.currency} moves an account in another currency"
            for r in s.execute(
                text(
                    """
                    SELECT t.transfer_id, t.currency FROM ledger_transfers t
                    JOIN accounts d ON d.account_id = t.debit_account_id
                    JOIN accounts c ON c.account_id = t.credit_account_id
                    WHERE d.currency <> t.currency OR c.currency <> t.currency
                    LIMIT :limit
                    """
                ),
                {"limit": limit},
            )
        ]
        counts = s.execute(
            text(
                "SELECT (SELECT count(*) FROM accounts) AS n_accounts, "
                "(SELECT count(*) FROM ledger_transfers) AS n_transfers"
            )
        ).one()
        return VerifyReport(
            accounts=counts.n_accounts,
            transfers=counts.n_transfers,
            mismatches=mismatches,
            pending_problems=problems,
        )


def _money(amount: Decimal, currency: str) -> Decimal:
    """The stored NUMERIC(20, 4) at the currency's exponent ('12.50', not '12.5000')."""
    return amount.quantize(Decimal(1).scaleb(-exponent(currency)))


def _encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([seq]).encode()).decode()


def _decode_cursor(cursor: str) -> int:
    try:
        (seq,) = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(seq, int):
            raise TypeError
        return seq
    except (ValueError, TypeError) as exc:
        raise InvalidInput("cursor is not a cursor this API issued") from exc


def raise_for(result: TransferResult) -> None:
    """Turn a failed batch result back into its catalogue exception (single-transfer
    callers such as deposits want an exception, not a result)."""
    if result.outcome != "failed":
        return
    from clearway.contract import error_types

    cls = error_types().get(result.error or "", LedgerError)
    raise cls(result.message or result.code or "transfer refused")

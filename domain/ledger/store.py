"""The ledger store: every write and read of accounts and transfers.

`create_transfers` is the one write path (deposits, camt.054 credits, expiry, the bench
all come through it). A batch is one call of the PostgreSQL function
`ledger_create_transfers` (migrations 0004 to 0011), however many transfers it holds, which
is how a ledger on PostgreSQL gets fast. Inside the function, three paths with one set of
rules:

- one new single-phase transfer that succeeds: read the id, lock both accounts, one INSERT
  and one UPDATE (0005);
- a batch of new single-phase transfers that all succeed: its shape checked from the JSON,
  folded into one row per account and inserted, then the accounts locked and the balances
  updated in one statement that checks every rule on the locked rows, so only the lock and
  that UPDATE run under the locks (0006, 0007; 0011 moved the rest out from under them:
  concurrent batches spent three quarters of their time queued on each other's locks);
- anything else, or a fast path that finds a refusal before it writes: the general
  function (0004), which locks the transfers the batch names and every account involved in
  id order, applies the transfers one by one to the locked balances in memory (linked
  chains rolled back as a unit through an undo log) and writes the accepted ones.

Every writer locks accounts `FOR NO KEY UPDATE` in the byte order of their ids, so two
batches on the same accounts queue instead of deadlocking, and never across a round trip to
a client. The balances written are computed under the row locks, and the table's check
constraints re-check every flag, so a bug in the function fails the transaction instead of
breaking an account. The store never commits: the caller's transaction is the unit of work.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from clearway.contract import (
    AccountExists,
    AccountNotFound,
    InvalidInput,
    LedgerError,
)
from domain.ledger.batch import CONTENTION_SQLSTATES, contention, decode, encode
from domain.ledger.money import MoneyError, at_exponent, exponent
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


_TRANSFER_COLUMNS = (
    "transfer_id, seq, kind, debit_account_id, credit_account_id, amount, currency, code, "
    "reference, pending_id, timeout_seconds, expires_at, state, created_at"
)


def _view_from_row(row: Row[Any]) -> TransferView:
    """A stored transfer at its currency's exponent (the column holds NUMERIC(20, 4))."""
    return TransferView(
        transfer_id=row.transfer_id,
        seq=row.seq,
        kind=TransferKind(row.kind),
        debit_account_id=row.debit_account_id,
        credit_account_id=row.credit_account_id,
        amount=at_exponent(row.amount, row.currency),
        currency=row.currency,
        code=row.code,
        reference=row.reference,
        pending_id=row.pending_id,
        timeout_seconds=row.timeout_seconds,
        expires_at=row.expires_at,
        state=PendingState(row.state) if row.state else None,
        created_at=row.created_at,
    )


_CALL = text("SELECT ledger_create_transfers(CAST(:batch AS jsonb), :at)")


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
        """Apply a batch in the caller's transaction; one result per transfer, in order.
        Refusals are results, not exceptions (TigerBeetle's contract), so one bad transfer
        does not sink a batch of thousands unless it is linked to them. Raises only
        `LedgerContention` (retry) and database errors. The rules run in PostgreSQL, in
        `ledger_create_transfers` (see `domain/ledger/batch.py`)."""
        if not specs:
            return CreateTransfersResult(results=[])
        at = now or dt.datetime.now(dt.UTC)
        try:
            raw = self._session.execute(_CALL, {"batch": encode(specs), "at": at}).scalar_one()
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) in CONTENTION_SQLSTATES:
                raise contention() from None
            raise
        return decode(raw, specs, at)

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
        return _view_from_row(row) if row else None

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
        views = [_view_from_row(r) for r in rows]
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
                debits_posted=at_exponent(r.dp, r.currency),
                credits_posted=at_exponent(r.cp, r.currency),
                pending_debits=at_exponent(r.pd, r.currency),
                pending_credits=at_exponent(r.pc, r.currency),
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
        problems += [
            f"transfer {r.transfer_id} names account {r.account_id}, which does not exist"
            for r in s.execute(
                text(
                    """
                    SELECT t.transfer_id, x.account_id FROM ledger_transfers t
                    CROSS JOIN LATERAL (VALUES (t.debit_account_id), (t.credit_account_id))
                        AS x(account_id)
                    WHERE NOT EXISTS (SELECT FROM accounts a WHERE a.account_id = x.account_id)
                    ORDER BY t.transfer_id LIMIT :limit
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

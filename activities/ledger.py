"""Ledger activities: validate, call `LedgerStore`, own the transaction.

Each attempt is one transaction, and every write is keyed by a transfer id, so a retried
attempt (worker killed after the commit, completion lost) finds its transfers and returns
the original result instead of moving money twice. Refusals are the catalogue's errors,
which the worker's interceptor turns into typed `ApplicationError`s (non-retryable but for
contention).
"""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity

from clearway.contract import Activity
from clearway.heartbeat import heartbeating
from domain.ledger import LedgerStore, bank_account_id, deposit_transfer_id, raise_for
from models.ledger import (
    AccountKind,
    Camt054EntryResult,
    Camt054Input,
    Camt054Result,
    CreateTransfersInput,
    CreateTransfersResult,
    DepositInput,
    DepositResult,
    ExpirePendingInput,
    ExpirePendingResult,
    OpenAccountInput,
    TransferOutcome,
    TransferSpec,
)


def _clearing(store: LedgerStore, currency: str) -> str:
    account_id = bank_account_id(AccountKind.CLEARING, currency)
    store.open_account(
        OpenAccountInput(
            account_id=account_id, kind=AccountKind.CLEARING, currency=currency, product="bank"
        )
    )
    return account_id


class LedgerActivities:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    @activity.defn(name=Activity.CREATE_TRANSFERS)
    def create_transfers(self, inp: CreateTransfersInput) -> CreateTransfersResult:
        """A whole batch in one transaction; per-transfer refusals are results."""
        with self._sessions.begin() as session:
            return LedgerStore(session).create_transfers(inp.transfers)

    @activity.defn(name=Activity.POST_DEPOSIT)
    def post_deposit(self, inp: DepositInput) -> DepositResult:
        """Credit the customer from the currency's clearing account, once per deposit id."""
        with self._sessions.begin() as session:
            store = LedgerStore(session)
            clearing = _clearing(store, inp.currency)
            result = store.create_transfers(
                [
                    TransferSpec(
                        transfer_id=deposit_transfer_id(inp.deposit_id),
                        debit_account_id=clearing,
                        credit_account_id=inp.account_id,
                        amount=inp.amount,
                        currency=inp.currency,
                        code="deposit",
                        reference=inp.reference,
                    )
                ]
            ).results[0]
            raise_for(result)
        assert result.transfer is not None
        activity.logger.info(
            "deposit posted" if result.outcome is TransferOutcome.CREATED else "deposit existed",
            extra={"transfer_id": result.transfer_id},
        )
        return DepositResult(
            deposit_id=inp.deposit_id,
            account_id=inp.account_id,
            created=result.outcome is TransferOutcome.CREATED,
            transfer=result.transfer,
        )

    @activity.defn(name=Activity.INGEST_CAMT054)
    def ingest_camt054(self, inp: Camt054Input) -> Camt054Result:
        """Every booked credit of the notification in one batch, each entry keyed by the
        servicer's reference: a second delivery reports `exists` instead of posting again.
        Entries are independent (not linked): one unknown account does not block the rest."""
        with self._sessions.begin() as session:
            store = LedgerStore(session)
            clearing = {c: _clearing(store, c) for c in sorted({e.currency for e in inp.entries})}
            result = store.create_transfers(
                [
                    TransferSpec(
                        transfer_id=e.transfer_id,
                        debit_account_id=clearing[e.currency],
                        credit_account_id=e.account_id,
                        amount=e.amount,
                        currency=e.currency,
                        code="camt054_credit",
                        reference=e.reference,
                    )
                    for e in inp.entries
                ]
            )
        return Camt054Result(
            message_id=inp.message_id,
            skipped=inp.skipped,
            entries=[
                Camt054EntryResult(
                    entry_ref=e.entry_ref,
                    transfer_id=r.transfer_id,
                    outcome=r.outcome,
                    code=r.code,
                    message=r.message,
                )
                for e, r in zip(inp.entries, result.results, strict=True)
            ],
        )

    @activity.defn(name=Activity.EXPIRE_PENDING_TRANSFERS)
    def expire_pending_transfers(self, inp: ExpirePendingInput) -> ExpirePendingResult:
        """One page of `HoldExpiryWorkflow`, one transaction. It beats until the commit: a
        page of a thousand expiries can take a while on a loaded database, and with the
        workflow's heartbeat timeout a killed worker's page is retried within seconds. A
        retry is safe whenever it comes: each expiry's id is fixed by its hold."""
        with heartbeating():
            with self._sessions.begin() as session:
                expired = LedgerStore(session).expire_pending(inp.now, inp.limit)
        if expired:
            activity.logger.info("holds expired", extra={"expired": expired})
        return ExpirePendingResult(expired=expired)

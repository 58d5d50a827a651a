"""Random interleavings of create, post, void, expire and linked batches, checked against a
small reference model after every step: balances, flags, debits = credits, pending resolved
at most once, idempotency."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from domain.ledger import LedgerStore
from models.ledger import AccountFlag, AccountKind, OpenAccountInput, TransferKind, TransferSpec

START = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
ACCOUNTS = 4  # account 0 may go negative (the source of money); the rest may not
amounts = st.integers(min_value=1, max_value=5000).map(lambda c: Decimal(c).scaleb(-2))


@dataclasses.dataclass
class Bal:
    dp: Decimal = Decimal(0)
    cp: Decimal = Decimal(0)
    pd: Decimal = Decimal(0)
    pc: Decimal = Decimal(0)


@dataclasses.dataclass
class Hold:
    debit: int
    credit: int
    amount: Decimal
    expires: dt.datetime | None
    state: str = "pending"


class Model:
    """The ledger's rules written as plainly as possible, independent of the store."""

    def __init__(self) -> None:
        self.bal = [Bal() for _ in range(ACCOUNTS)]
        self.holds: dict[str, Hold] = {}

    def copy(self) -> Model:
        m = Model()
        m.bal = [dataclasses.replace(b) for b in self.bal]
        m.holds = {k: dataclasses.replace(h) for k, h in self.holds.items()}
        return m

    def ok(self) -> bool:
        return all(b.dp + b.pd <= b.cp for b in self.bal[1:])

    def move(
        self, kind: str, d: int, c: int, amount: Decimal, tid: str, exp: dt.datetime | None
    ) -> bool:
        if kind == "pending":
            self.bal[d].pd += amount
            self.bal[c].pc += amount
            self.holds[tid] = Hold(d, c, amount, exp)
        else:
            self.bal[d].dp += amount
            self.bal[c].cp += amount
        return self.ok()

    def resolve(self, kind: str, pid: str, amount: Decimal | None, now: dt.datetime) -> bool:
        h = self.holds.get(pid)
        if h is None or h.state != "pending":
            return False
        expired = h.expires is not None and h.expires <= now
        if expired != (kind == "expire"):
            return False
        amt = h.amount if amount is None else amount
        if amt > h.amount:
            return False
        self.bal[h.debit].pd -= h.amount
        self.bal[h.credit].pc -= h.amount
        if kind == "post":
            self.bal[h.debit].dp += amt
            self.bal[h.credit].cp += amt
        h.state = {"post": "posted", "void": "voided", "expire": "expired"}[kind]
        return self.ok()


class LedgerMachine(RuleBasedStateMachine):
    sessions: sessionmaker[Session]

    def __init__(self) -> None:
        super().__init__()
        self.prefix = uuid.uuid4().hex[:8]
        self.model = Model()
        self.now = START
        self.n = 0
        self.sent: dict[str, TransferSpec] = {}

    def acct(self, i: int) -> str:
        return f"{self.prefix}-acc{i}"

    def tid(self) -> str:
        self.n += 1
        return f"{self.prefix}-t{self.n}"

    @initialize()
    def open_accounts(self) -> None:
        with self.sessions.begin() as s:
            for i in range(ACCOUNTS):
                flags = [] if i == 0 else [AccountFlag.DEBITS_MUST_NOT_EXCEED_CREDITS]
                LedgerStore(s).open_account(
                    OpenAccountInput(
                        account_id=self.acct(i),
                        kind=AccountKind.SUSPENSE,
                        currency="EUR",
                        flags=flags,
                    )
                )

    def _submit(self, specs: list[TransferSpec]) -> list[str]:
        with self.sessions.begin() as s:
            res = LedgerStore(s).create_transfers(specs, now=self.now)
        for spec, r in zip(specs, res.results, strict=True):
            if r.outcome.value == "created":
                self.sent[spec.transfer_id] = spec
        return [r.outcome.value for r in res.results]

    def _movement(
        self,
        pending: bool,
        d: int,
        c: int,
        amount: Decimal,
        timeout: int | None,
        linked: bool = False,
    ) -> TransferSpec:
        return TransferSpec(
            transfer_id=self.tid(),
            kind=TransferKind.PENDING if pending else TransferKind.SINGLE,
            debit_account_id=self.acct(d),
            credit_account_id=self.acct(c),
            amount=amount,
            currency="EUR",
            timeout_seconds=timeout if pending else None,
            linked=linked,
        )

    def _apply_model(self, model: Model, spec: TransferSpec) -> bool:
        if spec.kind in (TransferKind.SINGLE, TransferKind.PENDING):
            d = int(spec.debit_account_id.rsplit("acc", 1)[1])  # type: ignore[union-attr]
            c = int(spec.credit_account_id.rsplit("acc", 1)[1])  # type: ignore[union-attr]
            exp = (
                self.now + dt.timedelta(seconds=spec.timeout_seconds)
                if spec.timeout_seconds
                else None
            )
            return model.move(spec.kind.value, d, c, spec.amount, spec.transfer_id, exp)  # type: ignore[arg-type]
        kind = {"post_pending": "post", "void_pending": "void", "expire_pending": "expire"}
        return model.resolve(kind[spec.kind.value], spec.pending_id, spec.amount, self.now)  # type: ignore[arg-type]

    @rule(
        pending=st.booleans(),
        pair=st.permutations(range(ACCOUNTS)).map(lambda p: p[:2]),
        amount=amounts,
        timeout=st.sampled_from([None, 5, 60]),
    )
    def create(
        self, pending: bool, pair: tuple[int, int], amount: Decimal, timeout: int | None
    ) -> None:
        spec = self._movement(pending, pair[0], pair[1], amount, timeout)
        trial = self.model.copy()
        expected = "created" if self._apply_model(trial, spec) else "failed"
        assert self._submit([spec]) == [expected]
        if expected == "created":
            self.model = trial

    @precondition(lambda self: bool(self.model.holds))
    @rule(
        data=st.data(),
        kind=st.sampled_from(["post", "void"]),
        partial=st.booleans(),
    )
    def resolve(self, data: st.DataObject, kind: str, partial: bool) -> None:
        pid = data.draw(st.sampled_from(sorted(self.model.holds)))
        hold = self.model.holds[pid]
        amount = None
        if kind == "post" and partial:
            cents = int(hold.amount * 100)
            amount = Decimal(data.draw(st.integers(1, cents + 1))).scaleb(-2)
        spec = TransferSpec(
            transfer_id=self.tid(),
            kind=TransferKind.POST_PENDING if kind == "post" else TransferKind.VOID_PENDING,
            pending_id=pid,
            amount=amount,
        )
        trial = self.model.copy()
        expected = "created" if self._apply_model(trial, spec) else "failed"
        assert self._submit([spec]) == [expected]
        if expected == "created":
            self.model = trial

    @rule(seconds=st.sampled_from([1, 10, 61]))
    def expire(self, seconds: int) -> None:
        self.now += dt.timedelta(seconds=seconds)
        with self.sessions.begin() as s:
            LedgerStore(s).expire_pending(self.now)
        for h in self.model.holds.values():
            if h.state == "pending" and h.expires is not None and h.expires <= self.now:
                self.model.bal[h.debit].pd -= h.amount
                self.model.bal[h.credit].pc -= h.amount
                h.state = "expired"

    @rule(
        moves=st.lists(
            st.tuples(st.permutations(range(ACCOUNTS)).map(lambda p: p[:2]), amounts),
            min_size=2,
            max_size=5,
        )
    )
    def linked_batch(self, moves: list[tuple[tuple[int, int], Decimal]]) -> None:
        specs = [
            self._movement(False, d, c, amt, None, linked=i < len(moves) - 1)
            for i, ((d, c), amt) in enumerate(moves)
        ]
        trial = self.model.copy()
        ok = all(self._apply_model(trial, s) for s in specs)
        outcomes = self._submit(specs)
        assert outcomes == (["created"] * len(specs) if ok else ["failed"] * len(specs))
        if ok:
            self.model = trial

    @precondition(lambda self: bool(self.sent))
    @rule(data=st.data(), change=st.booleans())
    def retry(self, data: st.DataObject, change: bool) -> None:
        tid = data.draw(st.sampled_from(sorted(self.sent)))
        spec = self.sent[tid].model_copy(update={"linked": False})  # retried on its own
        if change:
            spec = spec.model_copy(update={"reference": "changed"})
        with self.sessions.begin() as s:
            (r,) = LedgerStore(s).create_transfers([spec], now=self.now).results
        if change:
            assert r.code == "exists_with_different_fields"
        else:
            assert r.outcome.value == "exists"

    @invariant()
    def balances_match_the_model_and_the_books_balance(self) -> None:
        if not hasattr(self, "model"):
            return
        with self.sessions() as s:
            store = LedgerStore(s)
            total_d = total_c = Decimal(0)
            for i in range(ACCOUNTS):
                try:
                    v = store.get_account(self.acct(i))
                except Exception:
                    return  # before initialize
                b = self.model.bal[i]
                assert (v.debits_posted, v.credits_posted, v.pending_debits, v.pending_credits) == (
                    b.dp,
                    b.cp,
                    b.pd,
                    b.pc,
                ), i
                if i:
                    assert v.available_balance >= 0
                total_d += v.debits_posted + v.pending_debits
                total_c += v.credits_posted + v.pending_credits
            assert total_d == total_c
            twice = s.execute(
                text(
                    "SELECT count(*) FROM ledger_transfers WHERE pending_id LIKE :p "
                    "GROUP BY pending_id HAVING count(*) > 1"
                ),
                {"p": self.prefix + "-%"},
            ).all()
            assert twice == []


@pytest.mark.timeout(120)
def test_ledger_state_machine(ledger_sessions: sessionmaker[Session]) -> None:
    LedgerMachine.sessions = ledger_sessions
    machine = LedgerMachine.TestCase
    machine.settings = settings(
        max_examples=15,
        stateful_step_count=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    machine().runTest()
    with ledger_sessions() as s:
        assert LedgerStore(s).verify().clean

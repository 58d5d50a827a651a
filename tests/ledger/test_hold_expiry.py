"""Holds expire on their own: `HoldExpiryWorkflow` on a real worker against the real
PostgreSQL, and the Temporal Schedule a starting ledger worker keeps (on the dev server;
the time-skipping server has no schedules)."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from decimal import Decimal
from typing import TypeVar

import pytest
from sqlalchemy import text
from temporalio.client import (
    Client,
    ScheduleActionExecutionStartWorkflow,
    ScheduleActionStartWorkflow,
    ScheduleOverlapPolicy,
    WorkflowExecutionStatus,
)
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from activities.ledger import LedgerActivities
from clearway.contract import Queue
from clearway.db import create_db_engine
from clearway.embedded import temporal_test_server_path
from clearway.settings import Settings
from clearway.temporal_client import build_data_converter, connect
from domain.ledger import LedgerStore, expiry_transfer_id
from models.ledger import ExpirePendingInput, TransferKind
from tests.ledger.conftest import Book
from tests.recording import record_history
from workers.main import WorkerSet, build_workers
from workers.schedules import hold_expiry_schedule_id
from workflows.hold_expiry import HoldExpiryInput, HoldExpiryResult, HoldExpiryWorkflow

QUEUES = [Queue.WORKFLOWS, Queue.LEDGER]
"""What hold expiry needs; the screening worker (sanctions index) would only slow it."""


@asynccontextmanager
async def running(client: Client, settings: Settings) -> AsyncIterator[WorkerSet]:
    engine = create_db_engine(settings)
    workers = build_workers(client, settings, engine, QUEUES)
    task = asyncio.create_task(workers.run())
    try:
        yield workers
        assert not task.done() or task.exception() is None, task.exception()
    finally:
        await workers.shutdown()
        await asyncio.gather(task, return_exceptions=True)
        engine.dispose()


def sweep(book: Book) -> None:
    """Expire what other tests left due in the shared database first, so the counts below
    are this test's holds exactly."""
    with book.sessions.begin() as s:
        while LedgerStore(s).expire_pending(dt.datetime.now(dt.UTC)):
            pass


def hold(book: Book, name: str, debit: str, credit: str, *, due: bool) -> str:
    """A hold of 1.00: due one (created an hour ago, 60 s timeout) or an hour from now."""
    now = dt.datetime.now(dt.UTC)
    spec = book.transfer(
        name, debit, credit, "1", kind=TransferKind.PENDING, timeout_seconds=60 if due else 3600
    )
    assert book.create(spec, now=now - timedelta(hours=1) if due else now) == ["created"]
    return book.id(name)


def funded(book: Book, name: str, amount: str = "100") -> str:
    src, account = book.open(f"{name}-src", limited=False), book.open(name)
    past = dt.datetime.now(dt.UTC) - timedelta(hours=2)
    assert book.create(book.transfer(f"{name}-fund", src, account, amount), now=past) == ["created"]
    return account


def assert_expired_once(book: Book, hold_id: str) -> None:
    with book.sessions() as s:
        store = LedgerStore(s)
        view = store.get_transfer(hold_id)
        assert view is not None and view.state == "expired", view
        expiry = store.get_transfer(expiry_transfer_id(hold_id))
        assert expiry is not None and expiry.kind is TransferKind.EXPIRE_PENDING
        assert expiry.pending_id == hold_id
        resolutions = s.execute(
            text("SELECT count(*) FROM ledger_transfers WHERE pending_id = :p"), {"p": hold_id}
        ).scalar_one()
        assert resolutions == 1


def assert_verified(book: Book) -> None:
    with book.sessions() as s:
        report = LedgerStore(s).verify()
    assert report.clean, (report.mismatches, report.pending_problems)


async def sweep_run(
    client: Client, settings: Settings, wid: str, **kw: int
) -> tuple[HoldExpiryResult, str]:
    handle = await client.start_workflow(
        HoldExpiryWorkflow.run,
        HoldExpiryInput(ledger_queue=settings.queue(Queue.LEDGER), **kw),
        id=wid,
        task_queue=settings.queue(Queue.WORKFLOWS),
    )
    result = await asyncio.wait_for(handle.result(), 60)
    assert handle.first_execution_run_id is not None
    return result, handle.first_execution_run_id


async def test_workflow_expires_due_holds_once_in_pages(settings: Settings, book: Book) -> None:
    client = await connect(settings)
    sweep(book)
    payer, shop = funded(book, "payer"), book.open("shop")
    due = [hold(book, f"h{i}", payer, shop, due=True) for i in range(5)]
    waiting_payer, waiting_shop = funded(book, "waiting"), book.open("waiting-shop")
    waiting = hold(book, "later", waiting_payer, waiting_shop, due=False)
    assert book.balance(payer) == (Decimal(0), Decimal(100), Decimal(5), Decimal(0))

    async with running(client, settings):
        wid = f"hold-expiry-test-{uuid.uuid4().hex[:8]}"
        result, _ = await sweep_run(client, settings, wid, page_size=2, pages_per_run=3)
        assert result == HoldExpiryResult(expired=5, pages=3)  # 2, 2, then a short page
        await record_history(client, wid, "ledger_hold_expiry")
        again, _ = await sweep_run(client, settings, f"{wid}-again", page_size=2)
        assert again == HoldExpiryResult(expired=0, pages=1)

    for hold_id in due:
        assert_expired_once(book, hold_id)
    assert book.balance(payer) == (Decimal(0), Decimal(100), Decimal(0), Decimal(0))
    assert book.balance(shop) == (Decimal(0), Decimal(0), Decimal(0), Decimal(0))
    with book.sessions() as s:
        later = LedgerStore(s).get_transfer(waiting)
    assert later is not None and later.state == "pending"
    assert book.balance(waiting_payer)[2] == Decimal(1)
    assert book.balance(waiting_shop)[3] == Decimal(1)
    assert_verified(book)


async def test_a_long_sweep_continues_as_new_and_reports_the_total(
    settings: Settings, book: Book
) -> None:
    client = await connect(settings)
    sweep(book)
    payer, shop = funded(book, "payer"), book.open("shop")
    due = [hold(book, f"h{i}", payer, shop, due=True) for i in range(3)]

    async with running(client, settings):
        wid = f"hold-expiry-test-{uuid.uuid4().hex[:8]}"
        result, first_run = await sweep_run(client, settings, wid, page_size=1, pages_per_run=2)
        first = await client.get_workflow_handle(wid, run_id=first_run).describe()

    assert first.status is WorkflowExecutionStatus.CONTINUED_AS_NEW
    assert result == HoldExpiryResult(expired=3, pages=4)  # 1, 1 | 1, then an empty page
    for hold_id in due:
        assert_expired_once(book, hold_id)
    assert book.balance(payer)[2] == Decimal(0)
    assert_verified(book)


T = TypeVar("T")


async def eventually(probe: Callable[[], Awaitable[T | None]], limit_s: float = 30.0) -> T:
    async with asyncio.timeout(limit_s):
        while True:
            value = await probe()
            if value is not None:
                return value
            await asyncio.sleep(0.2)


async def test_ledger_worker_keeps_one_schedule_that_expires_holds(
    settings: Settings, book: Book
) -> None:
    client = await connect(settings)
    schedule_id = hold_expiry_schedule_id(settings)
    handle = client.get_schedule_handle(schedule_id)
    hourly = settings.model_copy(update={"hold_expiry_interval_seconds": 3600})
    every_second = settings.model_copy(update={"hold_expiry_interval_seconds": 1})
    sweep(book)
    payer, shop = funded(book, "payer"), book.open("shop")
    due = hold(book, "due", payer, shop, due=True)
    waiting = hold(book, "later", payer, shop, due=False)

    async def described() -> object:
        try:
            return await handle.describe()
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                return None
            raise

    def state_of(transfer_id: str) -> str:
        with book.sessions() as s:
            view = LedgerStore(s).get_transfer(transfer_id)
        assert view is not None and view.state is not None
        return view.state.value

    async def expired() -> bool | None:
        return True if state_of(due) == "expired" else None

    try:
        async with running(client, hourly):
            await eventually(described)
        first = await handle.describe()
        assert first.schedule.spec.intervals[0].every == timedelta(hours=1)

        # A second start (a restart with a new interval, or a second replica) updates the
        # one schedule instead of failing or adding another.
        async with running(client, every_second):
            await eventually(expired)
            desc = await handle.describe()
            assert desc.schedule.spec.intervals[0].every == timedelta(seconds=1)
            assert desc.schedule.policy.overlap is ScheduleOverlapPolicy.SKIP
            action = desc.schedule.action
            assert isinstance(action, ScheduleActionStartWorkflow)
            assert action.workflow == "HoldExpiryWorkflow"
            assert action.task_queue == settings.queue(Queue.WORKFLOWS)
            runs = [
                a.action
                for a in desc.info.recent_actions
                if isinstance(a.action, ScheduleActionExecutionStartWorkflow)
            ]
            assert runs and all(r.workflow_id.startswith(schedule_id) for r in runs)

            async def listed() -> list[str] | None:
                ids = [s.id async for s in await client.list_schedules() if s.id == schedule_id]
                return ids or None

            assert await eventually(listed) == [schedule_id]
            await handle.pause(note="test over")
            for wid in [r.workflow_id for r in (await handle.describe()).info.running_actions]:
                await asyncio.wait_for(client.get_workflow_handle(wid).result(), 30)
    finally:
        if await described() is not None:
            await handle.delete()

    assert_expired_once(book, due)
    assert state_of(waiting) == "pending"
    assert book.balance(payer)[2] == Decimal(1)  # only the hold not yet due
    assert_verified(book)


async def test_interval_zero_creates_nothing_and_touches_nothing(settings: Settings) -> None:
    """0 is for deployments that expire holds themselves: no schedule appears, and one that
    exists is not rewritten or deleted by a replica started with other settings."""
    client = await connect(settings)
    handle = client.get_schedule_handle(hold_expiry_schedule_id(settings))
    off = settings.model_copy(update={"hold_expiry_interval_seconds": 0})
    hourly = settings.model_copy(update={"hold_expiry_interval_seconds": 3600})
    async with running(client, off):
        pass
    with pytest.raises(RPCError) as absent:
        await handle.describe()
    assert absent.value.status == RPCStatusCode.NOT_FOUND
    try:
        async with running(client, hourly):
            pass
        async with running(client, off):
            pass
        kept = await handle.describe()
        assert kept.schedule.spec.intervals[0].every == timedelta(hours=1)
    finally:
        await handle.delete()


async def test_a_worker_that_cannot_keep_the_schedule_stops(settings: Settings) -> None:
    """The time-skipping server has no schedules, like a Temporal that refuses them: the
    ledger worker's start fails with the server's error and its workers stop, rather than
    serving on while no hold ever expires."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=temporal_test_server_path()
    )
    try:
        config = env.client.config()
        config["data_converter"] = build_data_converter(settings)
        client = Client(**config)
        engine = create_db_engine(settings)
        on = settings.model_copy(update={"hold_expiry_interval_seconds": 30})
        try:
            workers = build_workers(client, on, engine, QUEUES)
            with pytest.raises(RPCError):
                await asyncio.wait_for(workers.run(), 30)
        finally:
            engine.dispose()
    finally:
        await env.shutdown()


def test_a_page_heartbeats_while_it_waits_on_the_database(book: Book) -> None:
    """A page stuck behind a lock (or just slow) keeps beating, so the workflow's heartbeat
    timeout only fires for a worker that died; the page still expires its hold once."""
    sweep(book)
    payer, shop = funded(book, "payer"), book.open("shop")
    due = hold(book, "due", payer, shop, due=True)
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, heartbeat_timeout=timedelta(seconds=0.3))
    beats: list[object] = []
    env.on_heartbeat = lambda *details: beats.append(details)

    locker = book.sessions()
    locker.execute(text("SELECT 1 FROM accounts WHERE account_id = :a FOR UPDATE"), {"a": payer})
    release = threading.Timer(1.2, locker.commit)
    release.start()
    try:
        result = env.run(
            LedgerActivities(book.sessions).expire_pending_transfers,
            ExpirePendingInput(now=dt.datetime.now(dt.UTC)),
        )
    finally:
        release.join()
        locker.close()
    assert result.expired == 1
    assert len(beats) >= 5, beats  # every 0.1 s for 1.2 s
    assert_expired_once(book, due)

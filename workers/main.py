"""Worker process: one Temporal worker per task queue, all in one process by default.

Queues follow scaling concerns (`clearway.contract.Queue`): `workflows` (orchestration,
cheap), `records` (case and customer writes, PostgreSQL-bound, thread pool sized to the
connection pool), `screening` (CPU-bound checks on a thread pool; the sanctions index and
risk model are built once here and shared by every activity call) and `ledger`.
`clearway worker --queues records` runs just one of them.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.worker import Worker

from activities.cases import CaseActivities
from activities.customers import CustomerActivities
from activities.kyc_checks import (
    DocumentActivities,
    KycChecksActivities,
    RiskActivities,
    ScreeningActivities,
)
from activities.ledger import LedgerActivities
from activities.rescreening import RescreeningActivities
from clearway.contract import QUEUE_NAMES, Queue
from clearway.db import session_factory
from clearway.logging import get_logger
from clearway.settings import Settings
from domain.risk import load_risk_model
from workers.interceptors import ClearwayErrorInterceptor
from workers.schedules import ensure_hold_expiry_schedule
from workflows.registry import WORKFLOWS, workflow_runner

log = get_logger(__name__)


GRACEFUL_SHUTDOWN = timedelta(seconds=10)
"""On SIGTERM, in-flight activities get this long to finish before they are cancelled (and
retried elsewhere): most finish in milliseconds, and a clean finish avoids a retry."""


SCREENING_THREADS = 8


def activity_name(fn: Callable[..., Any]) -> str:
    """The name an `@activity.defn` callable registers under."""
    defn = getattr(fn, "__temporal_activity_definition", None)
    if defn is None or not isinstance(defn.name, str):
        raise TypeError(f"{fn!r} is not a named Temporal activity")
    return str(defn.name)


class WorkerSet:
    """The workers of one process plus the executors they own, so shutdown frees both."""

    def __init__(
        self,
        workers: list[Worker],
        executors: list[concurrent.futures.Executor],
        activities: dict[str, list[str]],
        on_start: Sequence[Callable[[], Awaitable[None]]] = (),
    ):
        self.workers = workers
        self.executors = executors
        self.activities = activities
        """Activity names registered per task queue (checked against the contract)."""
        self.on_start = list(on_start)
        """Run once as the workers start polling (the schedules this process keeps up to
        date). A failing step stops the workers and fails `run`, so the process exits and
        is restarted: a ledger worker that cannot keep holds expiring should be seen, not
        serve on quietly."""

    async def run(self) -> None:
        # Polling starts first: `Worker.shutdown` waits for a run that has begun.
        polling = asyncio.gather(*(w.run() for w in self.workers))
        try:
            try:
                for step in self.on_start:
                    await step()
            except BaseException:
                await self.shutdown()
                await asyncio.gather(polling, return_exceptions=True)
                raise
            await polling
        finally:
            for ex in self.executors:
                ex.shutdown(wait=False, cancel_futures=True)

    async def shutdown(self) -> None:
        await asyncio.gather(*(w.shutdown() for w in self.workers), return_exceptions=True)


def build_workers(
    client: Client,
    settings: Settings,
    engine: Engine | None,
    queues: Sequence[str] = QUEUE_NAMES,
) -> WorkerSet:
    unknown = set(queues) - set(QUEUE_NAMES)
    if unknown:
        raise ValueError(f"unknown task queue(s): {', '.join(sorted(unknown))}")
    workers: list[Worker] = []
    executors: list[concurrent.futures.Executor] = []
    registered: dict[str, list[str]] = {}
    on_start: list[Callable[[], Awaitable[None]]] = []

    def add(queue: Queue, activities: list[Callable[..., Any]], threads: int) -> None:
        """One activity worker on its own thread pool; domain errors typed by the catalogue."""
        pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=threads, thread_name_prefix=queue.value
        )
        executors.append(pool)
        workers.append(
            Worker(
                client,
                task_queue=settings.queue(queue),
                activities=activities,
                activity_executor=pool,
                max_concurrent_activities=threads,
                graceful_shutdown_timeout=GRACEFUL_SHUTDOWN,
                interceptors=[ClearwayErrorInterceptor()],
            )
        )
        registered[queue.value] = [activity_name(fn) for fn in activities]

    if Queue.WORKFLOWS in queues:
        workers.append(
            Worker(
                client,
                task_queue=settings.queue(Queue.WORKFLOWS),
                workflows=WORKFLOWS,
                workflow_runner=workflow_runner(),
                graceful_shutdown_timeout=GRACEFUL_SHUTDOWN,
            )
        )
    records: list[Callable[..., Any]] = []
    if Queue.RECORDS in queues or Queue.LEDGER in queues:
        if engine is None:
            raise ValueError("the records and ledger queues need a database engine")
        sessions = session_factory(engine)
        cases, customers = CaseActivities(sessions), CustomerActivities(sessions)
        records = [
            cases.open_case,
            cases.record_case_event,
            customers.open_customer_account,
            customers.freeze_customer,
        ]
        ledger = LedgerActivities(sessions)
    if Queue.RECORDS in queues:
        add(Queue.RECORDS, records, settings.database_pool_size)
    if Queue.LEDGER in queues:
        # The ledger worker serves the case and customer writes too: executions started
        # before the records queue existed still send them to the queue named `ledger`.
        ledger_activities: list[Callable[..., Any]] = [
            ledger.create_transfers,
            ledger.post_deposit,
            ledger.ingest_camt054,
            ledger.expire_pending_transfers,
        ]
        add(Queue.LEDGER, ledger_activities + records, settings.database_pool_size)
        on_start.append(lambda: ensure_hold_expiry_schedule(client, settings))
    if Queue.SCREENING in queues:
        model = load_risk_model(settings.risk_model_path)
        if engine is None:
            raise ValueError("the screening queue needs a database engine (document images)")
        documents = DocumentActivities(session_factory(engine))
        screening = ScreeningActivities(
            settings.sanctions_lists, settings.screening_threshold, session_factory(engine)
        )
        rescreening = RescreeningActivities(session_factory(engine), model)
        risk = RiskActivities(model)
        checks = KycChecksActivities(documents, screening, risk)
        add(
            Queue.SCREENING,
            [
                checks.run_kyc_checks,
                # The single steps stay registered for executions started before the
                # `kyc-checks-in-one-activity` patch (see CustomerOnboardingWorkflow).
                documents.verify_documents,
                screening.screen_party,
                risk.assess_risk,
                rescreening.compute_list_delta,
                rescreening.rescreen_customers_page,
            ],
            SCREENING_THREADS,
        )
    log.info("workers built", queues=[w.task_queue for w in workers])
    return WorkerSet(workers, executors, registered, on_start)

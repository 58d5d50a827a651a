"""Worker process: one Temporal worker per task queue, all in one process by default.

Queues follow scaling concerns (DESIGN.md): `workflows` (orchestration, cheap),
`ledger` (PostgreSQL-bound, thread pool sized to the connection pool) and `screening`
(CPU-bound checks on a thread pool; the sanctions index and risk model are built once here
and shared by every activity call). `clearway worker --queues ledger` runs just one of them.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Sequence
from datetime import timedelta

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
from activities.rescreening import CustomerStatusActivities, RescreeningActivities
from clearway.db import session_factory
from clearway.logging import get_logger
from clearway.settings import QUEUE_NAMES, Settings
from domain.risk import load_risk_model
from workflows.registry import WORKFLOWS, workflow_runner

log = get_logger(__name__)


GRACEFUL_SHUTDOWN = timedelta(seconds=10)
"""On SIGTERM, in-flight activities get this long to finish before they are cancelled (and
retried elsewhere): most finish in milliseconds, and a clean finish avoids a retry."""


class WorkerSet:
    """The workers of one process plus the executors they own, so shutdown frees both."""

    def __init__(self, workers: list[Worker], executors: list[concurrent.futures.Executor]):
        self.workers = workers
        self.executors = executors

    async def run(self) -> None:
        try:
            await asyncio.gather(*(w.run() for w in self.workers))
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
    if "workflows" in queues:
        workers.append(
            Worker(
                client,
                task_queue=settings.queue("workflows"),
                workflows=WORKFLOWS,
                workflow_runner=workflow_runner(),
                graceful_shutdown_timeout=GRACEFUL_SHUTDOWN,
            )
        )
    if "ledger" in queues:
        if engine is None:
            raise ValueError("the ledger queue needs a database engine")
        sessions = session_factory(engine)
        pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=settings.database_pool_size, thread_name_prefix="ledger"
        )
        executors.append(pool)
        cases, customers = CaseActivities(sessions), CustomerActivities(sessions)
        ledger = LedgerActivities(sessions)
        workers.append(
            Worker(
                client,
                task_queue=settings.queue("ledger"),
                activities=[
                    cases.open_case,
                    cases.record_case_event,
                    customers.open_customer_account,
                    CustomerStatusActivities(sessions).freeze_customer,
                    ledger.create_transfers,
                    ledger.post_deposit,
                    ledger.ingest_camt054,
                    ledger.expire_pending_transfers,
                ],
                activity_executor=pool,
                max_concurrent_activities=settings.database_pool_size,
                graceful_shutdown_timeout=GRACEFUL_SHUTDOWN,
            )
        )
    if "screening" in queues:
        model = load_risk_model(settings.risk_model_path)
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="screening")
        executors.append(pool)
        if engine is None:
            raise ValueError("the screening queue needs a database engine (document images)")
        documents = DocumentActivities(session_factory(engine))
        screening = ScreeningActivities(
            settings.sanctions_lists, settings.screening_threshold, session_factory(engine)
        )
        rescreening = RescreeningActivities(session_factory(engine), model)
        risk = RiskActivities(model)
        checks = KycChecksActivities(documents, screening, risk)
        workers.append(
            Worker(
                client,
                task_queue=settings.queue("screening"),
                activities=[
                    checks.run_kyc_checks,
                    # The single steps stay registered for executions started before the
                    # `kyc-checks-in-one-activity` patch (see CustomerOnboardingWorkflow).
                    documents.verify_documents,
                    screening.screen_party,
                    risk.assess_risk,
                    rescreening.compute_list_delta,
                    rescreening.rescreen_customers_page,
                ],
                activity_executor=pool,
                max_concurrent_activities=8,
                graceful_shutdown_timeout=GRACEFUL_SHUTDOWN,
            )
        )
    log.info("workers built", queues=[w.task_queue for w in workers])
    return WorkerSet(workers, executors)

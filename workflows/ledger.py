"""Ledger workflows: money movements the API starts, keyed by business ids.

`DepositWorkflow` (`deposit-{deposit_id}`) and `Camt054Workflow` (`camt054-{message id}`)
each run one activity; what they add is durability: an API call that times out, a worker
killed mid-post or PostgreSQL down for a while leaves a workflow that finishes the posting
once when things come back, and the business id finds it again on a retried request.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from clearway.contract import Activity, non_retryable
    from models.common import FrozenModel
    from models.ledger import (
        Camt054Input,
        Camt054Result,
        CreateTransfersInput,
        CreateTransfersResult,
        DepositInput,
        DepositResult,
    )


LEDGER_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=2),
    non_retryable_error_types=non_retryable(),
)
"""Retry outages (database down, worker killed) without a cap; never retry a refusal."""

ACTIVITY_TIMEOUT = timedelta(seconds=10)
"""A posting takes milliseconds; an attempt lost with a killed worker is retried after this
long. Retrying is safe at any point: every write is keyed by its transfer id."""


class DepositWorkflowInput(FrozenModel):
    deposit: DepositInput
    ledger_queue: str


class Camt054WorkflowInput(FrozenModel):
    notification: Camt054Input
    ledger_queue: str


class TransferBatchWorkflowInput(FrozenModel):
    batch: CreateTransfersInput
    ledger_queue: str


def transfer_batch_workflow_id(batch_id: str) -> str:
    return f"transfers-{batch_id}"


def deposit_workflow_id(deposit_id: str) -> str:
    return f"deposit-{deposit_id}"


def camt054_workflow_id(message_id: str) -> str:
    return f"camt054-{message_id}"


@workflow.defn
class DepositWorkflow:
    @workflow.run
    async def run(self, inp: DepositWorkflowInput) -> DepositResult:
        result: DepositResult = await workflow.execute_activity(
            Activity.POST_DEPOSIT,
            inp.deposit,
            result_type=DepositResult,
            task_queue=inp.ledger_queue,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=LEDGER_RETRY,
        )
        return result


@workflow.defn
class Camt054Workflow:
    @workflow.run
    async def run(self, inp: Camt054WorkflowInput) -> Camt054Result:
        result: Camt054Result = await workflow.execute_activity(
            Activity.INGEST_CAMT054,
            inp.notification,
            result_type=Camt054Result,
            task_queue=inp.ledger_queue,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=LEDGER_RETRY,
        )
        return result


@workflow.defn
class TransferBatchWorkflow:
    """A `create_transfers` batch made durable (`transfers-{batch_id}`): internal movements,
    settlement legs and the like. Per-transfer refusals are in the result, not failures."""

    @workflow.run
    async def run(self, inp: TransferBatchWorkflowInput) -> CreateTransfersResult:
        result: CreateTransfersResult = await workflow.execute_activity(
            Activity.CREATE_TRANSFERS,
            inp.batch,
            result_type=CreateTransfersResult,
            task_queue=inp.ledger_queue,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=LEDGER_RETRY,
        )
        return result

"""HoldExpiryWorkflow: release two-phase holds whose timeout has passed, with no cron job.

A Temporal Schedule (`workers/schedules.py`, overlap SKIP) starts one run every
`hold_expiry_interval_seconds`; the run expires due holds a page at a time until a page
comes back short. Each page is one activity and one transaction, so a killed worker or a
database outage loses at most the page in flight, which the retry redoes: every expiry is
a transfer with a deterministic id (`expire.{pending_id}`) and the due holds are taken
FOR UPDATE SKIP LOCKED, so an operator's `clearway ledger expire` running at the same time
is harmless. A run continues as new every `pages_per_run` pages (or when Temporal suggests
it), so a backlog of any size never reaches the history limit.

`now` is the workflow's clock (`workflow.now()`), passed to the activity: recorded in
history, so a replay or a retried page expires exactly what the first attempt was asked to.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from pydantic import Field

    from clearway.contract import Activity
    from models.common import FrozenModel
    from models.ledger import ExpirePendingInput, ExpirePendingResult
    from workflows.ledger import LEDGER_RETRY

HOLD_EXPIRY_ID = "ledger-hold-expiry"
"""Schedule id and workflow id stem (behind the task queue prefix); it names no one. The
schedule appends the scheduled time to the workflow id of each run."""

PAGE_TIMEOUT = timedelta(seconds=60)
"""A page of a thousand expiries takes well under a second on a healthy database; the
bound only matters for an attempt that hangs, and the heartbeat catches a dead worker
sooner."""
PAGE_HEARTBEAT = timedelta(seconds=10)
"""The activity beats while its page runs, so a killed worker's page is retried within
seconds (its connection, and with it the row locks, died with it)."""


class HoldExpiryInput(FrozenModel):
    ledger_queue: str
    page_size: int = Field(default=1000, gt=0)
    pages_per_run: int = Field(default=100, gt=0)
    expired_before: int = 0
    """Carried across continue-as-new, so the last run reports the whole sweep."""
    pages_before: int = 0


class HoldExpiryResult(FrozenModel):
    expired: int
    pages: int


@workflow.defn
class HoldExpiryWorkflow:
    @workflow.run
    async def run(self, inp: HoldExpiryInput) -> HoldExpiryResult:
        expired, pages = inp.expired_before, inp.pages_before
        for _ in range(inp.pages_per_run):
            page: ExpirePendingResult = await workflow.execute_activity(
                Activity.EXPIRE_PENDING_TRANSFERS,
                ExpirePendingInput(now=workflow.now(), limit=inp.page_size),
                result_type=ExpirePendingResult,
                task_queue=inp.ledger_queue,
                start_to_close_timeout=PAGE_TIMEOUT,
                heartbeat_timeout=PAGE_HEARTBEAT,
                retry_policy=LEDGER_RETRY,
            )
            expired += page.expired
            pages += 1
            if page.expired < inp.page_size:
                return HoldExpiryResult(expired=expired, pages=pages)
            if workflow.info().is_continue_as_new_suggested():
                break
        workflow.continue_as_new(
            inp.model_copy(update={"expired_before": expired, "pages_before": pages})
        )

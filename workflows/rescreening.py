"""RescreeningWorkflow: screen every active customer against what a list update changed.

One execution per list version (`rescreening-{source}-{hash[:16]}`). The delta is computed
once per chunk and recorded in history; customers are read in keyset pages by an activity
that screens them against an index of only the delta, and every customer with a new hit
gets a `CustomerReviewWorkflow` child. The run continues as new every `pages_per_run`
pages (or sooner if Temporal suggests it), carrying only the cursor and counters, so the
size of the customer base never reaches the history limit.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from clearway.contract import Activity, DeltaMismatch, ListChanged, non_retryable
    from models.rescreening import (
        ComputeListDeltaInput,
        CustomerHit,
        CustomerReviewInput,
        ListDeltaChunk,
        RescreenCustomersPageInput,
        RescreenCustomersPageResult,
        RescreeningInput,
        RescreeningProgress,
        RescreeningSummary,
        review_workflow_id,
    )
    from workflows.customer_review import CustomerReviewWorkflow

SCREEN_HEARTBEAT = timedelta(seconds=10)
"""Both activities beat while they work, so a crashed worker's page resumes in seconds."""
SCREEN_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(minutes=1),
    non_retryable_error_types=non_retryable(ListChanged, DeltaMismatch),
)


@workflow.defn
class RescreeningWorkflow:
    @workflow.init
    def __init__(self, inp: RescreeningInput) -> None:
        self._inp = inp
        self._progress: RescreeningProgress = inp.progress

    @workflow.run
    async def run(self, inp: RescreeningInput) -> RescreeningSummary:
        cfg = inp.config
        pages_this_run = 0
        while True:
            if self._progress.chunk is None:
                p = self._progress
                if p.delta_total is not None and p.next_offset >= p.delta_total:
                    return self._summary(finished=True)
                delta = await self._compute_delta(p.next_offset)
                if not delta.entries:
                    self._progress = p.model_copy(update={"delta_total": delta.total})
                    return self._summary(finished=True)
                self._progress = p.model_copy(
                    update={
                        "chunk": delta.ref(inp.previous, inp.current),
                        "delta_total": delta.total,
                        "after_customer_id": None,
                    }
                )
            if (
                pages_this_run >= cfg.pages_per_run
                or workflow.info().is_continue_as_new_suggested()
            ):
                workflow.continue_as_new(
                    inp.model_copy(
                        update={
                            "progress": self._progress.model_copy(
                                update={"runs": self._progress.runs + 1}
                            )
                        }
                    )
                )
            page = await self._screen_page()
            pages_this_run += 1
            started, existing = await self._start_reviews(page.hits)
            p = self._progress
            update: dict[str, object] = {
                "after_customer_id": page.next_cursor,
                "customers_screened": p.customers_screened + page.screened,
                "pages": p.pages + 1,
                "reviews_started": p.reviews_started + started,
                "reviews_existing": p.reviews_existing + existing,
                "suppressed": p.suppressed + page.suppressed,
            }
            if page.next_cursor is None and p.chunk is not None:
                # This delta chunk has met every customer; the next one starts after it.
                update["chunk"] = None
                update["next_offset"] = p.chunk.offset + p.chunk.limit
            self._progress = p.model_copy(update=update)

    async def _compute_delta(self, offset: int) -> ListDeltaChunk:
        result: ListDeltaChunk = await workflow.execute_activity(
            Activity.COMPUTE_LIST_DELTA,
            ComputeListDeltaInput(
                previous=self._inp.previous,
                current=self._inp.current,
                offset=offset,
                limit=self._inp.config.delta_chunk,
            ),
            result_type=ListDeltaChunk,
            task_queue=self._inp.config.screening_queue,
            start_to_close_timeout=timedelta(minutes=5),
            heartbeat_timeout=SCREEN_HEARTBEAT,
            retry_policy=SCREEN_RETRY,
        )
        workflow.logger.info(
            "list delta",
            extra={
                "source": self._inp.source,
                "total": result.total,
                "added": result.added,
                "changed": result.changed,
                "removed": result.removed,
                "offset": offset,
            },
        )
        return result

    async def _screen_page(self) -> RescreenCustomersPageResult:
        assert self._progress.chunk is not None
        result: RescreenCustomersPageResult = await workflow.execute_activity(
            Activity.RESCREEN_CUSTOMERS_PAGE,
            RescreenCustomersPageInput(
                delta=self._progress.chunk,
                after_customer_id=self._progress.after_customer_id,
                page_size=self._inp.config.page_size,
                threshold=self._inp.threshold,
            ),
            result_type=RescreenCustomersPageResult,
            task_queue=self._inp.config.screening_queue,
            start_to_close_timeout=timedelta(minutes=5),
            heartbeat_timeout=SCREEN_HEARTBEAT,
            retry_policy=SCREEN_RETRY,
        )
        return result

    async def _start_reviews(self, hits: list[CustomerHit]) -> tuple[int, int]:
        """Start a review per hit; an id already used means this version already reviewed
        that customer (an earlier page, run, or execution), so it is counted, not doubled."""
        outcomes = await asyncio.gather(*(self._start_review(hit) for hit in hits))
        started = sum(1 for o in outcomes if o)
        return started, len(outcomes) - started

    async def _start_review(self, hit: CustomerHit) -> bool:
        try:
            await workflow.start_child_workflow(
                CustomerReviewWorkflow.run,
                CustomerReviewInput(
                    customer_id=hit.customer_id,
                    source=self._inp.source,
                    content_hash=self._inp.current.content_hash,
                    hit=hit,
                    config=self._inp.config.review,
                ),
                id=review_workflow_id(hit.customer_id, self._inp.current.content_hash),
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
            )
        except WorkflowAlreadyStartedError:
            return False
        return True

    @workflow.query
    def progress(self) -> RescreeningProgress:
        return self._progress

    def _summary(self, *, finished: bool) -> RescreeningSummary:
        p = self._progress
        return RescreeningSummary(
            source=self._inp.source,
            content_hash=self._inp.current.content_hash,
            delta_entries=p.delta_total or 0,
            customers_screened=p.customers_screened,
            pages=p.pages,
            runs=p.runs,
            reviews_started=p.reviews_started,
            reviews_existing=p.reviews_existing,
            suppressed=p.suppressed,
            finished=finished,
        )

"""Temporal Schedules the workers own: today, the one that releases expired ledger holds.

The ledger worker creates or updates the schedule as it starts (`build_workers` hands it to
`WorkerSet.run`). That is the one process present in every deployment that can expire a
hold, it starts again after every deploy or settings change, and it already holds the
settings the schedule is made of (interval, task queue prefix), so the schedule follows
the configuration with no extra deployment step. Replicas and restarts all converge on one
schedule: its id is fixed, a create that finds it updates it in place instead, and every
updater writes the same thing. 0 seconds leaves the server alone.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from clearway.contract import Queue
from clearway.logging import get_logger
from clearway.settings import Settings
from workflows.hold_expiry import HOLD_EXPIRY_ID, HoldExpiryInput, HoldExpiryWorkflow

log = get_logger(__name__)

CATCHUP_WINDOW = timedelta(minutes=1)
"""After a Temporal outage, one missed run is made up if it is this recent; older ones are
not worth replaying, since any run expires everything due by then."""


def hold_expiry_schedule_id(settings: Settings) -> str:
    """Behind the task queue prefix, like the queues: stacks sharing a server keep apart."""
    return f"{settings.task_queue_prefix}{HOLD_EXPIRY_ID}"


def hold_expiry_schedule(settings: Settings) -> Schedule:
    """Overlap SKIP: while a run is still working through a backlog (or waiting out a
    database outage) further starts are dropped instead of queued, so runs never pile up
    and never compete for the same holds."""
    return Schedule(
        action=ScheduleActionStartWorkflow(
            HoldExpiryWorkflow.run,
            HoldExpiryInput(ledger_queue=settings.queue(Queue.LEDGER)),
            id=hold_expiry_schedule_id(settings),
            task_queue=settings.queue(Queue.WORKFLOWS),
        ),
        spec=ScheduleSpec(
            intervals=[
                ScheduleIntervalSpec(every=timedelta(seconds=settings.hold_expiry_interval_seconds))
            ]
        ),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=CATCHUP_WINDOW),
    )


async def ensure_hold_expiry_schedule(client: Client, settings: Settings) -> None:
    """Make the server's schedule match the settings: create it, or rewrite the action,
    interval and policy of the one there. Its state (an operator's pause and note) is left
    as it is. With the interval at 0 nothing is touched: not even a delete, so one replica
    started with other settings cannot make the schedule flap (delete it with the Temporal
    CLI)."""
    schedule_id = hold_expiry_schedule_id(settings)
    if settings.hold_expiry_interval_seconds == 0:
        return
    wanted = hold_expiry_schedule(settings)
    try:
        await client.create_schedule(schedule_id, wanted)
    except ScheduleAlreadyRunningError:
        pass
    else:
        log.info(
            "hold expiry schedule created",
            schedule_id=schedule_id,
            every_s=settings.hold_expiry_interval_seconds,
        )
        return

    def update(current: ScheduleUpdateInput) -> ScheduleUpdate:
        return ScheduleUpdate(
            schedule=dataclasses.replace(wanted, state=current.description.schedule.state)
        )

    await client.get_schedule_handle(schedule_id).update(update)
    log.info(
        "hold expiry schedule updated",
        schedule_id=schedule_id,
        every_s=settings.hold_expiry_interval_seconds,
    )

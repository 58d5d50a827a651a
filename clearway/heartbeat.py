"""Heartbeats for synchronous activities that may run long (OCR of a scan, screening).

A heartbeat timeout lets Temporal notice a dead worker in seconds instead of waiting for the
start-to-close timeout (90 s for the KYC checks): the attempt is failed and retried on a
live worker. The work itself is a blocking call that cannot stop to report, so a timer
thread heartbeats for it while it runs, in a copy of the activity's context.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from temporalio import activity

DEFAULT_INTERVAL_S = 2.0
"""Used when the caller set no heartbeat timeout (the heartbeats are then harmless)."""


def heartbeat_interval() -> float:
    """A third of the heartbeat timeout, so two beats can be lost before the server gives
    up on the attempt."""
    timeout = activity.info().heartbeat_timeout
    if timeout is None or timeout.total_seconds() <= 0:
        return DEFAULT_INTERVAL_S
    return max(0.1, timeout.total_seconds() / 3)


@contextmanager
def heartbeating(interval: float | None = None) -> Iterator[None]:
    """Heartbeat every `interval` seconds until the block ends (however it ends)."""
    period = interval if interval is not None else heartbeat_interval()
    context = contextvars.copy_context()
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(period):
            context.run(activity.heartbeat)

    activity.heartbeat()
    thread = threading.Thread(target=beat, name="activity-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()

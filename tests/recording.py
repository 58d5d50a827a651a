"""Keep histories of real runs for the replay test (tests/test_replay.py).

Off by default; `CLEARWAY_RECORD_HISTORIES=1` refreshes them. Refresh only together with a
`workflow.patched` guard for the old path, or running executions would break.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from temporalio.client import Client

HISTORIES = Path(__file__).resolve().parent / "histories"


async def record_history(client: Client, workflow_id: str, name: str) -> None:
    if not os.environ.get("CLEARWAY_RECORD_HISTORIES"):
        return
    handle = client.get_workflow_handle(workflow_id)
    await handle.result()
    history = await handle.fetch_history()
    HISTORIES.mkdir(exist_ok=True)
    # Child workflow ids derive from the parent's, so replay needs the real id: kept beside
    # the events (the history itself does not name its own workflow).
    recorded = {"workflowId": workflow_id, **json.loads(history.to_json())}
    (HISTORIES / f"{name}.json").write_text(json.dumps(recorded))

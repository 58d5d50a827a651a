"""Recorded histories must replay against today's workflow code.

A change that would break running executions (reordered activities, a new step without
`workflow.patched`) fails here. Refresh the recordings deliberately with
`CLEARWAY_RECORD_HISTORIES=1 pytest tests/integration/test_onboarding_api.py`, and only
together with a patch that keeps the old path.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import SecretStr
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from clearway.settings import Settings
from clearway.temporal_client import build_data_converter
from tests.conftest import TEST_ENCRYPTION_KEYS, TEST_HMAC_KEY, TEST_JWT_SECRET
from workflows.registry import WORKFLOWS, workflow_runner

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def test_recorded_histories_exist() -> None:
    assert len(HISTORIES) >= 2, "keep recorded histories for the replay test"
    recorded = {
        json.loads(p.read_text())["events"][0]["workflowExecutionStartedEventAttributes"][
            "workflowType"
        ]["name"]
        for p in HISTORIES
    }
    registered = {w.__name__ for w in WORKFLOWS}
    assert recorded == registered, f"no recorded history for {registered - recorded}"


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_recorded_history_replays(path: Path) -> None:
    settings = Settings(
        encryption_keys=SecretStr(TEST_ENCRYPTION_KEYS),
        jwt_secret=SecretStr(TEST_JWT_SECRET),
        request_hmac_key=SecretStr(TEST_HMAC_KEY),
    )
    converter = build_data_converter(settings)
    recorded = json.loads(path.read_text())  # noqa: ASYNC240
    workflow_id = recorded.pop("workflowId", path.stem)
    history = WorkflowHistory.from_json(workflow_id, recorded)
    replayer = Replayer(
        workflows=WORKFLOWS, data_converter=converter, workflow_runner=workflow_runner()
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, f"{path.name}: {result.replay_failure}"

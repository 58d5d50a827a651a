"""List update → re-screening → review cases → officer decisions, on the real stack.

The list is the real OFAC SDN file plus appended rows naming customers this test onboards;
the update goes through the `clearway lists update` command, the decisions through the
case API, and the outcome is read back from PostgreSQL.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from click.testing import CliRunner, Result
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from temporalio.client import WorkflowHandle
from temporalio.service import RPCError

from clearway.db import create_db_engine, session_factory
from clearway.settings import DATA_ROOT, Settings
from cli.lists import lists
from domain.screening.active import active_specs
from domain.screening.loaders import content_hash, list_files
from models.rescreening import RescreeningInput, RescreeningSummary, rescreening_workflow_id
from models.screening import ListFormat, ListSpec
from models.tables import Customer, SanctionsListVersion
from tests.factories import application
from tests.integration.test_onboarding_api import decide, submit
from tests.recording import record_history
from tests.stack import Stack, running_stack

OFAC_DIR = DATA_ROOT / "sanctions" / "ofac"
# Made-up people, unlike any listed name: only the rows this test appends can match them.
FROZEN_PERSON = {
    "given_names": "Ingeborg Maren",
    "surname": "Brandvold",
    "dob": dt.date(1979, 11, 23),
}
CLEARED_PERSON = {"given_names": "Halvard", "surname": "Quistgaard", "dob": dt.date(1962, 4, 2)}


@pytest.fixture
def source(settings: Settings) -> Iterator[str]:
    """A source of this test only: list versions are global state in the shared database."""
    name = f"t_{uuid.uuid4().hex[:10]}"
    yield name
    engine = create_db_engine(settings)
    with session_factory(engine).begin() as db:
        db.execute(delete(SanctionsListVersion).where(SanctionsListVersion.source == name))
    engine.dispose()


@pytest_asyncio.fixture
async def stack(settings: Settings) -> AsyncIterator[Stack]:
    async with running_stack(settings) as s:
        yield s


def cli_settings(settings: Settings, source: str) -> Settings:
    """The test source's baseline is the real SDN file, as if it were configured."""
    baseline = ListSpec(source=source, format=ListFormat.OFAC_CSV, path=str(OFAC_DIR / "sdn.csv"))
    return settings.model_copy(update={"sanctions_lists": [*settings.sanctions_lists, baseline]})


def sdn_row(ent_num: int, name: str, remarks: str) -> str:
    blanks = ",".join(["-0- "] * 7)
    return f'{ent_num},"{name}","individual","SDGT",{blanks},"{remarks}"\n'


def write_list(directory: Path, extra_rows: list[str], corrupt_line: int | None = None) -> Path:
    directory.mkdir(parents=True)
    for name in ("alt.csv", "add.csv"):
        shutil.copy(OFAC_DIR / name, directory / name)
    text = (OFAC_DIR / "sdn.csv").read_text(encoding="utf-8").rstrip("\x1a\r\n ") + "\n"
    lines = text.splitlines(keepends=True) + extra_rows
    if corrupt_line is not None:
        lines[corrupt_line - 1] = '4242,"HALF A ROW","individual"\n'
    path = directory / "sdn.csv"
    path.write_text("".join(lines), encoding="utf-8")
    return path


def listing(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


async def run_update(settings: Settings, source: str, path: Path) -> Result:
    runner = CliRunner()
    return await asyncio.to_thread(
        runner.invoke, lists, ["update", "--source", source, str(path)], obj=settings
    )


async def onboard(stack: Stack, person: dict[str, Any]) -> str:
    app_id = await submit(stack, application(**person))
    state = await stack.wait_status(app_id, {"approved", "rejected", "pending_review"})
    assert state["status"] == "approved", state
    return str(state["customer_id"])


async def open_review(stack: Stack, customer_id: str) -> dict[str, Any]:
    """The review's case is opened by the child workflow shortly after it starts."""
    headers = stack.token("officer", sub="queue-reader")
    async with asyncio.timeout(20):
        while True:
            resp = await stack.http.get("/v1/cases?kind=rescreening&limit=200", headers=headers)
            assert resp.status_code == 200, resp.text
            mine = [c for c in resp.json()["items"] if c["subject"] == customer_id]
            if mine:
                assert len(mine) == 1, mine
                return mine[0]
            await asyncio.sleep(0.1)


async def rescreening_cases(stack: Stack, customer_id: str) -> list[dict[str, Any]]:
    headers = stack.token("officer", sub="queue-reader")
    found = []
    for status in ("open", "closed"):
        resp = await stack.http.get(
            f"/v1/cases?kind=rescreening&status={status}&limit=200", headers=headers
        )
        found += [c for c in resp.json()["items"] if c["subject"] == customer_id]
    return found


async def test_list_update_rescreens_customers_and_officers_decide(
    stack: Stack, source: str, tmp_path: Path
) -> None:
    frozen_id = await onboard(stack, FROZEN_PERSON)
    cleared_id = await onboard(stack, CLEARED_PERSON)
    rows = [
        sdn_row(99000001, "BRANDVOLD, Ingeborg Maren", "DOB 23 Nov 1979; nationality Sweden."),
        # Same name, listed birth year 1958: a possible match, not a strong one.
        sdn_row(99000002, "QUISTGAARD, Halvard", "DOB 1958."),
    ]
    path = write_list(tmp_path / "update", rows)
    settings = cli_settings(stack.settings, source)

    result = await run_update(settings, source, path)
    assert result.exit_code == 0, result.output
    assert "re-screening started" in result.output

    with Session(stack.engine) as db:
        versions = db.scalars(
            select(SanctionsListVersion).where(SanctionsListVersion.source == source)
        ).all()
    [active] = [v for v in versions if v.active]
    [baseline] = [v for v in versions if not v.active]
    assert active.previous_hash == baseline.content_hash
    assert Path(active.stored_path).parent == tmp_path / "lists" / source / active.content_hash
    assert listing(Path(active.stored_path).parent) == ["add.csv", "alt.csv", "sdn.csv"]
    specs = active_specs(stack.settings.sanctions_lists, session_factory(stack.engine))
    assert ListSpec(source=source, format=ListFormat.OFAC_CSV, path=active.stored_path) in specs

    shown = await asyncio.to_thread(CliRunner().invoke, lists, ["show"], obj=settings)
    assert shown.exit_code == 0, shown.output
    [line] = [ln for ln in shown.output.splitlines() if active.content_hash[:16] in ln]
    assert line.startswith(source) and line.endswith("*")

    workflow_id = rescreening_workflow_id(source, active.content_hash)
    handle: WorkflowHandle[Any, RescreeningSummary] = stack.client.get_workflow_handle(
        workflow_id, result_type=RescreeningSummary
    )
    summary = await asyncio.wait_for(handle.result(), 30)
    assert summary.delta_entries == 2 and summary.finished
    assert summary.reviews_started == 2, summary

    strong = await open_review(stack, frozen_id)
    assert strong["required_approvals"] == 2
    assert [r["code"] for r in strong["reasons"]] == ["SCREENING_STRONG_MATCH"]
    assert "99000001" in strong["reasons"][0]["message"]
    possible = await open_review(stack, cleared_id)
    assert possible["required_approvals"] == 1
    assert [r["code"] for r in possible["reasons"]] == ["SCREENING_POSSIBLE_MATCH"]

    portal = await stack.http.post(
        f"/v1/cases/{strong['case_id']}/decision",
        json={"decision": "reject", "reason": "portal cannot decide"},
        headers=stack.token("portal"),
    )
    assert portal.status_code == 403
    info = await decide(stack, strong["case_id"], "request_information", sub="al", role="officer")
    assert info.status_code == 409, "a review is approved or rejected, nothing else"
    assert info.json()["error"]["code"] == "decision_not_supported"
    rejected = await decide(stack, strong["case_id"], "reject", sub="alice", role="officer")
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "closed" and rejected.json()["decision"] == "frozen"
    approved = await decide(stack, possible["case_id"], "approve", sub="bob", role="officer")
    assert approved.status_code == 200, approved.text
    assert approved.json()["decision"] == "cleared"
    again = await decide(stack, possible["case_id"], "reject", sub="carol", role="officer")
    assert again.status_code == 409

    assert strong["workflow_id"].endswith("-case"), "reviews decide in a CaseReviewWorkflow"
    strong_review = strong["workflow_id"].removesuffix("-case")
    await record_history(stack.client, workflow_id, "rescreening_two_reviews_v2")
    await record_history(stack.client, strong_review, "customer_review_frozen_v2")
    await record_history(stack.client, strong["workflow_id"], "case_review_frozen_v2")
    await record_history(stack.client, possible["workflow_id"], "case_review_cleared_v2")

    with Session(stack.engine) as db:
        assert db.get(Customer, frozen_id).status == "frozen"  # type: ignore[union-attr]
        assert db.get(Customer, cleared_id).status == "active"  # type: ignore[union-attr]

    # The same update again: nothing new is stored, started or opened.
    repeat = await run_update(settings, source, path)
    assert repeat.exit_code == 0, repeat.output
    assert "already registered" in repeat.output and "already started" in repeat.output

    # A second sweep over the same version (here: forced, with small pages and one page
    # per run) finds the cleared customer again but opens nothing; the frozen one is skipped.
    with Session(stack.engine) as db:
        active_customers = db.scalar(
            select(func.count()).select_from(Customer).where(Customer.status == "active")
        )
    assert active_customers is not None
    page = -(-active_customers // 4)  # about five one-page runs, however full the database
    description = await handle.describe()
    rerun_input = await _first_input(stack, handle)
    forced = rerun_input.model_copy(
        update={
            "config": rerun_input.config.model_copy(update={"page_size": page, "pages_per_run": 1})
        }
    )
    rerun = await stack.client.start_workflow(
        "RescreeningWorkflow",
        forced,
        id=f"{workflow_id}-again",
        task_queue=description.task_queue,
        result_type=RescreeningSummary,
    )
    second = await asyncio.wait_for(rerun.result(), 60)
    assert second.customers_screened == active_customers
    assert second.runs > 1, "one page per run must continue as new"
    assert (second.reviews_started, second.reviews_existing) == (0, 1), second
    assert len(await rescreening_cases(stack, frozen_id)) == 1
    assert len(await rescreening_cases(stack, cleared_id)) == 1

    # A corrupt file is refused: named file and line, exit 2, the active version unchanged.
    bad = write_list(tmp_path / "bad", rows, corrupt_line=120)
    refused = await run_update(settings, source, bad)
    assert refused.exit_code == 2
    assert f"{bad}: line 120" in refused.output
    with Session(stack.engine) as db:
        after = db.scalars(
            select(SanctionsListVersion).where(SanctionsListVersion.source == source)
        ).all()
    assert {(v.content_hash, v.active) for v in after} == {
        (v.content_hash, v.active) for v in versions
    }
    assert listing(tmp_path / "lists" / source) == sorted(v.content_hash for v in versions)


async def _first_input(stack: Stack, handle: WorkflowHandle[Any, Any]) -> RescreeningInput:
    """The input the CLI started the sweep with, as recorded in the first run's history."""
    async for event in handle.fetch_history_events():
        attrs = event.workflow_execution_started_event_attributes
        [value] = await stack.client.data_converter.decode(attrs.input.payloads, [RescreeningInput])
        assert isinstance(value, RescreeningInput)
        return value
    raise AssertionError("no start event")


async def test_corrupt_first_update_changes_nothing(
    stack: Stack, source: str, tmp_path: Path
) -> None:
    bad = write_list(tmp_path / "bad", [], corrupt_line=7)
    result = await run_update(cli_settings(stack.settings, source), source, bad)
    assert result.exit_code == 2
    assert f"{bad}: line 7" in result.output and "nothing was changed" in result.output
    assert listing(tmp_path) == ["bad"], "no stored copy"
    with Session(stack.engine) as db:
        assert (
            db.scalar(
                select(func.count())
                .select_from(SanctionsListVersion)
                .where(SanctionsListVersion.source == source)
            )
            == 0
        )
    spec = ListSpec(source=source, format=ListFormat.OFAC_CSV, path=str(bad))
    would_be = rescreening_workflow_id(source, content_hash(list_files(spec)))
    handle = stack.client.get_workflow_handle(would_be)
    with pytest.raises(RPCError):
        await handle.describe()

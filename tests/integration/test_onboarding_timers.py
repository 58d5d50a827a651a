"""Durable timers, on the time-skipping test server with the real worker and PostgreSQL:
an undecided case escalates after its SLA; an unanswered information request rejects."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest_asyncio
from sqlalchemy.orm import Session
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from api.routers.onboarding import onboarding_config
from clearway.db import create_db_engine
from clearway.embedded import temporal_test_server_path
from clearway.settings import Settings
from clearway.temporal_client import build_data_converter
from models.cases import DecisionKind, DecisionUpdate
from models.onboarding import OnboardingApplication, OnboardingState
from models.onboarding_workflow import OnboardingInput
from models.tables import Case
from tests.factories import application
from tests.integration.test_onboarding_api import LISTED
from workers.main import build_workers
from workflows.case_review import CaseReviewWorkflow
from workflows.customer_onboarding import CustomerOnboardingWorkflow


@pytest_asyncio.fixture(scope="module")
async def skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=temporal_test_server_path()
    )
    try:
        yield env
    finally:
        await env.shutdown()


@asynccontextmanager
async def referred(
    env: WorkflowEnvironment, settings: Settings
) -> AsyncIterator[tuple[Client, WorkflowHandle[CustomerOnboardingWorkflow, OnboardingState]]]:
    config = env.client.config()
    config["data_converter"] = build_data_converter(settings)
    client = Client(**config)
    engine = create_db_engine(settings)
    workers = build_workers(client, settings, engine)
    task = asyncio.create_task(workers.run())
    app = OnboardingApplication.model_validate(
        application(**LISTED, application_id=f"app-{uuid.uuid4().hex[:10]}")
    )
    handle = await client.start_workflow(
        CustomerOnboardingWorkflow.run,
        OnboardingInput(application=app, config=onboarding_config(settings)),
        id=f"onboarding-{app.application_id}",
        task_queue=settings.queue("workflows"),
    )
    try:
        async with asyncio.timeout(30):
            while True:
                state = await handle.query(CustomerOnboardingWorkflow.status)
                if state.status.value == "pending_review":
                    break
                await asyncio.sleep(0.1)
        yield client, handle
    finally:
        await workers.shutdown()
        await asyncio.gather(task, return_exceptions=True)
        engine.dispose()


async def test_undecided_case_escalates_after_its_sla(
    skipping_env: WorkflowEnvironment, settings: Settings
) -> None:
    async with referred(skipping_env, settings) as (_, handle):
        state = await handle.query(CustomerOnboardingWorkflow.status)
        await skipping_env.sleep(dt.timedelta(hours=settings.review_sla_hours + 1))
        engine = create_db_engine(settings)
        try:
            async with asyncio.timeout(30):
                while True:
                    with Session(engine) as db:
                        case = db.get(Case, state.case_id)
                    assert case is not None
                    if case.escalated:
                        break
                    await asyncio.sleep(0.1)
        finally:
            engine.dispose()
        assert case.assignee == "senior_officers"
        assert case.status == "open"


async def test_unanswered_information_request_rejects(
    skipping_env: WorkflowEnvironment, settings: Settings
) -> None:
    async with referred(skipping_env, settings) as (client, handle):
        state = await handle.query(CustomerOnboardingWorkflow.status)
        assert state.case_id is not None
        case_workflow = await _case_workflow_id(settings, state.case_id)
        assert case_workflow == f"{handle.id}-case", "the case is reviewed by a child workflow"
        await client.get_workflow_handle(case_workflow).execute_update(
            CaseReviewWorkflow.decide,
            DecisionUpdate(
                case_id=state.case_id,
                decision=DecisionKind.REQUEST_INFORMATION,
                reason="please send a clearer passport scan",
                actor="alice",
                role="officer",
            ),
        )
        result = await handle.result()  # time skips through the 14-day wait
        assert result.status.value == "rejected"
        assert result.decision is not None
        assert [r.code for r in result.decision.reasons] == ["INFORMATION_NOT_PROVIDED"]


async def _case_workflow_id(settings: Settings, case_id: str) -> str:
    """The workflow that owns a case, as the API routes decisions: by the queue row."""
    engine = create_db_engine(settings)
    try:
        async with asyncio.timeout(30):
            while True:
                with Session(engine) as db:
                    case = db.get(Case, case_id)
                if case is not None:
                    return case.workflow_id
                await asyncio.sleep(0.1)
    finally:
        engine.dispose()

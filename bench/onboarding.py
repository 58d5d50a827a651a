"""Onboarding throughput and API overhead on the real stack.

1. N concurrent onboardings of clean applicants through the real worker (documents, sanctions
   screening against all configured lists, risk, account opening in PostgreSQL), and on the
   same dev server N workflows of the same shape (same workflow code, same activity names)
   whose activities return canned results: the ratio isolates what our activities cost.
2. `POST /v1/onboarding` over real HTTP (uvicorn on loopback) against a bare
   `client.start_workflow` of the same input: the ratio is the API's overhead.
3. The process's memory with the worker (and its sanctions index) loaded.

Prints figures only; timings are never asserted (the machine is shared and noisy).
Usage: python bench/onboarding.py [--n 200] [--latency-n 200] [--db-file|--in-memory]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import psutil
import uvicorn
from sqlalchemy import Engine
from temporalio import activity
from temporalio.testing import WorkflowEnvironment

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api.app import create_app
from api.auth import mint_token
from api.routers.onboarding import onboarding_config
from bench._harness import (
    ActivitiesByQueue,
    bench_database,
    bench_settings,
    pct,
    real_and_noop_workers,
)
from clearway.contract import Activity
from clearway.db import create_db_engine
from clearway.embedded import temporal_cli_path
from clearway.settings import Settings
from clearway.temporal_client import connect
from models.customers import OpenCustomerAccountInput, OpenCustomerAccountResult
from models.documents import DocumentVerificationResult, VerifyDocumentsInput
from models.kyc import KycChecksResult, RunKycChecksInput
from models.onboarding import AccountRef, OnboardingApplication, OnboardingState
from models.onboarding_workflow import OnboardingInput
from models.risk import AssessRiskInput, RiskAssessment, RiskLevel, RiskOutcome
from models.screening import ScreeningResult, ScreenPartyInput
from tests.factories import application
from workers.main import build_workers
from workflows.customer_onboarding import CustomerOnboardingWorkflow

NAMES = [
    ("Lena Sofia", "Lindqvist"),
    ("Erik Johan", "Nordström"),
    ("Maja", "Holmberg"),
    ("Oskar", "Bergqvist"),
    ("Ingrid", "Sandberg"),
    ("Nils Anders", "Ekström"),
]


def clean_application(i: int) -> OnboardingApplication:
    given, surname = NAMES[i % len(NAMES)]
    body = application(
        given_names=given,
        surname=surname,
        dob=dt.date(1970 + i % 30, 1 + i % 12, 1 + i % 28),
        application_id=f"bench-{uuid.uuid4().hex[:12]}",
    )
    return OnboardingApplication.model_validate(body)


# ---- baseline: same activity names and types, no work -------------------------------
@activity.defn(name=Activity.VERIFY_DOCUMENTS)
def noop_verify(inp: VerifyDocumentsInput) -> DocumentVerificationResult:
    return DocumentVerificationResult(passed=True, documents=[], findings=[])


@activity.defn(name=Activity.SCREEN_PARTY)
def noop_screen(inp: ScreenPartyInput) -> ScreeningResult:
    return ScreeningResult(hits=[], threshold=0.7, matcher_version="noop", lists=[])


@activity.defn(name=Activity.ASSESS_RISK)
def noop_risk(inp: AssessRiskInput) -> RiskAssessment:
    return RiskAssessment(
        score=0, level=RiskLevel.LOW, outcome=RiskOutcome.APPROVE, reasons=[], model_version="noop"
    )


@activity.defn(name=Activity.RUN_KYC_CHECKS)
def noop_checks(inp: RunKycChecksInput) -> KycChecksResult:
    return KycChecksResult(
        documents=noop_verify(inp.documents),
        screening=noop_screen(inp.party),
        risk=noop_risk(
            AssessRiskInput(**inp.risk.model_dump(), document_findings=[], screening_hits=[])
        ),
    )


@activity.defn(name=Activity.OPEN_CUSTOMER_ACCOUNT)
def noop_open(inp: OpenCustomerAccountInput) -> OpenCustomerAccountResult:
    return OpenCustomerAccountResult(
        customer_id=inp.customer_id,
        accounts=[AccountRef(account_id=inp.account_id, currency=inp.currency)],
        created=True,
    )


async def run_batch(settings: Settings, n: int) -> float:
    client = await connect(settings)
    apps = [clean_application(i) for i in range(n)]
    started = time.perf_counter()
    handles = await asyncio.gather(
        *(
            client.start_workflow(
                CustomerOnboardingWorkflow.run,
                OnboardingInput(application=a, config=onboarding_config(settings)),
                id=f"onboarding-{a.application_id}",
                task_queue=settings.queue("workflows"),
            )
            for a in apps
        )
    )
    try:
        async with asyncio.timeout(max(60.0, n / 2)):
            results: list[OnboardingState] = await asyncio.gather(*(h.result() for h in handles))
    except TimeoutError:
        states = await asyncio.gather(
            *(h.query(CustomerOnboardingWorkflow.status) for h in handles)
        )
        stuck = [s.application_id for s in states if s.status.value != "approved"]
        message = f"{len(stuck)}/{n} onboardings did not complete, e.g. {stuck[:3]}"
        raise SystemExit(message) from None
    elapsed = time.perf_counter() - started
    approved = sum(r.status.value == "approved" for r in results)
    if approved != n:
        raise SystemExit(f"only {approved}/{n} onboardings were approved: the bench is invalid")
    return n / elapsed


async def throughput(settings_real: Settings, settings_noop: Settings, n: int) -> dict[str, Any]:
    def noop_activities(_: Engine) -> ActivitiesByQueue:
        return {
            "screening": [noop_checks, noop_verify, noop_screen, noop_risk],
            "records": [noop_open],
        }

    async with real_and_noop_workers(settings_real, settings_noop, noop_activities):
        await run_batch(settings_noop, 10)  # warm-up both paths
        await run_batch(settings_real, 10)
        baseline = await run_batch(settings_noop, n)
        real = await run_batch(settings_real, n)
        baseline2 = await run_batch(settings_noop, n)
    base = (baseline + baseline2) / 2
    return {"real": real, "baseline": base, "baseline_runs": (baseline, baseline2)}


async def api_latency(settings: Settings, n: int) -> dict[str, Any]:
    client = await connect(settings)
    engine = create_db_engine(settings)
    workers = build_workers(client, settings, engine)
    worker_task = asyncio.create_task(workers.run())
    app = create_app(settings)
    port = 18000 + uuid.uuid4().int % 1000
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
    )
    server_task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers a flag, not an event
        await asyncio.sleep(0.05)
    token = mint_token(
        settings.jwt_secret.get_secret_value(),  # type: ignore[union-attr]
        subject="bench-portal",
        roles=["portal"],
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl=dt.timedelta(hours=1),
    )
    api_ms: list[float] = []
    bare_ms: list[float] = []
    try:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {token}"}
        ) as http:
            for i in range(n + 10):
                app_in = clean_application(i)
                body = app_in.model_dump(mode="json", exclude_none=True)
                t0 = time.perf_counter()
                resp = await http.post("/v1/onboarding", json=body)
                t1 = time.perf_counter()
                if resp.status_code != 202:
                    raise SystemExit(f"API answered {resp.status_code}: {resp.text}")
                bare_app = clean_application(i)
                t2 = time.perf_counter()
                await client.start_workflow(
                    CustomerOnboardingWorkflow.run,
                    OnboardingInput(application=bare_app, config=onboarding_config(settings)),
                    id=f"onboarding-{bare_app.application_id}",
                    task_queue=settings.queue("workflows"),
                )
                t3 = time.perf_counter()
                if i >= 10:  # first ten warm connections and caches
                    api_ms.append((t1 - t0) * 1000)
                    bare_ms.append((t3 - t2) * 1000)
    finally:
        server.should_exit = True
        await server_task
        await workers.shutdown()
        await asyncio.gather(worker_task, return_exceptions=True)
        engine.dispose()
    return {"api": api_ms, "bare": bare_ms}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--latency-n", type=int, default=200)
    parser.add_argument("--in-memory", action="store_true", help="dev server without SQLite file")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="clearway-bench-"))
    rss_start = psutil.Process().memory_info().rss
    extra = [] if args.in_memory else ["--db-filename", str(workdir / "temporal.db")]
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_cli_path(),
        ui=False,
        dev_server_log_level="error",
        dev_server_extra_args=extra,
    )
    target = env.client.service_client.config.target_host
    try:
        with bench_database(workdir) as db_url:
            real = bench_settings(db_url, target, workdir, "bench-real-")
            noop = bench_settings(db_url, target, workdir, "bench-noop-")
            noop = noop.model_copy(update={"encryption_keys": real.encryption_keys})
            tp = await throughput(real, noop, args.n)
            rss_worker = psutil.Process().memory_info().rss
            lat = await api_latency(
                bench_settings(db_url, target, workdir, "bench-api-"), args.latency_n
            )
    finally:
        await env.shutdown()

    storage = "in-memory" if args.in_memory else "SQLite file"
    print(f"== onboarding throughput (dev server, {storage}, N={args.n} concurrent)")
    print(f"real activities     {tp['real']:8.1f} workflows/s")
    b1, b2 = tp["baseline_runs"]
    print(f"no-op activities    {tp['baseline']:8.1f} workflows/s  (runs: {b1:.1f}, {b2:.1f})")
    print(f"ratio real/no-op    {tp['real'] / tp['baseline']:8.2f}   (goal >= 0.80)")
    api, bare = lat["api"], lat["bare"]
    print(f"== POST /v1/onboarding vs bare start_workflow (sequential, n={len(api)})")
    print(f"API   p50 {pct(api, 50):7.2f} ms   p99 {pct(api, 99):7.2f} ms")
    print(f"bare  p50 {pct(bare, 50):7.2f} ms   p99 {pct(bare, 99):7.2f} ms")
    print(
        f"ratio p50 {pct(api, 50) / pct(bare, 50):7.2f}      "
        f"p99 {pct(api, 99) / pct(bare, 99):7.2f}    (goal <= 1.5)"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("== memory (this process: bench driver + worker + API)")
    print(f"RSS at start {rss_start / 2**20:7.1f} MiB")
    print(f"RSS with worker and sanctions index loaded {rss_worker / 2**20:7.1f} MiB")
    print(f"peak RSS {peak:7.1f} MiB")


if __name__ == "__main__":
    asyncio.run(main())

"""Re-screening throughput on the real stack: customers screened per second against a delta.

Seeds N synthetic active customers straight into PostgreSQL, builds a list update of ~50 new
entries on top of the real OFAC SDN file (some naming seeded customers), and runs
`RescreeningWorkflow` through the real worker. The same workflow is then run with a page
activity that reads the same keyset pages but screens nothing: the ratio is what screening
costs on top of paging through the customer table and orchestrating the sweep.

Prints figures only. Usage: python bench/rescreening.py [--n 20000] [--delta 50]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import Engine, insert
from temporalio import activity
from temporalio.testing import WorkflowEnvironment

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from activities.rescreening import RescreeningActivities
from bench._harness import (
    ActivitiesByQueue,
    bench_database,
    bench_settings,
    real_and_noop_workers,
)
from clearway.contract import Activity
from clearway.db import create_db_engine, session_factory
from clearway.embedded import temporal_cli_path
from clearway.settings import DATA_ROOT, Settings
from clearway.temporal_client import connect
from cli.lists import rescreening_input
from domain.customers.store import CustomerStore
from domain.risk import load_risk_model
from domain.screening.loaders import load_list
from models.rescreening import (
    ListVersionRef,
    RescreenCustomersPageInput,
    RescreenCustomersPageResult,
    RescreeningSummary,
)
from models.screening import ListFormat, ListSpec
from models.tables import Customer

GIVEN = "Lena Erik Maja Oskar Ingrid Nils Astrid Johan Sofia Karl Elin Anders Freja Lars".split()
SURNAMES = "Lindqvist Nordstrom Holmberg Bergqvist Sandberg Ekstrom Dahl Sjoberg Wikander".split()
LISTED_GIVEN = "Rustam Farid Oleg Tariq Dmitri Yusuf Viktor Hamid Sergei Kamal".split()
LISTED_SURNAMES = "Karimov Haddad Volkonsky Qasimi Petrenko Abdulov Zaharov Nouri Belov".split()


def seed_customers(settings: Settings, n: int, matches: list[tuple[str, str, dt.date]]) -> None:
    rng = random.Random(7)
    rows = []
    for i in range(n):
        given, surname, dob = (
            matches[i // (n // len(matches))]
            if i % (n // len(matches)) == 0 and i // (n // len(matches)) < len(matches)
            else (
                f"{rng.choice(GIVEN)} {rng.choice(GIVEN)}",
                f"{rng.choice(SURNAMES)}{rng.choice(['', 'son', 'berg', 'lund'])}",
                dt.date(1940 + rng.randrange(60), 1 + rng.randrange(12), 1 + rng.randrange(28)),
            )
        )
        rows.append(
            {
                "customer_id": f"cus-{i:08d}",
                "application_id": f"app-bench-{i:08d}",
                "workflow_id": f"onboarding-app-bench-{i:08d}",
                "given_names": given,
                "surname": surname,
                "date_of_birth": dob,
                "nationality": "SE",
                "residence_country": "SE",
                "risk_level": "low",
                "status": "active",
            }
        )
    engine = create_db_engine(settings)
    with session_factory(engine).begin() as db:
        for start in range(0, n, 5000):
            db.execute(insert(Customer), rows[start : start + 5000])
    engine.dispose()


def write_versions(
    workdir: Path, delta: int
) -> tuple[ListVersionRef, ListVersionRef, list[tuple[str, str, dt.date]]]:
    """The real SDN list, and the same plus `delta` synthetic entries (every fifth one naming
    a customer the bench seeds, with the same date of birth)."""
    rng = random.Random(11)
    source = DATA_ROOT / "sanctions" / "ofac"
    refs: list[ListVersionRef] = []
    matches: list[tuple[str, str, dt.date]] = []
    for name, extra in (("previous", 0), ("current", delta)):
        target = workdir / name
        target.mkdir()
        for f in ("alt.csv", "add.csv"):
            shutil.copy(source / f, target / f)
        text = (source / "sdn.csv").read_text(encoding="utf-8").rstrip("\x1a\r\n ") + "\n"
        for i in range(extra):
            given, surname = rng.choice(LISTED_GIVEN), rng.choice(LISTED_SURNAMES) + str(i)
            dob = dt.date(1950 + i % 40, 1 + i % 12, 1 + i % 28)
            if i % 5 == 0:
                matches.append((given, surname, dob))
            blanks = ",".join(["-0- "] * 7)
            text += (
                f'{98000000 + i},"{surname.upper()}, {given}","individual","SDGT",{blanks},'
                f'"DOB {dob.strftime("%d %b %Y")}; nationality Sweden."\n'
            )
        (target / "sdn.csv").write_text(text, encoding="utf-8")
        spec = ListSpec(source="ofac_sdn", format=ListFormat.OFAC_CSV, path=str(target / "sdn.csv"))
        refs.append(
            ListVersionRef(
                source="ofac_sdn",
                format=ListFormat.OFAC_CSV,
                content_hash=load_list(spec).version.content_hash,
                stored_path=spec.path,
            )
        )
    return refs[0], refs[1], matches


class PagingOnly:
    """Baseline page activity: the same keyset read, no screening."""

    def __init__(self, settings: Settings) -> None:
        self._sessions = session_factory(create_db_engine(settings))

    @activity.defn(name=Activity.RESCREEN_CUSTOMERS_PAGE)
    def page(self, inp: RescreenCustomersPageInput) -> RescreenCustomersPageResult:
        with self._sessions() as session:
            rows = CustomerStore(session).screening_page(inp.after_customer_id, inp.page_size)
        return RescreenCustomersPageResult(
            screened=len(rows),
            next_cursor=rows[-1].customer_id if len(rows) == inp.page_size else None,
            hits=[],
        )


async def sweep(
    settings: Settings,
    previous: ListVersionRef,
    current: ListVersionRef,
    args: argparse.Namespace,
) -> tuple[float, RescreeningSummary]:
    client = await connect(settings)
    started = time.perf_counter()
    summary: RescreeningSummary = await client.execute_workflow(
        "RescreeningWorkflow",
        rescreening_input(
            settings,
            current,
            previous,
            page_size=args.page_size,
            pages_per_run=args.pages_per_run,
        ),
        id=f"rescreening-bench-{uuid.uuid4().hex[:8]}",
        task_queue=settings.queue("workflows"),
        result_type=RescreeningSummary,
    )
    return time.perf_counter() - started, summary


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--delta", type=int, default=50)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--pages-per-run", type=int, default=100)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="clearway-bench-"))
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_cli_path(), ui=False, dev_server_log_level="error"
    )
    target = env.client.service_client.config.target_host
    try:
        with bench_database(workdir) as db_url:
            real = bench_settings(db_url, target, workdir, "bench-real-")
            noop = bench_settings(db_url, target, workdir, "bench-noop-")
            noop = noop.model_copy(update={"encryption_keys": real.encryption_keys})
            previous, current, matches = write_versions(workdir, args.delta)
            t0 = time.perf_counter()
            seed_customers(real, args.n, matches)
            seeded = time.perf_counter() - t0

            def noop_activities(engine: Engine) -> ActivitiesByQueue:
                rescreening = RescreeningActivities(
                    session_factory(engine), load_risk_model(real.risk_model_path)
                )
                return {"screening": [rescreening.compute_list_delta, PagingOnly(noop).page]}

            async with real_and_noop_workers(real, noop, noop_activities):
                base_s, base = await sweep(noop, previous, current, args)
                real_s, summary = await sweep(real, previous, current, args)
                base2_s, _ = await sweep(noop, previous, current, args)
    finally:
        await env.shutdown()
        shutil.rmtree(workdir, ignore_errors=True)

    base_rate = base.customers_screened / ((base_s + base2_s) / 2)
    real_rate = summary.customers_screened / real_s
    print(f"== re-screening (dev server, N={args.n} customers, delta={summary.delta_entries})")
    print(f"seeding              {args.n / seeded:10.0f} rows/s")
    print(f"real screening       {real_rate:10.0f} customers/s  ({real_s:.2f} s)")
    print(f"paging only          {base_rate:10.0f} customers/s  ({base_s:.2f} s, {base2_s:.2f} s)")
    print(f"ratio real/paging    {real_rate / base_rate:10.2f}")
    print(f"pages                {summary.pages:10d}   runs {summary.runs}")
    print(f"reviews started      {summary.reviews_started:10d}   (expected {len(matches)})")
    print(f"1M customers (est.)  {1_000_000 / real_rate / 60:10.1f} min")


if __name__ == "__main__":
    asyncio.run(main())

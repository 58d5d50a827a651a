"""`clearway ledger verify` over a large ledger: seconds and memory.

Builds N transfers (default 1,000,000) among 10,000 accounts directly in SQL (the bench
measures verification, not posting; `bench/ledger.py` measures posting), sets every
balance from them, then runs the real command (`clearway ledger verify`, a subprocess)
twice: on the clean books (exit 0) and after corrupting one account (exit 1, naming it).
Prints wall seconds and the command's peak RSS. The recomputation is one aggregate pass
inside PostgreSQL, so the command's memory does not grow with the ledger.

Usage: python bench/ledger_verify.py [--transfers 1000000] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text

from bench._harness import bench_database

ACCOUNTS = 10_000
REPO = Path(__file__).resolve().parent.parent


def build(db_url: str, transfers: int) -> float:
    start = time.perf_counter()
    engine = create_engine(db_url)
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO accounts (account_id, kind, currency, product, allow_negative) "
                "SELECT 'v-' || g, 'suspense', 'EUR', 'bench', true "
                "FROM generate_series(0, :n - 1) g"
            ),
            {"n": ACCOUNTS},
        )
        c.execute(
            text(
                """
                INSERT INTO ledger_transfers (transfer_id, kind, debit_account_id,
                    credit_account_id, amount, currency, code, reference)
                SELECT 'vt-' || g, 'single', 'v-' || (g % :a), 'v-' || ((g * 7 + 1) % :a),
                    ((g % 997) + 1) / 100.0, 'EUR', 'bench', ''
                FROM generate_series(0, :n - 1) g
                WHERE (g % :a) <> ((g * 7 + 1) % :a)
                """
            ),
            {"a": ACCOUNTS, "n": transfers},
        )
        c.execute(
            text(
                """
                WITH d AS (SELECT debit_account_id AS id, sum(amount) AS s
                           FROM ledger_transfers GROUP BY 1),
                     k AS (SELECT credit_account_id AS id, sum(amount) AS s
                           FROM ledger_transfers GROUP BY 1)
                UPDATE accounts a SET debits_posted = coalesce(d.s, 0),
                    credits_posted = coalesce(k.s, 0),
                    posted_balance = coalesce(k.s, 0) - coalesce(d.s, 0)
                FROM accounts x LEFT JOIN d ON d.id = x.account_id
                    LEFT JOIN k ON k.id = x.account_id
                WHERE a.account_id = x.account_id AND x.account_id LIKE 'v-%'
                """
            )
        )
        c.execute(text("ANALYZE accounts"))
        c.execute(text("ANALYZE ledger_transfers"))
    engine.dispose()
    return time.perf_counter() - start


def run_verify(db_url: str) -> tuple[int, float, str]:
    env = dict(os.environ, CLEARWAY_DATABASE_URL=db_url, CLEARWAY_LOG_FORMAT="console")
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", "from cli.main import main; main()", "ledger", "verify"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    return proc.returncode, time.perf_counter() - start, proc.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--transfers", type=int, default=1_000_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, bench_database(Path(tmp)) as db_url:
        build_s = build(db_url, args.transfers)
        clean_rc, clean_s, _ = run_verify(db_url)
        engine = create_engine(db_url)
        with engine.begin() as c:
            c.execute(
                text(
                    "UPDATE accounts SET credits_posted = credits_posted + 0.01, "
                    "posted_balance = posted_balance + 0.01 WHERE account_id = 'v-4242'"
                )
            )
        engine.dispose()
        bad_rc, bad_s, bad_out = run_verify(db_url)
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    figures = {
        "transfers": args.transfers,
        "accounts": ACCOUNTS,
        "build_seconds": round(build_s, 1),
        "verify_seconds": round(clean_s, 2),
        "verify_exit": clean_rc,
        "verify_corrupted_seconds": round(bad_s, 2),
        "verify_corrupted_exit": bad_rc,
        "names_corrupted_account": "v-4242" in bad_out,
        "peak_rss_mib": round(peak_mib, 1),
    }
    if args.json:
        print(json.dumps(figures))
    else:
        print(f"built {args.transfers} transfers among {ACCOUNTS} accounts in {build_s:.1f} s")
        print(f"clearway ledger verify (clean)      {clean_s:6.2f} s  exit {clean_rc}")
        print(f"clearway ledger verify (corrupted)  {bad_s:6.2f} s  exit {bad_rc}")
        print("  " + "\n  ".join(line for line in bad_out.splitlines() if "MISMATCH" in line))
        print(f"peak RSS of the command: {peak_mib:.1f} MiB (the process, imports included)")
    ok = clean_rc == 0 and bad_rc == 1 and figures["names_corrupted_account"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

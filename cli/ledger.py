"""`clearway ledger`: operator commands on the ledger.

`verify` recomputes every account's posted and pending debits and credits from the
transfer log and names each account whose stored balance differs (exit status 1), checks
that every pending transfer's state agrees with its resolution, and prints the trial
balance per currency. Auditors and operators run it; it only reads (one repeatable-read
snapshot, so a busy ledger is verified at one consistent moment).
"""

from __future__ import annotations

import json
import time

import click
from sqlalchemy import text
from sqlalchemy.orm import Session

from cli.context import database_settings

EXIT_MISMATCH = 1


@click.group()
def ledger() -> None:
    """The double-entry ledger: verify balances against the transfer log."""


@ledger.command("verify")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--limit", default=1000, show_default=True, help="Most mismatches listed.")
@click.pass_context
def verify_command(ctx: click.Context, as_json: bool, limit: int) -> None:
    """Recompute every balance from the transfers; exit 1 naming any account that differs."""
    from clearway.db import create_db_engine
    from domain.ledger import LedgerStore

    settings = database_settings(ctx)
    engine = create_db_engine(settings)
    start = time.perf_counter()
    try:
        with Session(engine) as session:
            session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))
            store = LedgerStore(session)
            report = store.verify(limit)
            trial = store.trial_balance()
    finally:
        engine.dispose()
    elapsed = time.perf_counter() - start
    clean = report.clean and trial.balanced
    if as_json:
        click.echo(
            json.dumps(
                {
                    "clean": clean,
                    "accounts": report.accounts,
                    "transfers": report.transfers,
                    "seconds": round(elapsed, 3),
                    "mismatches": [m.model_dump(mode="json") for m in report.mismatches],
                    "pending_problems": report.pending_problems,
                    "currencies": [c.model_dump(mode="json") for c in trial.currencies],
                }
            )
        )
    else:
        for m in report.mismatches:
            click.echo(
                f"MISMATCH account {m.account_id}: {m.field} stored {m.stored}, "
                f"recomputed from transfers {m.computed}"
            )
        for problem in report.pending_problems:
            click.echo(f"MISMATCH {problem}")
        for c in trial.currencies:
            state = "balanced" if c.balanced else "NOT BALANCED"
            click.echo(
                f"{c.currency}: debits {c.debits_posted} credits {c.credits_posted} "
                f"(pending {c.pending_debits}/{c.pending_credits}) {state}"
            )
        click.echo(
            f"{report.accounts} accounts, {report.transfers} transfers verified in "
            f"{elapsed:.2f} s: " + ("clean" if clean else "MISMATCHES FOUND")
        )
    if not clean:
        ctx.exit(EXIT_MISMATCH)


@ledger.command("expire")
@click.option("--batch", default=1000, show_default=True, help="Holds expired per transaction.")
@click.pass_context
def expire_command(ctx: click.Context, batch: int) -> None:
    """Expire every pending transfer whose timeout has passed (releases the holds).

    Each hold expires once, as an `expire_pending` transfer with a deterministic id, so
    running this from cron on several hosts at once, or beside the `ledger-hold-expiry`
    schedule that does it every CLEARWAY_HOLD_EXPIRY_INTERVAL_SECONDS, is safe (locked
    holds are skipped)."""
    import datetime as dt

    from clearway.db import create_db_engine, session_factory
    from domain.ledger import LedgerStore

    settings = database_settings(ctx)
    engine = create_db_engine(settings)
    sessions = session_factory(engine)
    total = 0
    try:
        while True:
            with sessions.begin() as session:
                n = LedgerStore(session).expire_pending(dt.datetime.now(dt.UTC), batch)
            total += n
            if n == 0:
                break
    finally:
        engine.dispose()
    click.echo(f"{total} pending transfers expired")

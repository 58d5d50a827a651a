"""ledger: the batch path checks its rules once, on the locked rows

0006's `ledger_create_batch` checked every rule twice: on an unlocked snapshot before it
wrote, so that a batch bound to fail was declined before its INSERT, and again on the locked
rows. With eight clients posting batches of 1,000 among 10,000 accounts the two cores are
saturated (93-97% busy in the timed window), so every statement's CPU is throughput, and
the unlocked check was about a tenth of a batch's: measured alternately on one database,
with it 16,700 and 17,300 transfers/s, without it 18,900 and 18,700.

What the first check bought is kept by the second: a batch that breaks a rule is still
declined with nothing written (the subtransaction that holds its INSERT rolls back) and the
general function answers, every rule and every message. Only the cost of a doomed batch
moves: it now inserts its rows and locks its accounts before it finds out, which a posting
run (batches that succeed) never pays. A batch naming an account that does not exist now
meets `ledger_transfers_name_accounts` (0006) at its INSERT; its SQLSTATE 23503 joins the
subtransaction's declines.

Revision ID: 0007
Revises: 0006
"""

import runpy
from pathlib import Path
from typing import Any

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _revision_0006() -> dict[str, Any]:
    """0006's names (its SQL texts and its `_replace_once`), read from its file."""
    (path,) = Path(__file__).parent.glob("0006_*.py")
    return runpy.run_path(str(path))


def batch_function(checked_once: bool = True) -> str:
    """0006's batch path (its one copy of the SQL stays there), with or without the check
    on the unlocked snapshot."""
    m = _revision_0006()
    _replace_once = m["_replace_once"]
    sql: str = _replace_once(m["BATCH"], "CREATE FUNCTION", "CREATE OR REPLACE FUNCTION")
    if not checked_once:
        return sql
    unlocked = m["RULES"].format(lock="", parsed=m["PARSED"])
    sql = _replace_once(
        sql, f"    {unlocked}\n    IF NOT ok THEN\n        RETURN NULL;\n    END IF;\n", ""
    )
    result: str = _replace_once(
        sql,
        "EXCEPTION WHEN unique_violation OR SQLSTATE 'CW002' THEN",
        "EXCEPTION WHEN unique_violation OR foreign_key_violation OR SQLSTATE 'CW002' THEN",
    )
    return result


def upgrade() -> None:
    op.execute(batch_function())


def downgrade() -> None:
    op.execute(batch_function(checked_once=False))

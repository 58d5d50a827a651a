"""ledger: a single transfer in 30% fewer server instructions (domain rules, one check per table, a leaner fast path)

Counted with callgrind (instructions, not seconds: the same count whatever else the machine
does), 300 single transfers through `postgres --single`, each its own transaction: 0008's
single transfer cost about 1.25 million instructions, 0.39 million of them in the tables'
CHECK constraints. PostgreSQL does not keep a table's CHECK expressions between statements:
every INSERT or UPDATE reads each one back from its stored text (`stringToNode`), plans and
compiles it, which for the four checks on `accounts` and the five on `ledger_transfers`
(11 kB of node text) was a third of the transfer's instructions. A domain's checks, by
contrast, are planned once per backend (the type cache) and only compiled per statement.

The same rules, kept by the database as before, now cost about half as much (0.20 against
0.39 million instructions per transfer):

- single-column rules became domains: `ledger_nonneg_amount` (`>= 0`) for the four
  running totals of an account, `ledger_positive_amount` (`> 0`) for a transfer's amount,
  `ledger_transfer_kind` for the five kinds;
- the rules that span columns became one CHECK per table, written small:
  `ck_accounts_balances` (posted balance is credits minus debits; the two flags) and
  `ck_ledger_transfers_shape` (two different accounts; a state exactly on pending rows; a
  `pending_id` exactly on resolutions, the kinds that end in `_pending`).

The single-transfer fast path moves to `ledger_create_single`, which, like
`ledger_create_batch`, either creates the transfer or declines with NULL before writing, and
`ledger_create_transfers` only dispatches. What changed in it, each measured the same way:

- the item's shape and amount are checked in one statement over `jsonb_to_record` (the same
  rules as `ledger_amount_problem`, whose nested PL/pgSQL call and a dozen separately
  compiled expressions went), and the account rules are counted in the statement that
  locks the accounts;
- no look-up of the transfer id before the writes: the INSERT's `ON CONFLICT DO NOTHING`
  finds a stored id (a replay), and the call declines to the general function, which
  answers it (exists, or exists with different fields) as before;
- `plan_cache_mode = force_generic_plan` (the account look-ups were planned again at every
  call) and `enable_bitmapscan = off` (two rows by primary key: an ordered index scan needs
  no bitmap and no sort), set on this function only, so the general and batch paths keep
  the planner's defaults.

Result: 0.91 million instructions per call in the same harness, of which 0.09 million are
the harness's own (a call of a PL/pgSQL function that writes nothing costs that): 0.82
against 1.17 million for the transfer itself. Measured the same way and not kept: the
shape check and the locking statement merged into one (0.92 million), the INSERT and the
UPDATE merged into one statement with the rest as CTEs (1.02 million). The statement
trigger that keeps transfers' accounts in existence costs 0.06 million; kept.

The column type changes rewrite `accounts` and `ledger_transfers` (PostgreSQL verifies a
domain's checks by rewriting): on a large ledger, run this migration in a maintenance
window.

Revision ID: 0009
Revises: 0008
"""

import runpy
from pathlib import Path
from typing import Any

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

KINDS = "'single', 'pending', 'post_pending', 'void_pending', 'expire_pending'"
TOTALS = ("debits_posted", "credits_posted", "pending_debits", "pending_credits")

DOMAINS = f"""
CREATE DOMAIN ledger_nonneg_amount AS numeric(20, 4) CHECK (VALUE >= 0);
CREATE DOMAIN ledger_positive_amount AS numeric(20, 4) CHECK (VALUE > 0);
CREATE DOMAIN ledger_transfer_kind AS varchar(16) CHECK (VALUE IN ({KINDS}));
"""

ACCOUNTS_CHECK = (
    "posted_balance = credits_posted - debits_posted"
    " AND (allow_negative OR posted_balance >= pending_debits)"
    " AND (NOT credits_must_not_exceed_debits"
    " OR debits_posted >= credits_posted + pending_credits)"
)
TRANSFERS_CHECK = (
    "debit_account_id <> credit_account_id"
    " AND (kind = 'pending') = (state IS NOT NULL)"
    " AND (kind LIKE '%\\_pending') = (pending_id IS NOT NULL)"
)
"""`LIKE '%\\_pending'`: post_pending, void_pending and expire_pending, not pending (the
domain admits no other kind); one pattern is a smaller tree than a three-element IN list."""

OLD_CHECKS = {
    "accounts": {
        "ck_accounts_non_negative": "allow_negative OR posted_balance - pending_debits >= 0",
        "ck_accounts_credits_within_debits": (
            "NOT credits_must_not_exceed_debits"
            " OR debits_posted - credits_posted - pending_credits >= 0"
        ),
        "ck_accounts_posted_balance": "posted_balance = credits_posted - debits_posted",
        "ck_accounts_amounts_non_negative": (
            "debits_posted >= 0 AND credits_posted >= 0"
            " AND pending_debits >= 0 AND pending_credits >= 0"
        ),
    },
    "ledger_transfers": {
        "ck_ledger_transfers_amount_positive": "amount > 0",
        "ck_ledger_transfers_two_accounts": "debit_account_id <> credit_account_id",
        "ck_ledger_transfers_kind": f"kind IN ({KINDS})",
        "ck_ledger_transfers_resolution_names_pending": (
            "(kind IN ('post_pending', 'void_pending', 'expire_pending'))"
            " = (pending_id IS NOT NULL)"
        ),
        "ck_ledger_transfers_state": "(kind = 'pending') = (state IS NOT NULL)",
    },
}
"""0003's checks, as 0003 wrote them (restored on downgrade)."""

SINGLE = """
CREATE FUNCTION ledger_create_single(batch jsonb, at timestamptz) RETURNS text
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
SET enable_bitmapscan = off
AS $fn$
-- One new single-phase transfer between two open accounts that can afford it, or NULL
-- before anything is written: ledger_apply_transfers then answers (every rule, every
-- message). The rules are the general function's for one transfer.
DECLARE
    t record;
    n int;
    seq_v bigint;
BEGIN
    IF jsonb_typeof(batch -> 0) IS DISTINCT FROM 'object' THEN
        RETURN NULL;
    END IF;
    -- shape and amount (ledger_amount_problem's rules; the CASE keeps the amount's cast
    -- behind the shape, as the general function's order does)
    SELECT j.id, j.debit, j.credit, j.currency AS cur, j.code, j.reference,
           round(j.amount::numeric, e.places) AS amt
    INTO t
    FROM jsonb_to_record(batch -> 0) AS j(id text, kind text, debit text, credit text,
         amount text, currency text, code text, reference text, pending_id text,
         timeout text, linked text)
    CROSS JOIN LATERAL (SELECT ledger_currency_exponent(upper(j.currency)) AS places) e
    WHERE CASE WHEN j.kind = 'single' AND j.pending_id IS NULL AND j.timeout IS NULL
                    AND NOT COALESCE(j.linked::bool, false) AND j.id IS NOT NULL
                    AND j.debit <> j.credit AND e.places >= 0
               THEN j.amount::numeric <> 'NaN' AND j.amount::numeric > 0
                    AND scale(trim_scale(j.amount::numeric)) <= e.places
               ELSE false END;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    -- both accounts, locked in id order like every other writer of balances; both must
    -- exist, be open, be in the transfer's currency and keep their flags after it
    SELECT count(*) INTO n
    FROM (SELECT x.account_id, x.customer_id, x.currency, x.closed, x.allow_negative,
                 x.credits_must_not_exceed_debits AS cmned, x.debits_posted,
                 x.credits_posted, x.pending_debits, x.pending_credits
          FROM accounts x WHERE x.account_id IN (t.debit, t.credit)
          ORDER BY x.account_id COLLATE "C" FOR NO KEY UPDATE) a
    WHERE a.currency = t.cur AND NOT a.closed
      AND (a.account_id <> t.debit
           OR ((a.allow_negative
                OR a.debits_posted + t.amt + a.pending_debits <= a.credits_posted)
               AND (a.customer_id IS NULL OR NOT EXISTS (
                   SELECT FROM customers c
                   WHERE c.customer_id = a.customer_id AND c.status = 'frozen'))))
      AND (a.account_id <> t.credit OR NOT a.cmned
           OR a.credits_posted + t.amt + a.pending_credits <= a.debits_posted);
    IF n <> 2 THEN
        RETURN NULL;
    END IF;
    INSERT INTO ledger_transfers (transfer_id, kind, debit_account_id, credit_account_id,
        amount, currency, code, reference, created_at)
    VALUES (t.id, 'single', t.debit, t.credit, t.amt, t.cur, t.code, t.reference, at)
    ON CONFLICT (transfer_id) DO NOTHING
    RETURNING seq INTO seq_v;
    IF NOT FOUND THEN
        RETURN NULL;  -- a stored id: a replay, answered by the general function
    END IF;
    UPDATE accounts SET
        debits_posted = debits_posted + CASE WHEN account_id = t.debit THEN t.amt ELSE 0 END,
        credits_posted = credits_posted + CASE WHEN account_id = t.credit THEN t.amt ELSE 0 END,
        posted_balance = posted_balance
            + CASE WHEN account_id = t.credit THEN t.amt ELSE -t.amt END
    WHERE account_id IN (t.debit, t.credit);
    RETURN '{"created":[' || seq_v || ']}';
END
$fn$;
"""

ENTRY = """
CREATE OR REPLACE FUNCTION ledger_create_transfers(batch jsonb, at timestamptz)
RETURNS text LANGUAGE plpgsql AS $fn$
-- The fast paths create what succeeds whole, or decline (NULL) before writing; the general
-- function answers everything else. `clearway.ledger_fast_path = off` skips the fast paths
-- (the tests that hold both to the same results and books).
BEGIN
    IF NOT COALESCE(NULLIF(current_setting('clearway.ledger_fast_path', true), ''),
                    'on')::bool THEN
        RETURN ledger_apply_transfers(batch, at);
    END IF;
    CASE jsonb_array_length(batch)
    WHEN 0 THEN
        RETURN '[]';
    WHEN 1 THEN
        RETURN COALESCE(ledger_create_single(batch, at), ledger_apply_transfers(batch, at));
    ELSE
        RETURN COALESCE(ledger_create_batch(batch, at), ledger_apply_transfers(batch, at));
    END CASE;
END
$fn$;
"""


def _revision_0006() -> dict[str, Any]:
    (path,) = Path(__file__).parent.glob("0006_*.py")
    return runpy.run_path(str(path))


def _checks(table: str, checks: dict[str, str]) -> str:
    return f"ALTER TABLE {table} " + ", ".join(
        f"ADD CONSTRAINT {name} CHECK ({rule})" for name, rule in checks.items()
    )


def _drop(table: str, names: list[str]) -> str:
    return f"ALTER TABLE {table} " + ", ".join(f"DROP CONSTRAINT {n}" for n in names)


def upgrade() -> None:
    for table, checks in OLD_CHECKS.items():
        op.execute(_drop(table, list(checks)))
    op.execute(DOMAINS)
    op.execute(
        "ALTER TABLE accounts "
        + ", ".join(f"ALTER COLUMN {c} TYPE ledger_nonneg_amount" for c in TOTALS)
        + f", ADD CONSTRAINT ck_accounts_balances CHECK ({ACCOUNTS_CHECK})"
    )
    op.execute(
        "ALTER TABLE ledger_transfers "
        "ALTER COLUMN amount TYPE ledger_positive_amount, "
        "ALTER COLUMN kind TYPE ledger_transfer_kind, "
        f"ADD CONSTRAINT ck_ledger_transfers_shape CHECK ({TRANSFERS_CHECK})"
    )
    op.execute(SINGLE)
    op.execute(ENTRY)


def downgrade() -> None:
    op.execute(_revision_0006()["entry_function"]())
    op.execute("DROP FUNCTION ledger_create_single(jsonb, timestamptz)")
    op.execute(_drop("accounts", ["ck_accounts_balances"]))
    op.execute(_drop("ledger_transfers", ["ck_ledger_transfers_shape"]))
    op.execute(
        "ALTER TABLE accounts "
        + ", ".join(f"ALTER COLUMN {c} TYPE numeric(20, 4)" for c in TOTALS)
    )
    op.execute(
        "ALTER TABLE ledger_transfers "
        "ALTER COLUMN amount TYPE numeric(20, 4), ALTER COLUMN kind TYPE varchar(16)"
    )
    op.execute(
        "DROP DOMAIN ledger_nonneg_amount, ledger_positive_amount, ledger_transfer_kind"
    )
    for table, checks in OLD_CHECKS.items():
        op.execute(_checks(table, checks))

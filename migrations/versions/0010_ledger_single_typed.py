"""ledger: a single transfer in 15% fewer server instructions (small CHECK trees, typed call, no aggregate)

Counted with callgrind as for 0009 (300 single transfers through `postgres --single`, each
its own transaction, the call prepared as the clients prepare it): 0.90 million
instructions per single transfer after 0009; after this one 0.76 million through the typed
call the Python clients now make, 0.82 million through the JSON entry (`LedgerStore`,
pgbench's script). Three changes, each measured alone in the same harness:

- The two cross-column CHECKs call a function on the whole row, `ledger_account_holds(accounts)`
  and `ledger_transfer_holds(ledger_transfers)`, with the same rules inside. PostgreSQL
  reads every CHECK back from its stored node text and plans it at each INSERT or UPDATE
  statement (0009's docstring); the function call's tree is 309 characters against 3,003 and
  2,485 for the inline expressions, and evaluating it per row costs less than parsing the
  big tree per statement: 0.07 to 0.11 million instructions less per single transfer. A
  batch, which parses once per statement and evaluates per row, pays the function call per
  row instead: 0.353 against 0.345 million instructions per transfer for batches of 500
  (+2%), within what batches can spare (5.8x TPC-B and more against the 5x asked).
- `ledger_create_single_typed` takes the transfer's fields as parameters, so a client that
  posts one single-phase transfer skips jsonb (parsing the text, `jsonb_to_record`, the
  casts) and a level of PL/pgSQL call: about 0.05 million less. The clients' prepared call
  falls back to `ledger_apply_transfers` on the same transfer, built into JSON by
  PostgreSQL only when the fast path declines (COALESCE evaluates its second argument only
  then).
- The locked accounts that pass the rules are counted with `PERFORM` and `GET DIAGNOSTICS
  ROW_COUNT` instead of `count(*)`: no aggregate to build per call, about 0.03 million
  less. The lock stays in a subquery that selects by primary key alone, with the rules
  outside it: with the rules in the locking query itself (0.01 million fewer instructions
  alone), every row another transfer held was re-checked by PostgreSQL's EvalPlanQual
  with the whole query, subplan included, and among 10 hot accounts that cost 4-14% of
  the throughput (pgbench driving the function, three alternating pairs).

`ledger_create_single(batch, jsonb)` keeps the JSON entry (`LedgerStore`, batches of one):
it checks what only JSON can get wrong (the shape, the kind, no pending id, no timeout, not
linked) and hands the fields to the typed function.

Measured and not kept: two UPDATE statements in id order instead of lock-then-update (each
statement's executor start costs more than the lock saves: 0.84 against 0.83 million), and
dropping the unique index on `seq` (0.02 million less per transfer, but the uniqueness of
the log's order would then rest on the sequence alone).

The CHECK swap validates every existing row (a full scan of `accounts` and
`ledger_transfers` under lock): on a large ledger, run it in a maintenance window.

Revision ID: 0010
Revises: 0009
"""

import runpy
from pathlib import Path
from typing import Any

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

HOLDS = r"""
CREATE FUNCTION ledger_account_holds(a accounts) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
-- ck_accounts_balances: the posted balance is credits minus debits; an account that may not
-- go negative keeps its pending debits covered; one whose credits may not exceed its debits
-- keeps its pending credits covered. (Fields are read by name: a column this reads must not
-- be dropped or renamed without changing this function.)
BEGIN
    RETURN a.posted_balance = a.credits_posted - a.debits_posted
       AND (a.allow_negative OR a.posted_balance >= a.pending_debits)
       AND (NOT a.credits_must_not_exceed_debits
            OR a.debits_posted >= a.credits_posted + a.pending_credits);
END
$fn$;

CREATE FUNCTION ledger_transfer_holds(t ledger_transfers) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
-- ck_ledger_transfers_shape: two different accounts; a state exactly on pending rows; a
-- pending_id exactly on resolutions (post_pending, void_pending, expire_pending: the kinds
-- that end in _pending, which the kind's domain limits to those three besides pending).
BEGIN
    RETURN t.debit_account_id <> t.credit_account_id
       AND (t.kind = 'pending') = (t.state IS NOT NULL)
       AND (t.kind LIKE '%\_pending') = (t.pending_id IS NOT NULL);
END
$fn$;
"""

ACCOUNTS_CHECK = "ledger_account_holds(accounts)"
TRANSFERS_CHECK = "ledger_transfer_holds(ledger_transfers)"

TYPED = """
CREATE FUNCTION ledger_create_single_typed(p_id text, p_debit text, p_credit text,
    p_amount text, p_currency text, p_code text, p_reference text, at timestamptz)
RETURNS text
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
SET enable_bitmapscan = off
AS $fn$
-- One new single-phase transfer between two open accounts that can afford it, or NULL
-- before anything is written: ledger_apply_transfers then answers (every rule, every
-- message). The rules are the general function's for one transfer.
DECLARE
    t record;
    n bigint;
    seq_v bigint;
BEGIN
    IF NOT COALESCE(NULLIF(current_setting('clearway.ledger_fast_path', true), ''),
                    'on')::bool THEN
        RETURN NULL;
    END IF;
    -- the amount (ledger_amount_problem's rules) at the currency's exponent
    -- (the CASE keeps the amount's cast behind the other fields, as the general function's
    -- order does)
    SELECT round(p_amount::numeric, e.places) AS amt
    INTO t
    FROM (SELECT ledger_currency_exponent(upper(p_currency)) AS places) e
    WHERE CASE WHEN p_id IS NOT NULL AND p_debit <> p_credit AND e.places >= 0
               THEN p_amount::numeric <> 'NaN' AND p_amount::numeric > 0
                    AND scale(trim_scale(p_amount::numeric)) <= e.places
               ELSE false END;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    -- both accounts, locked in id order like every other writer of balances; both must
    -- exist, be open, be in the transfer's currency and keep their flags after it (the
    -- rules are checked on the locked rows, outside the locking subquery, so a row another
    -- transfer held is re-read by its primary key alone before they are)
    PERFORM FROM (SELECT x.account_id, x.customer_id, x.currency, x.closed,
                         x.allow_negative, x.credits_must_not_exceed_debits AS cmned,
                         x.debits_posted, x.credits_posted, x.pending_debits,
                         x.pending_credits
                  FROM accounts x WHERE x.account_id IN (p_debit, p_credit)
                  ORDER BY x.account_id COLLATE "C" FOR NO KEY UPDATE) a
    WHERE a.currency = p_currency AND NOT a.closed
      AND (a.account_id <> p_debit
           OR ((a.allow_negative
                OR a.debits_posted + t.amt + a.pending_debits <= a.credits_posted)
               AND (a.customer_id IS NULL OR NOT EXISTS (
                   SELECT FROM customers c
                   WHERE c.customer_id = a.customer_id AND c.status = 'frozen'))))
      AND (a.account_id <> p_credit OR NOT a.cmned
           OR a.credits_posted + t.amt + a.pending_credits <= a.debits_posted);
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n <> 2 THEN
        RETURN NULL;
    END IF;
    INSERT INTO ledger_transfers (transfer_id, kind, debit_account_id, credit_account_id,
        amount, currency, code, reference, created_at)
    VALUES (p_id, 'single', p_debit, p_credit, t.amt, p_currency, p_code, p_reference, at)
    ON CONFLICT (transfer_id) DO NOTHING
    RETURNING seq INTO seq_v;
    IF NOT FOUND THEN
        RETURN NULL;  -- a stored id: a replay, answered by the general function
    END IF;
    UPDATE accounts SET
        debits_posted = debits_posted + CASE WHEN account_id = p_debit THEN t.amt ELSE 0 END,
        credits_posted = credits_posted + CASE WHEN account_id = p_credit THEN t.amt ELSE 0 END,
        posted_balance = posted_balance
            + CASE WHEN account_id = p_credit THEN t.amt ELSE -t.amt END
    WHERE account_id IN (p_debit, p_credit);
    RETURN '{"created":[' || seq_v || ']}';
END
$fn$;
"""

SINGLE = """
CREATE OR REPLACE FUNCTION ledger_create_single(batch jsonb, at timestamptz) RETURNS text
LANGUAGE plpgsql AS $fn$
-- A batch of one from JSON: what only JSON can get wrong here (the item's shape, its kind,
-- a pending id, a timeout, a link), then the typed fast path; NULL declines as there.
DECLARE
    t record;
BEGIN
    IF jsonb_typeof(batch -> 0) IS DISTINCT FROM 'object' THEN
        RETURN NULL;
    END IF;
    SELECT j.id, j.debit, j.credit, j.amount, j.currency, j.code, j.reference
    INTO t
    FROM jsonb_to_record(batch -> 0) AS j(id text, kind text, debit text, credit text,
         amount text, currency text, code text, reference text, pending_id text,
         timeout text, linked text)
    WHERE j.kind = 'single' AND j.pending_id IS NULL AND j.timeout IS NULL
      AND NOT COALESCE(j.linked::bool, false);
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    RETURN ledger_create_single_typed(t.id, t.debit, t.credit, t.amount, t.currency, t.code,
                                      t.reference, at);
END
$fn$;
"""


def _revision_0009() -> dict[str, Any]:
    (path,) = Path(__file__).parent.glob("0009_*.py")
    return runpy.run_path(str(path))


def _swap_checks(accounts: str, transfers: str) -> None:
    op.execute(
        "ALTER TABLE accounts DROP CONSTRAINT ck_accounts_balances, "
        f"ADD CONSTRAINT ck_accounts_balances CHECK ({accounts})"
    )
    op.execute(
        "ALTER TABLE ledger_transfers DROP CONSTRAINT ck_ledger_transfers_shape, "
        f"ADD CONSTRAINT ck_ledger_transfers_shape CHECK ({transfers})"
    )


def upgrade() -> None:
    op.execute(HOLDS)
    _swap_checks(ACCOUNTS_CHECK, TRANSFERS_CHECK)
    op.execute(TYPED)
    op.execute(SINGLE)


def downgrade() -> None:
    old = _revision_0009()
    op.execute(old["SINGLE"].replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1))
    op.execute(
        "DROP FUNCTION ledger_create_single_typed(text, text, text, text, text, text, text,"
        " timestamptz)"
    )
    _swap_checks(old["ACCOUNTS_CHECK"], old["TRANSFERS_CHECK"])
    op.execute("DROP FUNCTION ledger_transfer_holds(ledger_transfers)")
    op.execute("DROP FUNCTION ledger_account_holds(accounts)")

"""ledger: the batch path holds its account locks a third as long

Where eight clients posting batches of 500 among 10,000 accounts spent their time
(`pg_stat_activity` sampled every 50 ms, 2026-12-03): waiting for another batch's row lock
63% (`Lock:transactionid`) and 10% (`Lock:tuple`), on the CPU 22%, waiting for their client
4%. Any two such batches share accounts, so they queue behind each other: the throughput is
set by how long a batch holds its locks (from its first `FOR NO KEY UPDATE` to its commit),
not by its total CPU. Under the locks 0007's path ran the rules statement's join and the
whole UPDATE: a sequential scan of every account, a hash aggregate of the batch's moves per
account, then about 950 row updates. Counted with callgrind (`postgres --single`, batches of
500, instructions per transfer): 0.077 million for the locked rules statement and 0.107
million for the UPDATE, 0.354 million in all.

This path moves everything that depends on the batch alone before the locks, and keeps
under them only what needs the locked rows:

1. before any lock, one statement folds the batch into one row per account, in the byte
   order of the ids: the account's currency (NULL when its transfers name two), whether it
   is debited, its debits and credits, and the lowest running net credit after one of its
   debits and the highest after one of its credits, in batch order (the window sum of 0006,
   reduced to the two values its rules compare);
2. the INSERT of the transfers, as before (unlocked: the rows are invisible until commit);
3. the accounts locked in id order by a statement that does nothing else;
4. one UPDATE of the balances, driven by the per-account rows through the primary key,
   whose RETURNING carries each account's rules on the locked row (the balances before the
   batch are the returned ones minus the batch's own moves, so no PostgreSQL 18
   `RETURNING old` is needed); a frozen owner is read beside it as before. A rule that
   fails raises, the subtransaction rolls back (transfers, balances, locks) and the general
   function answers, every rule and every message, as before. A final balance outside an
   account's flags meets the accounts' CHECK inside the UPDATE first; that violation
   (SQLSTATE 23514) declines the same way.

The rules are 0006's, per account instead of per move: an account may be debited only if it
exists, is open, has the batch's currency and no frozen owner, and (unless it may go
negative) its available balance stays non-negative after each debit, which holds exactly
when it holds after the debit that leaves the running net lowest; likewise for a credit to
an account whose credits may not exceed its debits, at the highest. The differential test
(`tests/ledger/test_ledger_batch_path.py`) holds the two paths to the same results and books.

One smaller change for the same rows: `ledger_accounts_are_permanent` fires AFTER an
account row is deleted or renamed instead of before. Its refusal aborts the statement either
way, but a BEFORE UPDATE row trigger, even one limited to `UPDATE OF account_id`, makes every
UPDATE of an account fetch the old row once more to offer it to the trigger: 0.0035 million
instructions per transfer in a batch of 500 (1%), all of it under the locks.

Measured (alternating on one server, 8 clients, batches of 500 among 10,000 accounts, 8 s
each, four rounds): 0007's path 9,625 / 10,188 / 10,375 / 10,062 transfers/s; this path
(before the trigger change) 12,688 / 13,000 / 13,812 / 13,062, +31%, ahead in every round.
Instructions per transfer: 0.341 million against 0.354; under the locks 0.127 million (the
lock 0.027, the UPDATE with its rules 0.100) where 0007 had its UPDATE's 0.107 million plus
the locked part of a 0.077 million rules statement. (The fold before the locks costs 0.044
million: a shorter hold, not less work.) Measured and not kept: a fillfactor of 70 or 100
for `accounts` instead of 0005's 80 (within the noise of each other); the UPDATE fed from
per-account arrays but with the rules still in their own locked statement (+11% and +18%
in two alternating runs, about half the gain).

Revision ID: 0011
Revises: 0010
"""

import runpy
from pathlib import Path
from typing import Any

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def _revision(prefix: str) -> dict[str, Any]:
    """A frozen revision's names (its SQL texts), read from its file."""
    (path,) = Path(__file__).parent.glob(f"{prefix}_*.py")
    return runpy.run_path(str(path))


PER_ACCOUNT = """
    SELECT array_agg(s.account_id ORDER BY s.account_id COLLATE "C"),
           array_agg(s.currency ORDER BY s.account_id COLLATE "C"),
           array_agg(s.debited ORDER BY s.account_id COLLATE "C"),
           array_agg(s.dp ORDER BY s.account_id COLLATE "C"),
           array_agg(s.cp ORDER BY s.account_id COLLATE "C"),
           array_agg(s.low ORDER BY s.account_id COLLATE "C"),
           array_agg(s.high ORDER BY s.account_id COLLATE "C")
    INTO a_id, a_cur, a_debited, a_dp, a_cp, a_low, a_high
    FROM (SELECT r.account_id COLLATE "C" AS account_id,
                 CASE WHEN min(r.currency) = max(r.currency) THEN min(r.currency) END
                     AS currency,
                 bool_or(r.is_debit) AS debited,
                 sum(CASE WHEN r.is_debit THEN -r.delta ELSE 0 END) AS dp,
                 sum(CASE WHEN r.is_debit THEN 0 ELSE r.delta END) AS cp,
                 min(r.moved) FILTER (WHERE r.is_debit) AS low,
                 max(r.moved) FILTER (WHERE NOT r.is_debit) AS high
          FROM (SELECT m.account_id, m.currency, m.is_debit, m.delta,
                       sum(m.delta) OVER (PARTITION BY m.account_id COLLATE "C" ORDER BY m.o)
                           AS moved
                FROM (SELECT x.o, x.currency, x.debit AS account_id, true AS is_debit,
                             -x.amt AS delta
                      FROM unnest(b_d, b_amt, b_cur) WITH ORDINALITY AS x(debit, amt, currency, o)
                      UNION ALL
                      SELECT x.o, x.currency, x.credit, false, x.amt
                      FROM unnest(b_c, b_amt, b_cur) WITH ORDINALITY
                           AS x(credit, amt, currency, o)) m) r
          GROUP BY r.account_id COLLATE "C") s;"""
"""Step 1: the batch per account. `moved` is the account's net credit after each of its
transfers in batch order (0006's window sum); its lowest value after a debit and highest
after a credit are all the balance rules need. Grouped by the ids' byte order, the order
the window sum has already sorted them in (0.006 million instructions per transfer fewer
than grouping by the database's collation, which hashed and sorted again)."""

LOCKED = """
        PERFORM FROM accounts a WHERE a.account_id = ANY(a_id)
            ORDER BY a.account_id COLLATE "C" FOR NO KEY UPDATE;
        WITH applied AS (
            UPDATE accounts a SET debits_posted = a.debits_posted + v.dp,
                credits_posted = a.credits_posted + v.cp,
                posted_balance = a.posted_balance + v.cp - v.dp
            FROM unnest(a_id, a_cur, a_debited, a_dp, a_cp, a_low, a_high)
                 AS v(account_id, currency, debited, dp, cp, low, high)
            -- (the ANY repeats the join so the planner can reach accounts by primary key
            -- instead of scanning them all)
            WHERE a.account_id = v.account_id AND a.account_id = ANY(a_id)
            -- the balances before the batch are the new ones less the batch's own moves
            RETURNING a.customer_id, v.debited, COALESCE(
                a.currency = v.currency AND NOT a.closed
                AND (v.low IS NULL OR a.allow_negative
                     OR (a.credits_posted - v.cp) - (a.debits_posted - v.dp)
                        - a.pending_debits + v.low >= 0)
                AND (v.high IS NULL OR NOT a.credits_must_not_exceed_debits
                     OR (a.debits_posted - v.dp) - (a.credits_posted - v.cp)
                        - a.pending_credits - v.high >= 0),
                false) AS fine
        )
        SELECT count(*) = cardinality(a_id) AND COALESCE(bool_and(applied.fine
                   AND NOT (applied.debited AND COALESCE(c.status = 'frozen', false))), false)
        INTO ok
        FROM applied LEFT JOIN customers c ON c.customer_id = applied.customer_id;
        IF NOT ok THEN  -- an account is missing, or a rule fails on its locked row
            RAISE EXCEPTION 'declined' USING ERRCODE = 'CW002';
        END IF;"""
"""Steps 3 and 4: the only statements under the account locks. Every account the batch
names must come back from the UPDATE (an unknown one does not, and the count is short)."""


def batch_function() -> str:
    m = _revision("0006")
    batch: str = m["BATCH"]
    start = batch.index("        -- ids are taken as they come")
    insert = batch[start : batch.index("        WITH acct AS", start)]
    return f"""
CREATE OR REPLACE FUNCTION ledger_create_batch(batch jsonb, at timestamptz)
RETURNS text LANGUAGE plpgsql AS $fn$
-- New single-phase transfers that all succeed, set-based, with only the lock and the balance
-- update under the account locks; NULL, with nothing written, for any other batch.
DECLARE
    n int := jsonb_array_length(batch);
    ok bool; result text;
    b_id text[]; b_d text[]; b_c text[]; b_amt numeric[]; b_cur text[]; b_code text[];
    b_ref text[];
    a_id text[]; a_cur text[]; a_debited bool[]; a_dp numeric[]; a_cp numeric[];
    a_low numeric[]; a_high numeric[];
BEGIN
    {m["SHAPE"].replace("{items}", m["ITEMS"])}
    IF NOT ok THEN
        RETURN NULL;
    END IF;
    {PER_ACCOUNT}
    BEGIN
{insert.rstrip()}
{LOCKED}
    EXCEPTION WHEN unique_violation OR foreign_key_violation OR check_violation
                   OR SQLSTATE 'CW002' THEN
        -- (a balance the batch would leave outside its flags meets the accounts' CHECK
        -- in the UPDATE, before the rules below it are read)
        RETURN NULL;  -- the subtransaction's rows and locks are gone
    END;
    RETURN result;
END
$fn$;
"""


def _permanence_trigger(timing: str) -> None:
    op.execute("DROP TRIGGER ledger_accounts_are_permanent ON accounts")
    op.execute(
        f"CREATE TRIGGER ledger_accounts_are_permanent {timing} DELETE OR UPDATE OF account_id"
        " ON accounts FOR EACH ROW EXECUTE FUNCTION ledger_accounts_are_permanent()"
    )


def upgrade() -> None:
    op.execute(batch_function())
    _permanence_trigger("AFTER")


def downgrade() -> None:
    _permanence_trigger("BEFORE")
    op.execute(_revision("0007")["batch_function"]())

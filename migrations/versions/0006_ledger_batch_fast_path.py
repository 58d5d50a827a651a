"""ledger: a set-based path for batches that all succeed, and account references without row locks

Eight clients posting batches of 1,000 among 10,000 accounts queue on each other: every
batch locks about 1,800 accounts, so any two share some, and the second waits for the first
to commit. Throughput is then one batch per lock-holding time, and that time was the
general function's whole run (lock, apply loop, insert, update, result: 60 ms alone, over
100 ms with seven others on two cores). This migration shortens what runs under the locks.

`ledger_create_batch` takes a batch of two or more new single-phase transfers that all
succeed (the commonest batch: a posting run), and declines anything else before writing,
returning NULL so that `ledger_apply_transfers` answers (every rule, every message):

1. shape, from the JSON alone: every item `single`, no `pending_id` or timeout, accounts
   named and different, an amount `ledger_amount_problem` accepts, ids distinct, no chain
   left open at the end;
2. the rules on an unlocked snapshot (accounts exist, same currency, open, debit side not
   frozen, and every account's running balance within its flags after each transfer in
   batch order, by a window sum), so a batch that would fail is declined before any write;
3. in a subtransaction: the INSERT of the transfers (ids taken as they come: a replayed or
   concurrently created id declines) and the result JSON, built before any account lock;
4. the accounts locked in id order (`FOR NO KEY UPDATE`, the weakest lock that excludes
   another writer of the balances), the rules of step 2 re-checked on the locked rows, and
   one UPDATE of the balances; a re-check that fails (a race since step 2) rolls the
   subtransaction back and declines.

Only step 4 runs under the account locks. When every transfer succeeds, applying them one by
one (the general function) and checking every running balance at once accept exactly the
same batches, and linked chains change nothing; the differential test in
`tests/ledger/test_ledger_fast_path.py` holds the two paths to the same results and books.

Foreign keys: the transfers' two foreign keys to `accounts` took a `KEY SHARE` row lock on
both accounts of every transfer inserted. Once inserts come before the balance locks, those
locks land on rows other batches are updating, and every such update must record both in a
MultiXact: measured, eight batch clients ran at half the rate with the foreign keys than
without them (7,600 against 15,600 transfers/s). The same rule is now kept without row locks:

- a statement-level trigger checks that every inserted transfer names existing accounts (one
  anti-join over the statement's new rows, not two lookups per row), raising SQLSTATE 23503
  as a foreign key would;
- accounts are never deleted, truncated while transfers exist, or renamed (a trigger refuses;
  a ledger closes accounts, it does not remove them), and a transfer's accounts never change
  (a trigger refuses), so a reference that was valid at insert stays valid, which is what the
  key-share lock was for.

Lock order: every writer of balances (this path, the single-transfer path and the general
function) now locks accounts `FOR NO KEY UPDATE` in the byte order of their ids (`COLLATE
"C"`), which is one order whatever the database's locale, and sorts ids without the
locale's comparison (`strcoll` and its locale lookups were about 4% of the server's CPU
in the batch bench).

Answers: both fast paths answer `{"created": [seq, ...]}` instead of a full result per
transfer; the client rebuilds the results from what it sent (`domain/ledger/batch.py`).

A fix in the general function (`ledger_apply_transfers`, 0004's text with one addition):
a batch of more than 16 transfers whose first transfers failed and named no stored id
raised a not-null violation instead of returning its results. The new transfers' fields sit
at positions `ns + m` of arrays that start empty; the first assignment, at `ns + 2` when
transfer 1 had failed, started an array there, so the slices the set-based INSERT took were
shifted by one. The arrays now get their `n` positions before the loop. (The differential
batch test found it; a test in `tests/ledger/test_ledger_store.py` keeps it fixed.) The same
text reads an empty `clearway.ledger_small_batch` setting as unset.

Revision ID: 0006
Revises: 0005
"""

import importlib.util
from pathlib import Path
from types import ModuleType

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ITEMS = (
    "ROWS FROM (jsonb_to_recordset(batch) AS (id text, kind text, debit text, credit text,"
    " amount text, currency text, code text, reference text, pending_id text, timeout text,"
    " linked text)) WITH ORDINALITY AS x(id, kind, debit, credit, amount, currency, code,"
    " reference, pending_id, timeout, linked, o)"
)
"""The batch as rows, every field as text (a malformed value declines instead of failing a
cast here: the general function then reports it as it always has)."""

PARSED = "unnest(b_id, b_d, b_c, b_amt, b_cur) WITH ORDINALITY AS x(id, debit, credit, amt, currency, o)"
"""The batch once parsed (arrays in batch order), for every statement after the first."""

SHAPE = r"""
    SELECT COALESCE(bool_and(COALESCE(
               x.kind = 'single' AND x.pending_id IS NULL AND x.timeout IS NULL
               AND x.id IS NOT NULL AND x.debit IS NOT NULL AND x.credit IS NOT NULL
               AND x.debit <> x.credit AND x.currency IS NOT NULL
               AND x.code IS NOT NULL AND x.reference IS NOT NULL
               AND (x.o < n OR x.linked IS NULL OR x.linked = 'false')
               -- ledger_amount_problem's rules, inline (a PL/pgSQL call per row cost more)
               AND CASE WHEN x.amount ~ '^\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\s*$' THEN
                        ledger_currency_exponent(upper(x.currency)) >= 0
                        AND x.amount::numeric > 0
                        AND scale(trim_scale(x.amount::numeric))
                            <= ledger_currency_exponent(upper(x.currency))
                   ELSE false END, false)), false)
           AND count(DISTINCT x.id COLLATE "C") = n,
           array_agg(x.id ORDER BY x.o), array_agg(x.debit ORDER BY x.o),
           array_agg(x.credit ORDER BY x.o),
           array_agg(CASE WHEN x.amount ~ '^\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\s*$' THEN
                         round(x.amount::numeric, ledger_currency_exponent(upper(x.currency)))
                     END ORDER BY x.o),
           array_agg(x.currency ORDER BY x.o), array_agg(x.code ORDER BY x.o),
           array_agg(x.reference ORDER BY x.o)
    INTO ok, b_id, b_d, b_c, b_amt, b_cur, b_code, b_ref
    FROM {items};"""
"""Step 1, from the JSON alone. Every array is aggregated `ORDER BY x.o`, explicitly: with
the DISTINCT count beside them, PostgreSQL sorts the whole input by id for all aggregates
of the level, and arrays in id order would number the transfers (`seq`) out of batch order. The pattern admits
what PostgreSQL reads as a finite number, so the casts behind it cannot fail here on an
amount the general function would never have read (one after a failed member of a chain)."""

RULES = """
        WITH acct AS (
            SELECT a.account_id, a.currency, a.closed, a.allow_negative,
                   a.credits_must_not_exceed_debits AS cmned, a.debits_posted AS dp,
                   a.credits_posted AS cp, a.pending_debits AS pd, a.pending_credits AS pc,
                   COALESCE(c.status = 'frozen', false) AS frozen
            FROM accounts a LEFT JOIN customers c ON c.customer_id = a.customer_id
            WHERE a.account_id = ANY(b_d || b_c)
            ORDER BY a.account_id COLLATE "C" {lock}
        ), moves AS (
            SELECT x.o, x.currency, x.debit AS account_id, true AS is_debit, -x.amt AS delta
            FROM {parsed}
            UNION ALL
            SELECT x.o, x.currency, x.credit, false, x.amt FROM {parsed}
        ), run AS (
            SELECT m.account_id, m.currency, m.is_debit,
                   sum(m.delta) OVER (PARTITION BY m.account_id COLLATE "C" ORDER BY m.o)
                       AS moved
            FROM moves m
        )
        SELECT count(*) = 2 * n AND COALESCE(bool_and(COALESCE(
                   a.currency = r.currency AND NOT a.closed
                   AND (NOT r.is_debit OR NOT a.frozen)
                   AND (NOT r.is_debit OR a.allow_negative OR a.cp - a.dp - a.pd + r.moved >= 0)
                   AND (r.is_debit OR NOT a.cmned OR a.dp - a.cp - a.pc - r.moved >= 0),
                   false)), false)
        INTO ok
        FROM run r JOIN acct a ON a.account_id = r.account_id;"""
"""Every rule a new single transfer must pass, for the whole batch at once. `moved` is an
account's net credit after each of its transfers in batch order, so each debit is checked
against the balance the transfers before it left (the general function's rule, transfer by
transfer), and each credit to a credit-limited account likewise."""

BATCH = f"""
CREATE FUNCTION ledger_create_batch(batch jsonb, at timestamptz)
RETURNS text LANGUAGE plpgsql AS $fn$
-- New single-phase transfers that all succeed, set-based, with only the balance update under
-- the account locks; NULL, with nothing written, for any other batch.
DECLARE
    n int := jsonb_array_length(batch);
    ok bool; result text;
    b_id text[]; b_d text[]; b_c text[]; b_amt numeric[]; b_cur text[]; b_code text[];
    b_ref text[];
BEGIN
    {SHAPE.replace("{items}", ITEMS)}
    IF NOT ok THEN
        RETURN NULL;
    END IF;
    {RULES.format(lock="", parsed=PARSED)}
    IF NOT ok THEN
        RETURN NULL;
    END IF;
    BEGIN
        -- ids are taken as they come: one stored, or created meanwhile by another batch,
        -- is a unique violation here, and the general function answers instead
        WITH ins AS (
            INSERT INTO ledger_transfers (transfer_id, kind, debit_account_id,
                credit_account_id, amount, currency, code, reference, created_at)
            SELECT x.id, 'single', x.debit, x.credit, x.amt, x.currency, x.code, x.reference, at
            FROM unnest(b_id, b_d, b_c, b_amt, b_cur, b_code, b_ref) WITH ORDINALITY
                 AS x(id, debit, credit, amt, currency, code, reference, o)
            ORDER BY x.o
            RETURNING seq
        )  -- one INSERT draws the numbers in row order, so ascending is batch order
        SELECT '{{"created":' || json_agg(ins.seq ORDER BY ins.seq) || '}}' INTO result FROM ins;
        {RULES.format(lock="FOR NO KEY UPDATE OF a", parsed=PARSED)}
        IF NOT ok THEN  -- a balance, flag or owner changed since the unlocked check
            RAISE EXCEPTION 'declined' USING ERRCODE = 'CW002';
        END IF;
        UPDATE accounts a SET debits_posted = a.debits_posted + v.dp,
            credits_posted = a.credits_posted + v.cp,
            posted_balance = a.posted_balance + v.cp - v.dp
        FROM (SELECT m.account_id, sum(m.dp) AS dp, sum(m.cp) AS cp
              FROM (SELECT x.debit AS account_id, x.amt AS dp, 0 AS cp FROM {PARSED}
                    UNION ALL
                    SELECT x.credit, 0, x.amt FROM {PARSED}) m
              GROUP BY m.account_id) v
        WHERE a.account_id = v.account_id;
    EXCEPTION WHEN unique_violation OR SQLSTATE 'CW002' THEN
        RETURN NULL;  -- the subtransaction's rows and locks are gone
    END;
    RETURN result;
END
$fn$;
"""

DISPATCH_0005 = """    IF jsonb_array_length(batch) <> 1
       OR NOT COALESCE(NULLIF(current_setting('clearway.ledger_fast_path', true), ''),
                       'on')::bool THEN
        RETURN ledger_apply_transfers(batch, at);
    END IF;
"""
DISPATCH = """    IF NOT COALESCE(NULLIF(current_setting('clearway.ledger_fast_path', true), ''),
                    'on')::bool THEN
        RETURN ledger_apply_transfers(batch, at);
    END IF;
    IF jsonb_array_length(batch) > 1 THEN
        RETURN COALESCE(ledger_create_batch(batch, at), ledger_apply_transfers(batch, at));
    END IF;
    IF jsonb_array_length(batch) = 0 THEN
        RETURN '[]';
    END IF;
"""

REFERENCES = """
CREATE FUNCTION ledger_transfers_name_accounts() RETURNS trigger
LANGUAGE plpgsql AS $fn$
-- The foreign keys' rule for every statement's new transfers at once, without row locks:
-- each account named once, then one anti-join (two NOT EXISTS joined by OR would run as
-- a subquery per transfer and side, about a third of a batch's CPU).
DECLARE
    missing text;
BEGIN
    SELECT n.account_id INTO missing
    FROM (SELECT debit_account_id FROM added UNION SELECT credit_account_id FROM added)
         AS n(account_id)
    WHERE NOT EXISTS (SELECT FROM accounts a WHERE a.account_id = n.account_id)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'a transfer names account %, which does not exist', missing
            USING ERRCODE = 'foreign_key_violation', TABLE = 'ledger_transfers';
    END IF;
    RETURN NULL;
END
$fn$;

CREATE TRIGGER ledger_transfers_name_accounts AFTER INSERT ON ledger_transfers
REFERENCING NEW TABLE AS added
FOR EACH STATEMENT EXECUTE FUNCTION ledger_transfers_name_accounts();

CREATE FUNCTION ledger_transfers_keep_accounts() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    IF NEW.debit_account_id IS DISTINCT FROM OLD.debit_account_id
       OR NEW.credit_account_id IS DISTINCT FROM OLD.credit_account_id THEN
        RAISE EXCEPTION 'the accounts of transfer % cannot change', OLD.transfer_id
            USING ERRCODE = 'foreign_key_violation', TABLE = 'ledger_transfers';
    END IF;
    RETURN NEW;
END
$fn$;

CREATE TRIGGER ledger_transfers_keep_accounts
BEFORE UPDATE OF debit_account_id, credit_account_id ON ledger_transfers
FOR EACH ROW EXECUTE FUNCTION ledger_transfers_keep_accounts();

CREATE FUNCTION ledger_accounts_are_permanent() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.account_id = OLD.account_id THEN
            RETURN NEW;
        END IF;
    ELSIF TG_OP = 'TRUNCATE' THEN
        IF NOT EXISTS (SELECT FROM ledger_transfers) THEN
            RETURN NULL;
        END IF;
    END IF;
    RAISE EXCEPTION 'accounts are closed, never deleted or renamed: transfers name them'
        USING ERRCODE = 'foreign_key_violation', TABLE = 'accounts';
END
$fn$;

CREATE TRIGGER ledger_accounts_are_permanent
BEFORE DELETE OR UPDATE OF account_id ON accounts
FOR EACH ROW EXECUTE FUNCTION ledger_accounts_are_permanent();

CREATE TRIGGER ledger_accounts_are_permanent_truncate BEFORE TRUNCATE ON accounts
FOR EACH STATEMENT EXECUTE FUNCTION ledger_accounts_are_permanent();
"""


def _revision(prefix: str) -> ModuleType:
    (path,) = Path(__file__).parent.glob(f"{prefix}_*.py")
    spec = importlib.util.spec_from_file_location(f"clearway_migration_{prefix}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ROOM_0004 = "    ns := COALESCE(ns, 0);\n"
NEW_TRANSFER_ARRAYS = {
    "k_id": "text",
    "k_kind": "text",
    "k_d": "text",
    "k_c": "text",
    "k_amt": "numeric",
    "k_cur": "text",
    "k_code": "text",
    "k_ref": "text",
    "k_pid": "text",
    "k_to": "int",
    "k_exp": "timestamptz",
    "k_state": "text",
    "k_created": "timestamptz",
}
"""The general function's arrays that the set-based INSERT slices at `ns + 1 .. ns + n`."""
ROOM = (
    ROOM_0004
    + "    IF NOT small THEN\n"
    + "        -- every new transfer's position exists before the loop assigns any: an\n"
    + "        -- assignment at ns + 2 into an array without ns + 1 would start it there\n"
    + "".join(
        f"        {name} := {name}[1:ns] || array_fill(NULL::{kind}, ARRAY[n]);\n"
        for name, kind in NEW_TRANSFER_ARRAYS.items()
    )
    + "    END IF;\n"
)
LOCK_0004 = "ORDER BY a.account_id FOR UPDATE OF a"
LOCK = 'ORDER BY a.account_id COLLATE "C" FOR NO KEY UPDATE OF a'
LOCK_0005 = "ORDER BY x.account_id FOR UPDATE"
LOCK_SINGLE = 'ORDER BY x.account_id COLLATE "C" FOR NO KEY UPDATE'
"""Every writer of balances locks accounts in the byte order of their ids (with a libc
locale such as en_US a sort by the column's collation would be another order, and two paths
locking in two orders can deadlock), and with `FOR NO KEY UPDATE`, the weakest lock that
excludes another writer (`FOR UPDATE` also excludes key-share lockers, of which there are
none since the foreign keys went)."""
SMALL_0004 = "COALESCE(current_setting('clearway.ledger_small_batch', true), '16')"
SMALL = "COALESCE(NULLIF(current_setting('clearway.ledger_small_batch', true), ''), '16')"


def _replace_once(sql: str, old: str, new: str) -> str:
    assert sql.count(old) == 1, f"not found once in the frozen text: {old!r}"
    return sql.replace(old, new)


def apply_function(fixed: bool = True) -> str:
    """The general function as 0005 left it (0004's text, renamed), with the fix above."""
    sql = _replace_once(
        _revision("0004").FUNCTION,
        "CREATE OR REPLACE FUNCTION ledger_create_transfers(",
        "CREATE OR REPLACE FUNCTION ledger_apply_transfers(",
    )
    if fixed:
        sql = _replace_once(_replace_once(sql, ROOM_0004, ROOM), SMALL_0004, SMALL)
        sql = _replace_once(sql, LOCK_0004, LOCK)
    return sql


COMPACT = """    RETURN '{"created":[' || seq_v || ']}';\n"""


def entry_function() -> str:
    """0005's single-transfer fast path, unchanged but for its first branch, which now also
    sends batches to `ledger_create_batch`, and its answer, now the compact one (the one
    copy of that SQL stays in 0005)."""
    fast_path: str = _revision("0005").FAST_PATH
    start = fast_path.index("    RETURN '[' || json_build_object(")
    end = fast_path.index("|| ']';\n", start) + len("|| ']';\n")
    fast_path = fast_path[:start] + COMPACT + fast_path[end:]
    fast_path = _replace_once(fast_path, LOCK_0005, LOCK_SINGLE)
    return _replace_once(
        _replace_once(fast_path, DISPATCH_0005, DISPATCH),
        "CREATE FUNCTION",
        "CREATE OR REPLACE FUNCTION",
    )


def upgrade() -> None:
    op.execute(apply_function())
    op.execute(BATCH)
    op.execute(entry_function())
    op.execute(
        "ALTER TABLE ledger_transfers "
        "DROP CONSTRAINT ledger_transfers_debit_account_id_fkey, "
        "DROP CONSTRAINT ledger_transfers_credit_account_id_fkey"
    )
    op.execute(REFERENCES)


def downgrade() -> None:
    op.execute("DROP TRIGGER ledger_accounts_are_permanent_truncate ON accounts")
    op.execute("DROP TRIGGER ledger_accounts_are_permanent ON accounts")
    op.execute("DROP TRIGGER ledger_transfers_keep_accounts ON ledger_transfers")
    op.execute("DROP TRIGGER ledger_transfers_name_accounts ON ledger_transfers")
    op.execute("DROP FUNCTION ledger_accounts_are_permanent()")
    op.execute("DROP FUNCTION ledger_transfers_keep_accounts()")
    op.execute("DROP FUNCTION ledger_transfers_name_accounts()")
    op.execute(
        "ALTER TABLE ledger_transfers "
        "ADD CONSTRAINT ledger_transfers_debit_account_id_fkey FOREIGN KEY (debit_account_id) "
        "REFERENCES accounts (account_id), "
        "ADD CONSTRAINT ledger_transfers_credit_account_id_fkey FOREIGN KEY (credit_account_id) "
        "REFERENCES accounts (account_id)"
    )
    op.execute(
        _replace_once(_revision("0005").FAST_PATH, "CREATE FUNCTION", "CREATE OR REPLACE FUNCTION")
    )
    op.execute("DROP FUNCTION ledger_create_batch(jsonb, timestamptz)")
    op.execute(apply_function(fixed=False))

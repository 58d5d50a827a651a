"""The Alembic migrations, applied to a real PostgreSQL, produce exactly the mapped schema."""

from __future__ import annotations

import uuid

import psycopg
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from pydantic import SecretStr
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from clearway.migrate import alembic_config, upgrade
from clearway.settings import Settings
from models.tables import Base


def test_migrations_match_the_mapped_tables(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    assert diff == [], f"models/tables.py and migrations/ disagree: {diff}"


NAMES = "SELECT array_agg(proname::text ORDER BY proname) FROM pg_proc WHERE proname LIKE 'ledger%'"
EXPONENTS = (
    "SELECT array_agg(ledger_currency_exponent(c) ORDER BY o) FROM unnest(ARRAY['EUR', 'JPY',"
    " 'BHD', 'CLF', 'XAU', 'eur', 'ZZZ', NULL]) WITH ORDINALITY AS x(c, o)"
)


BATCH_SOURCE = "SELECT md5(prosrc) FROM pg_proc WHERE proname = 'ledger_create_batch'"

ID_COLLATIONS = (
    "SELECT array_agg(DISTINCT COALESCE(collation_name, 'default'))"
    " FROM information_schema.columns WHERE table_schema = current_schema()"
    " AND (table_name, column_name) IN (('accounts', 'account_id'),"
    " ('ledger_transfers', 'transfer_id'), ('ledger_transfers', 'debit_account_id'),"
    " ('ledger_transfers', 'credit_account_id'), ('ledger_transfers', 'pending_id'))"
)

CHECKS = (
    "SELECT array_agg(conname::text ORDER BY conname) FROM pg_constraint"
    " WHERE conrelid IN ('accounts'::regclass, 'ledger_transfers'::regclass) AND contype = 'c'"
)
DOMAINS = (
    "SELECT array_agg(column_name || ':' || COALESCE(domain_name, data_type) ORDER BY column_name)"
    " FROM information_schema.columns WHERE table_schema = current_schema()"
    " AND (table_name, column_name) IN (('accounts', 'debits_posted'),"
    " ('accounts', 'pending_credits'), ('ledger_transfers', 'amount'),"
    " ('ledger_transfers', 'kind'))"
)
ENTRY_SOURCE = "SELECT md5(prosrc) FROM pg_proc WHERE proname = 'ledger_create_transfers'"
CHECK_RULES = (
    "SELECT array_agg(pg_get_constraintdef(oid) ORDER BY conname) FROM pg_constraint"
    " WHERE conrelid IN ('accounts'::regclass, 'ledger_transfers'::regclass) AND contype = 'c'"
)
SINGLE_SOURCE = "SELECT md5(prosrc) FROM pg_proc WHERE proname = 'ledger_create_single'"
ACCOUNTS_STORAGE = (
    "SELECT COALESCE(c.reloptions, '{}') || ARRAY[t.tgtype::text] FROM pg_class c"
    " JOIN pg_trigger t ON t.tgrelid = c.oid AND t.tgname = 'ledger_accounts_are_permanent'"
    " WHERE c.oid = 'accounts'::regclass"
)

FOREIGN_KEYS = (
    "SELECT array_agg(conname::text ORDER BY conname) FROM pg_constraint"
    " WHERE conrelid = 'ledger_transfers'::regclass AND contype = 'f'"
)


def test_the_ledger_fast_path_migrations_downgrade_and_upgrade_cleanly(database_url: str) -> None:
    """0005 renames the general function, wraps it and rewrites the exponent lookup; 0006
    adds the batch path and trades the account foreign keys for triggers; 0007 drops the
    batch path's unlocked check; 0008 orders ids as bytes; 0009 moves single-column rules to
    domains, merges the checks and splits the single fast path out; 0010 writes the checks as
    functions of the row and adds the typed single path; 0011 rewrites the batch path, turns
    the accounts' permanence trigger into an AFTER trigger. Downgrading them must give back
    0004's functions, foreign keys, exponents and collations (and 0006's batch path on the
    way), and upgrading again must work (on a scratch database: the suite's own stays at
    head)."""
    name = f"clearway_migrations_{uuid.uuid4().hex[:8]}"
    url = make_url(database_url)
    libpq = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(libpq, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    settings = Settings(
        database_url=SecretStr(url.set(database=name).render_as_string(hide_password=False))
    )
    engine = create_engine(settings.database_url.get_secret_value())
    seen = []
    try:
        steps = (
            "0004",
            "0006",
            "0008",
            "0009",
            "0010",
            "head",
            "down to 0010",
            "down to 0009",
            "down to 0008",
            "down to 0006",
            "down to 0004",
        )
        for step in (*steps, "head"):
            if step.startswith("down to "):
                command.downgrade(alembic_config(settings), step.removeprefix("down to "))
            else:
                upgrade(settings, step)
            with engine.connect() as conn:
                seen.append(
                    (
                        conn.execute(text(NAMES)).scalar(),
                        conn.execute(text(EXPONENTS)).scalar(),
                        conn.execute(text(FOREIGN_KEYS)).scalar(),
                        conn.execute(text(BATCH_SOURCE)).scalar(),
                        conn.execute(text(ID_COLLATIONS)).scalar(),
                        conn.execute(text(CHECKS)).scalar(),
                        conn.execute(text(DOMAINS)).scalar(),
                        conn.execute(text(ENTRY_SOURCE)).scalar(),
                        conn.execute(text(CHECK_RULES)).scalar(),
                        conn.execute(text(SINGLE_SOURCE)).scalar(),
                        conn.execute(text(ACCOUNTS_STORAGE)).scalar(),
                    )
                )
    finally:
        engine.dispose()
        with psycopg.connect(libpq, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    (
        at_0004,
        at_0006,
        at_0008,
        at_0009,
        at_0010,
        at_head,
        back_at_0010,
        back_at_0009,
        back_at_0008,
        back_at_0006,
        downgraded,
        upgraded,
    ) = seen
    # (0009's downgrade restores 0003's checks by meaning, not by stored text)
    assert at_0008[5:8] == back_at_0008[5:8]
    assert at_0009 == back_at_0009
    assert at_0010 == back_at_0010
    # 0011: the batch path changes; the trigger fires after the row (tgtype 25: row, after,
    # delete, update) instead of before (27); 0005's fillfactor stays
    assert at_0010[3] != at_head[3] == upgraded[3]
    assert at_0010[10] == ["fillfactor=80", "27"]
    assert at_head[10] == upgraded[10] == ["fillfactor=80", "25"]
    assert at_0009[5] == at_head[5] == ["ck_accounts_balances", "ck_ledger_transfers_shape"]
    assert (
        at_head[8]
        == upgraded[8]
        == [
            "CHECK (ledger_account_holds(accounts.*))",
            "CHECK (ledger_transfer_holds(ledger_transfers.*))",
        ]
    )
    assert at_0009[8] != at_head[8] and at_0009[9] != at_head[9] == upgraded[9]
    assert at_0008[5] == [
        "ck_accounts_amounts_non_negative",
        "ck_accounts_credits_within_debits",
        "ck_accounts_non_negative",
        "ck_accounts_posted_balance",
        "ck_ledger_transfers_amount_positive",
        "ck_ledger_transfers_kind",
        "ck_ledger_transfers_resolution_names_pending",
        "ck_ledger_transfers_state",
        "ck_ledger_transfers_two_accounts",
    ]
    assert at_0008[6] == [
        "amount:numeric",
        "debits_posted:numeric",
        "kind:character varying",
        "pending_credits:numeric",
    ]
    assert at_head[5:] == upgraded[5:]
    assert at_head[5] == ["ck_accounts_balances", "ck_ledger_transfers_shape"]
    assert at_head[6] == [
        "amount:ledger_positive_amount",
        "debits_posted:ledger_nonneg_amount",
        "kind:ledger_transfer_kind",
        "pending_credits:ledger_nonneg_amount",
    ]
    assert at_head[7] != at_0008[7]
    assert at_0006[3] == back_at_0006[3] != at_head[3] == upgraded[3]
    assert at_0004[3] is None and downgraded[3] is None
    assert at_head[4] == upgraded[4] == ["C"]
    assert at_0004[4] == at_0006[4] == downgraded[4] == ["default"]
    assert at_0004[1] == [2, 0, 3, 4, -1, None, None, None]
    assert at_head[1] == downgraded[1] == upgraded[1] == at_0004[1]
    assert (
        at_0004[0]
        == downgraded[0]
        == [
            "ledger_amount_problem",
            "ledger_create_transfers",
            "ledger_currency_exponent",
        ]
    )
    assert (
        at_head[0]
        == upgraded[0]
        == sorted(
            [
                *at_0004[0],
                "ledger_account_holds",
                "ledger_accounts_are_permanent",
                "ledger_apply_transfers",
                "ledger_create_batch",
                "ledger_create_single",
                "ledger_create_single_typed",
                "ledger_transfer_holds",
                "ledger_transfers_keep_accounts",
                "ledger_transfers_name_accounts",
            ]
        )
    )
    assert (
        at_0004[2]
        == downgraded[2]
        == [
            "ledger_transfers_credit_account_id_fkey",
            "ledger_transfers_debit_account_id_fkey",
            "ledger_transfers_pending_id_fkey",
        ]
    )
    assert at_head[2] == upgraded[2] == ["ledger_transfers_pending_id_fkey"]

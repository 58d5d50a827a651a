"""ledger: account and transfer ids compare as bytes (COLLATE "C")

Ids are identifiers, not words: `acc-B` and `acc-a` have no linguistic order that matters,
and every writer already locks accounts in their byte order (`ORDER BY ... COLLATE "C"`,
0006). With the database's collation on the columns, each of the five id indexes (the
two primary keys, the transfers' debit and credit indexes, the pending id) compared ids
through the locale (`strcoll`) on every descent: a batch of 1,000 new transfers makes
about 4,000 index insertions and 3,000 lookups. Measured on one server, fresh databases,
eight clients posting batches of 1,000 among 10,000 accounts, alternating: 22,600, 22,700,
20,500 and 22,400 transfers/s with the ids in byte order, 18,500, 20,600, 18,600 and 23,200
without (a mean 9% more; single transfers unchanged). On a database created with a
linguistic locale such as en_US.UTF-8, whose comparisons cost more than the C.UTF-8 the
embedded server uses, the gain is larger.

Equality is unchanged (both collations are deterministic), so no stored id changes meaning;
only ORDER BY of an id column changes, to byte order. The indexes on these columns are
rebuilt (the table is not rewritten: the type does not change). The two triggers that
watch `account_id` and the transfers' accounts, and the pending id's foreign key, are
dropped and created again around the change, as PostgreSQL requires.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

COLUMNS = {
    "accounts": {"account_id": 64},
    "ledger_transfers": {
        "transfer_id": 72,
        "debit_account_id": 64,
        "credit_account_id": 64,
        "pending_id": 72,
    },
}


def _alter(collation: str) -> None:
    op.execute("ALTER TABLE ledger_transfers DROP CONSTRAINT ledger_transfers_pending_id_fkey")
    op.execute("DROP TRIGGER ledger_accounts_are_permanent ON accounts")
    op.execute("DROP TRIGGER ledger_transfers_keep_accounts ON ledger_transfers")
    for table, columns in COLUMNS.items():
        op.execute(
            f"ALTER TABLE {table} "
            + ", ".join(
                f"ALTER COLUMN {name} TYPE varchar({size}) COLLATE {collation}"
                for name, size in columns.items()
            )
        )
    op.execute(
        "ALTER TABLE ledger_transfers ADD CONSTRAINT ledger_transfers_pending_id_fkey "
        "FOREIGN KEY (pending_id) REFERENCES ledger_transfers (transfer_id)"
    )
    # as 0006 created them
    op.execute(
        "CREATE TRIGGER ledger_transfers_keep_accounts "
        "BEFORE UPDATE OF debit_account_id, credit_account_id ON ledger_transfers "
        "FOR EACH ROW EXECUTE FUNCTION ledger_transfers_keep_accounts()"
    )
    op.execute(
        "CREATE TRIGGER ledger_accounts_are_permanent "
        "BEFORE DELETE OR UPDATE OF account_id ON accounts "
        "FOR EACH ROW EXECUTE FUNCTION ledger_accounts_are_permanent()"
    )


def upgrade() -> None:
    _alter('"C"')


def downgrade() -> None:
    _alter('"default"')

"""ledger: account flags and posted debits/credits, the transfer log

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

MONEY = sa.Numeric(precision=20, scale=4)


def upgrade() -> None:
    for column in ("posted_balance", "pending_debits", "pending_credits"):
        op.alter_column("accounts", column, server_default=sa.text("0"))
    op.add_column(
        "accounts", sa.Column("debits_posted", MONEY, server_default=sa.text("0"), nullable=False)
    )
    op.add_column(
        "accounts", sa.Column("credits_posted", MONEY, server_default=sa.text("0"), nullable=False)
    )
    # Accounts opened before the ledger held only a net balance: book it as credits.
    op.execute(
        "UPDATE accounts SET credits_posted = GREATEST(posted_balance, 0), "
        "debits_posted = GREATEST(-posted_balance, 0)"
    )
    op.add_column(
        "accounts",
        sa.Column(
            "credits_must_not_exceed_debits",
            sa.Boolean(),
            server_default=sa.text("false"),
            nullable=False,
        ),
    )
    op.add_column(
        "accounts", sa.Column("closed", sa.Boolean(), server_default=sa.text("false"), nullable=False)
    )
    op.create_check_constraint(
        "ck_accounts_credits_within_debits",
        "accounts",
        "NOT credits_must_not_exceed_debits "
        "OR debits_posted - credits_posted - pending_credits >= 0",
    )
    op.create_check_constraint(
        "ck_accounts_posted_balance", "accounts", "posted_balance = credits_posted - debits_posted"
    )
    op.create_check_constraint(
        "ck_accounts_amounts_non_negative",
        "accounts",
        "debits_posted >= 0 AND credits_posted >= 0 "
        "AND pending_debits >= 0 AND pending_credits >= 0",
    )
    op.create_table(
        "ledger_transfers",
        sa.Column("transfer_id", sa.String(length=72), nullable=False),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("debit_account_id", sa.String(length=64), nullable=False),
        sa.Column("credit_account_id", sa.String(length=64), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("reference", sa.String(length=140), nullable=False),
        sa.Column("pending_id", sa.String(length=72), nullable=True),
        sa.Column("timeout_seconds", sa.Integer(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.CheckConstraint("amount > 0", name="ck_ledger_transfers_amount_positive"),
        sa.CheckConstraint(
            "debit_account_id <> credit_account_id", name="ck_ledger_transfers_two_accounts"
        ),
        sa.CheckConstraint(
            "kind IN ('single', 'pending', 'post_pending', 'void_pending', 'expire_pending')",
            name="ck_ledger_transfers_kind",
        ),
        sa.CheckConstraint(
            "(kind IN ('post_pending', 'void_pending', 'expire_pending')) = (pending_id IS NOT NULL)",
            name="ck_ledger_transfers_resolution_names_pending",
        ),
        sa.CheckConstraint("(kind = 'pending') = (state IS NOT NULL)", name="ck_ledger_transfers_state"),
        sa.ForeignKeyConstraint(["debit_account_id"], ["accounts.account_id"]),
        sa.ForeignKeyConstraint(["credit_account_id"], ["accounts.account_id"]),
        sa.ForeignKeyConstraint(["pending_id"], ["ledger_transfers.transfer_id"]),
        sa.PrimaryKeyConstraint("transfer_id"),
        sa.UniqueConstraint("seq"),
    )
    op.create_index("ix_ledger_transfers_debit", "ledger_transfers", ["debit_account_id", "seq"])
    op.create_index("ix_ledger_transfers_credit", "ledger_transfers", ["credit_account_id", "seq"])
    op.create_index(
        "uq_ledger_transfers_pending_id",
        "ledger_transfers",
        ["pending_id"],
        unique=True,
        postgresql_where=sa.text("pending_id IS NOT NULL"),
    )
    op.create_index(
        "ix_ledger_transfers_expiring",
        "ledger_transfers",
        ["expires_at"],
        postgresql_where=sa.text("state = 'pending' AND expires_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_ledger_transfers_expiring", table_name="ledger_transfers")
    op.drop_index("uq_ledger_transfers_pending_id", table_name="ledger_transfers")
    op.drop_index("ix_ledger_transfers_credit", table_name="ledger_transfers")
    op.drop_index("ix_ledger_transfers_debit", table_name="ledger_transfers")
    op.drop_table("ledger_transfers")
    op.drop_constraint("ck_accounts_amounts_non_negative", "accounts", type_="check")
    op.drop_constraint("ck_accounts_posted_balance", "accounts", type_="check")
    op.drop_constraint("ck_accounts_credits_within_debits", "accounts", type_="check")
    op.drop_column("accounts", "closed")
    op.drop_column("accounts", "credits_must_not_exceed_debits")
    op.drop_column("accounts", "credits_posted")
    op.drop_column("accounts", "debits_posted")
    for column in ("posted_balance", "pending_debits", "pending_credits"):
        op.alter_column("accounts", column, server_default=None)

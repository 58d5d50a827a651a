"""sanctions list versions

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sanctions_list_versions",
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("stored_path", sa.Text(), nullable=False),
        sa.Column("published", sa.Date(), nullable=True),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("names", sa.Integer(), nullable=False),
        sa.Column(
            "loaded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("previous_hash", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("source", "content_hash"),
    )
    op.create_index(
        "uq_sanctions_list_versions_active",
        "sanctions_list_versions",
        ["source"],
        unique=True,
        postgresql_where=sa.text("active"),
    )


def downgrade() -> None:
    op.drop_index("uq_sanctions_list_versions_active", table_name="sanctions_list_versions")
    op.drop_table("sanctions_list_versions")

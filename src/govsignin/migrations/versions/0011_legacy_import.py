"""legacy import: legacy_accounts (imported records and their links) and relying_parties.legacy_system

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08 02:30:00
"""

from alembic import op
import sqlalchemy as sa

import govsignin.db.base

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "legacy_accounts",
        sa.Column("import_key", sa.String(length=330), nullable=False),
        sa.Column("legacy_system", sa.String(length=64), nullable=True),
        sa.Column("legacy_id", sa.String(length=256), nullable=True),
        sa.Column("email", sa.String(length=256), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("email_verified", sa.Boolean(), nullable=False),
        sa.Column("had_password", sa.Boolean(), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("imported_at", govsignin.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_legacy_accounts_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("import_key", name=op.f("pk_legacy_accounts")),
    )
    with op.batch_alter_table("legacy_accounts", schema=None) as batch_op:
        batch_op.create_index("ix_legacy_accounts_user_id_legacy_system", ["user_id", "legacy_system"], unique=False)
    with op.batch_alter_table("relying_parties", schema=None) as batch_op:
        batch_op.add_column(sa.Column("legacy_system", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_relying_parties_legacy_system"), ["legacy_system"])


def downgrade() -> None:
    with op.batch_alter_table("relying_parties", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_relying_parties_legacy_system"), type_="unique")
        batch_op.drop_column("legacy_system")
    with op.batch_alter_table("legacy_accounts", schema=None) as batch_op:
        batch_op.drop_index("ix_legacy_accounts_user_id_legacy_system")
    op.drop_table("legacy_accounts")

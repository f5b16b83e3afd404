"""recovery: recovery codes (keyed hashes, single use) and lost-second-factor requests

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21 09:00:00
"""

from alembic import op
import sqlalchemy as sa

import govsignin.db.base

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", govsignin.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", govsignin.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_recovery_codes_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_codes")),
        sa.UniqueConstraint("user_id", "code_hash", name=op.f("uq_recovery_codes_user_id")),
    )
    with op.batch_alter_table("recovery_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recovery_codes_user_id"), ["user_id"], unique=False)

    op.create_table(
        "mfa_reset_requests",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("cancel_hash", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("requested_at", govsignin.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("available_at", govsignin.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", govsignin.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_mfa_reset_requests_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mfa_reset_requests")),
        sa.UniqueConstraint("cancel_hash", name=op.f("uq_mfa_reset_requests_cancel_hash")),
    )
    with op.batch_alter_table("mfa_reset_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mfa_reset_requests_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("mfa_reset_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mfa_reset_requests_user_id"))
    op.drop_table("mfa_reset_requests")
    with op.batch_alter_table("recovery_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recovery_codes_user_id"))
    op.drop_table("recovery_codes")

"""message_queue: email and text messages delivered by a worker, with retries

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 02:30:00
"""

from alembic import op
import sqlalchemy as sa

import govsignin.db.base

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "message_queue",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("template", sa.String(length=64), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", govsignin.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("locked_until", govsignin.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", govsignin.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", govsignin.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_queue")),
    )
    with op.batch_alter_table("message_queue", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_message_queue_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_message_queue_next_attempt_at"), ["next_attempt_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("message_queue", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_queue_next_attempt_at"))
        batch_op.drop_index(batch_op.f("ix_message_queue_state"))
    op.drop_table("message_queue")

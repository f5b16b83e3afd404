"""security_state: lockouts, blocks and session generations in the database

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 02:30:00

The same columns as `ephemeral` (key, value, expiry), in a table of its own that is used even
when Redis is the store: Redis may evict keys or lose them in a restart, and these must not
vanish (docs/security.md, "Security state survives Redis").
"""

from alembic import op
import sqlalchemy as sa

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "security_state",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_security_state")),
    )
    with op.batch_alter_table("security_state", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_security_state_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("security_state", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_security_state_expires_at"))
    op.drop_table("security_state")

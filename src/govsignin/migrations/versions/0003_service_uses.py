"""service uses: which services each citizen used, and when last ("Your services")

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 08:40:00
"""

from alembic import op
import sqlalchemy as sa

import govsignin.db.base

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "service_uses",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("first_used", govsignin.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used", govsignin.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_service_uses_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "client_id", name=op.f("pk_service_uses")),
    )


def downgrade() -> None:
    op.drop_table("service_uses")

"""identity: signing keys by purpose (the core identity key beside the token keys)

Revision ID: 0012
Revises: 0007
Create Date: 2026-12-08 02:30:00

Every existing key keeps purpose `tokens`; the identity key (`identity`) signs the
coreIdentityJWT and requests to credential issuers, and is published in /.well-known/did.json.
"""

from alembic import op
import sqlalchemy as sa

revision = "0012"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A column with a constant default: ALTER TABLE … ADD COLUMN on both databases.
    op.add_column(
        "signing_keys", sa.Column("purpose", sa.String(length=16), nullable=False, server_default=sa.text("'tokens'"))
    )


def downgrade() -> None:
    op.execute("DELETE FROM signing_keys WHERE purpose <> 'tokens'")
    with op.batch_alter_table("signing_keys") as batch_op:
        batch_op.drop_column("purpose")

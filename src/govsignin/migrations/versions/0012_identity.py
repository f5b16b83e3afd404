"""identity: signing keys by purpose (the core identity key beside the token keys), stored identities

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08 02:30:00

Every existing key keeps purpose `tokens`; the identity key (`identity`) signs the
coreIdentityJWT and requests to credential issuers, and is published in /.well-known/did.json.
stored_identities keeps one proven identity per account, encrypted (identity/stored.py), and is
deleted with its account.
"""

from alembic import op
import sqlalchemy as sa

import govsignin.db.base

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A column with a constant default: ALTER TABLE … ADD COLUMN on both databases.
    op.add_column(
        "signing_keys", sa.Column("purpose", sa.String(length=16), nullable=False, server_default=sa.text("'tokens'"))
    )
    op.create_table(
        "stored_identities",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("vot", sa.String(length=4), nullable=False),
        sa.Column("wrapped_key", sa.Text(), nullable=False),
        sa.Column("ciphertext", sa.Text(), nullable=False),
        sa.Column("proven_at", govsignin.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", govsignin.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", govsignin.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_stored_identities_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_stored_identities")),
    )
    op.create_index(op.f("ix_stored_identities_expires_at"), "stored_identities", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_stored_identities_expires_at"), table_name="stored_identities")
    op.drop_table("stored_identities")
    op.execute("DELETE FROM signing_keys WHERE purpose <> 'tokens'")
    with op.batch_alter_table("signing_keys") as batch_op:
        batch_op.drop_column("purpose")

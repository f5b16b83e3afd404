"""audit personal data outside the hash: audit_events.personal and the audit_personal side table

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21 15:00:00

From this revision an event's user_id, ip and user_agent are written to audit_personal (with a
random salt), and the event hashes only `personal`, their HMAC under that salt (format 2,
govsignin.audit.chain). Deleting an account deletes its audit_personal rows: its events become
anonymous and every hash still verifies.

Events recorded before this revision are not changed (audit_events refuses UPDATE, and their
hashes cover the raw values): they keep format 1, still verify, and leave only by expiry
(`govsignin audit expire`, docs/audit.md). audit_personal refuses UPDATE; DELETE is its purpose.
"""

from alembic import op
import sqlalchemy as sa

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

SQLITE_UP = [
    """CREATE TRIGGER audit_personal_no_update BEFORE UPDATE ON audit_personal
       BEGIN SELECT RAISE(ABORT, 'audit_personal is append-only: UPDATE refused (delete a row to erase it)'); END""",
]
SQLITE_DOWN = ["DROP TRIGGER IF EXISTS audit_personal_no_update"]
POSTGRES_UP = [
    """CREATE TRIGGER audit_personal_no_update BEFORE UPDATE ON audit_personal
       FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()""",
]
POSTGRES_DOWN = ["DROP TRIGGER IF EXISTS audit_personal_no_update ON audit_personal"]


def upgrade() -> None:
    # A nullable column: ALTER TABLE … ADD COLUMN on both databases (no table rebuild on SQLite,
    # so the triggers of 0002 and 0006 stay in place).
    op.add_column("audit_events", sa.Column("personal", sa.String(length=64), nullable=True))
    op.create_index(op.f("ix_audit_events_personal"), "audit_events", ["personal"], unique=False)
    op.create_table(
        "audit_personal",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=True),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=512), nullable=True),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_audit_personal")),
    )
    op.create_index(op.f("ix_audit_personal_user_id"), "audit_personal", ["user_id"], unique=False)
    for statement in POSTGRES_UP if op.get_bind().dialect.name == "postgresql" else SQLITE_UP:
        op.execute(statement)


def downgrade() -> None:
    # Format-2 events cannot be verified by older code once this is gone: downgrade only a
    # database that has none.
    for statement in POSTGRES_DOWN if op.get_bind().dialect.name == "postgresql" else SQLITE_DOWN:
        op.execute(statement)
    op.drop_index(op.f("ix_audit_personal_user_id"), table_name="audit_personal")
    op.drop_table("audit_personal")
    op.drop_index(op.f("ix_audit_events_personal"), table_name="audit_events")
    op.drop_column("audit_events", "personal")  # not batch mode: no table rebuild, the triggers stay

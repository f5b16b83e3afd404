"""audit checkpoints: an append-only audit_checkpoints table, and expiry of whole prefixes

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21 14:30:00

A checkpoint records (seq, hash) of an event that exists when it is recorded. Retention
(`govsignin audit expire`) deletes whole prefixes of the chain, up to a checkpoint's seq, and
`govsignin audit verify` then starts from the checkpoint just below the oldest remaining event,
trusting its hash as that event's prev_hash (docs/audit.md, "Retention").

The database enforces it:

- audit_checkpoints refuses UPDATE, DELETE (and TRUNCATE on PostgreSQL); an inserted checkpoint
  must name an existing event by seq and hash, after the newest checkpoint;
- audit_events still refuses every UPDATE, and every DELETE except of events with seq at or below
  the newest checkpoint's seq (the trigger keeps its name, so nothing else changes for operators).
"""

from alembic import op
import sqlalchemy as sa

import govsignin.db.base

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

SQLITE_UP = [
    """CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
       BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only: UPDATE refused'); END""",
    """CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
       BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only: DELETE refused'); END""",
    """CREATE TRIGGER audit_checkpoints_at_event BEFORE INSERT ON audit_checkpoints
       WHEN NOT EXISTS (SELECT 1 FROM audit_events WHERE seq = NEW.seq AND hash = NEW.hash)
            OR EXISTS (SELECT 1 FROM audit_checkpoints WHERE seq >= NEW.seq)
       BEGIN SELECT RAISE(ABORT, 'an audit checkpoint must name an existing event (seq and hash) after the newest checkpoint'); END""",
    "DROP TRIGGER audit_events_no_delete",
    """CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
       WHEN OLD.seq > COALESCE((SELECT MAX(seq) FROM audit_checkpoints), 0)
       BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: DELETE refused (only events up to the newest checkpoint can be expired)'); END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS audit_checkpoints_no_update",
    "DROP TRIGGER IF EXISTS audit_checkpoints_no_delete",
    "DROP TRIGGER IF EXISTS audit_checkpoints_at_event",
    "DROP TRIGGER IF EXISTS audit_events_no_delete",
    """CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
       BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: DELETE refused'); END""",
]

POSTGRES_UP = [
    # UPDATE always refused; DELETE only at or below the newest checkpoint (row by row: a DELETE
    # statement that reaches one event above it fails as a whole).
    """CREATE FUNCTION audit_events_guard() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF TG_OP = 'DELETE' AND OLD.seq <= (SELECT COALESCE(MAX(seq), 0) FROM audit_checkpoints) THEN
           RETURN OLD;
         END IF;
         IF TG_OP = 'DELETE' THEN
           RAISE EXCEPTION 'audit_events is append-only: DELETE refused (only events up to the newest checkpoint can be expired)';
         END IF;
         RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
       END $$""",
    """CREATE FUNCTION audit_checkpoint_guard() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF NOT EXISTS (SELECT 1 FROM audit_events WHERE seq = NEW.seq AND hash = NEW.hash)
            OR EXISTS (SELECT 1 FROM audit_checkpoints WHERE seq >= NEW.seq) THEN
           RAISE EXCEPTION 'an audit checkpoint must name an existing event (seq and hash) after the newest checkpoint';
         END IF;
         RETURN NEW;
       END $$""",
    "DROP TRIGGER audit_events_append_only ON audit_events",
    """CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
       FOR EACH ROW EXECUTE FUNCTION audit_events_guard()""",
    """CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
       FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()""",
    """CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
       FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()""",
    """CREATE TRIGGER audit_checkpoints_at_event BEFORE INSERT ON audit_checkpoints
       FOR EACH ROW EXECUTE FUNCTION audit_checkpoint_guard()""",
]
POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS audit_checkpoints_at_event ON audit_checkpoints",
    "DROP TRIGGER IF EXISTS audit_checkpoints_no_truncate ON audit_checkpoints",
    "DROP TRIGGER IF EXISTS audit_checkpoints_append_only ON audit_checkpoints",
    "DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events",
    """CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
       FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()""",
    "DROP FUNCTION IF EXISTS audit_checkpoint_guard()",
    "DROP FUNCTION IF EXISTS audit_events_guard()",
]


def upgrade() -> None:
    op.create_table(
        "audit_checkpoints",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", govsignin.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_checkpoints")),
    )
    for statement in POSTGRES_UP if op.get_bind().dialect.name == "postgresql" else SQLITE_UP:
        op.execute(statement)


def downgrade() -> None:
    for statement in POSTGRES_DOWN if op.get_bind().dialect.name == "postgresql" else SQLITE_DOWN:
        op.execute(statement)
    op.drop_table("audit_checkpoints")

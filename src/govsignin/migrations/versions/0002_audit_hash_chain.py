"""audit hash chain: seq/prev_hash/hash on audit_events, the chain head, append-only triggers

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 09:00:00

Events recorded before this revision are chained here, in id order, with the same hash the
application computes (govsignin.audit.chain), so `govsignin audit verify` passes on an upgraded
database. Then the database itself enforces the rules:

- audit_events refuses UPDATE, DELETE (and TRUNCATE on PostgreSQL);
- an inserted event must extend the head (seq = head seq + 1, prev_hash = head hash), and
  inserting it moves the head in the same statement;
- audit_chain_head (one row) refuses DELETE and any UPDATE but that move.

Instances running code older than this revision cannot record events afterwards (their rows
have no seq): upgrade the database and replace them together (docs/audit.md).
"""

from alembic import op
import sqlalchemy as sa

import govsignin.db.base
from govsignin.audit.chain import GENESIS, event_hash

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BACKFILL_BATCH = 1000

SQLITE_TRIGGERS = [
    """CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
       BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: UPDATE refused'); END""",
    """CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
       BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: DELETE refused'); END""",
    """CREATE TRIGGER audit_events_extend_head BEFORE INSERT ON audit_events
       WHEN NOT EXISTS (SELECT 1 FROM audit_chain_head
                        WHERE id = 1 AND seq = NEW.seq - 1 AND hash = NEW.prev_hash)
       BEGIN SELECT RAISE(ABORT, 'audit event does not extend the chain head (seq must be head seq + 1, prev_hash the head hash)'); END""",
    """CREATE TRIGGER audit_events_advance_head AFTER INSERT ON audit_events
       BEGIN UPDATE audit_chain_head SET seq = NEW.seq, hash = NEW.hash WHERE id = 1; END""",
    """CREATE TRIGGER audit_chain_head_forward_only BEFORE UPDATE ON audit_chain_head
       WHEN NEW.id IS NOT OLD.id OR NEW.seq IS NOT OLD.seq + 1
            OR NOT EXISTS (SELECT 1 FROM audit_events WHERE seq = NEW.seq AND hash = NEW.hash)
       BEGIN SELECT RAISE(ABORT, 'audit_chain_head moves only when an audit event is appended'); END""",
    """CREATE TRIGGER audit_chain_head_no_delete BEFORE DELETE ON audit_chain_head
       BEGIN SELECT RAISE(ABORT, 'audit_chain_head cannot be deleted'); END""",
]
SQLITE_TRIGGER_NAMES = [
    "audit_events_no_update", "audit_events_no_delete", "audit_events_extend_head",
    "audit_events_advance_head", "audit_chain_head_forward_only", "audit_chain_head_no_delete",
]

POSTGRES_DDL = [
    """CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
       END $$""",
    """CREATE FUNCTION audit_advance_head() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         UPDATE audit_chain_head SET seq = NEW.seq, hash = NEW.hash
          WHERE id = 1 AND seq = NEW.seq - 1 AND hash = NEW.prev_hash;
         IF NOT FOUND THEN
           RAISE EXCEPTION 'audit event seq % does not extend the chain head (seq must be head seq + 1, prev_hash the head hash)', NEW.seq;
         END IF;
         RETURN NULL;
       END $$""",
    # The head moves only from inside audit_advance_head (trigger depth 2), never directly.
    """CREATE FUNCTION audit_head_guard() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF TG_OP = 'UPDATE' AND pg_trigger_depth() > 1 THEN
           RETURN NEW;
         END IF;
         RAISE EXCEPTION 'audit_chain_head moves only when an audit event is appended: % refused', TG_OP;
       END $$""",
    """CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
       FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()""",
    """CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
       FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()""",
    """CREATE TRIGGER audit_events_advance_head AFTER INSERT ON audit_events
       FOR EACH ROW EXECUTE FUNCTION audit_advance_head()""",
    """CREATE TRIGGER audit_chain_head_guard BEFORE UPDATE OR DELETE ON audit_chain_head
       FOR EACH ROW EXECUTE FUNCTION audit_head_guard()""",
    """CREATE TRIGGER audit_chain_head_no_truncate BEFORE TRUNCATE ON audit_chain_head
       FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()""",
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS audit_chain_head_no_truncate ON audit_chain_head",
    "DROP TRIGGER IF EXISTS audit_chain_head_guard ON audit_chain_head",
    "DROP TRIGGER IF EXISTS audit_events_advance_head ON audit_events",
    "DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events",
    "DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events",
    "DROP FUNCTION IF EXISTS audit_head_guard()",
    "DROP FUNCTION IF EXISTS audit_advance_head()",
    "DROP FUNCTION IF EXISTS audit_refuse_change()",
]

HASHED = ("tag", "created_at", "user_id", "client_id", "ip", "user_agent", "details")


def _events_table() -> sa.Table:
    """audit_events as this revision sees it (typed, so dates and JSON read as the app reads them)."""
    return sa.Table(
        "audit_events", sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("tag", sa.String(64)),
        sa.Column("created_at", govsignin.db.base.UTCDateTime(timezone=True)),
        sa.Column("user_id", sa.String(36)),
        sa.Column("client_id", sa.String(64)),
        sa.Column("ip", sa.String(64)),
        sa.Column("user_agent", sa.String(512)),
        sa.Column("details", sa.JSON),
        sa.Column("seq", sa.BigInteger),
        sa.Column("prev_hash", sa.String(64)),
        sa.Column("hash", sa.String(64)),
    )


def _backfill(bind) -> tuple[int, str]:
    """Chain the existing events in id order, in batches; returns the head (seq, hash)."""
    events = _events_table()
    change = (
        events.update()
        .where(events.c.id == sa.bindparam("b_id"))
        .values(seq=sa.bindparam("b_seq"), prev_hash=sa.bindparam("b_prev"), hash=sa.bindparam("b_hash"))
    )
    seq, prev, last_id = 0, GENESIS, 0
    while True:
        rows = bind.execute(
            sa.select(events.c.id, *(events.c[c] for c in HASHED))
            .where(events.c.id > last_id).order_by(events.c.id).limit(BACKFILL_BATCH)
        ).all()
        if not rows:
            return seq, prev
        params = []
        for row in rows:
            seq += 1
            digest = event_hash({**{c: getattr(row, c) for c in HASHED}, "seq": seq, "prev_hash": prev})
            params.append({"b_id": row.id, "b_seq": seq, "b_prev": prev, "b_hash": digest})
            prev = digest
        bind.execute(change, params)
        last_id = rows[-1].id


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))

    head_seq, head_hash = _backfill(bind)

    # On SQLite this recreates the table (batch mode), so it comes before any trigger.
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.alter_column("seq", existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_index(batch_op.f("ix_audit_events_seq"), ["seq"], unique=True)

    head = op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_audit_chain_head_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain_head")),
    )
    op.bulk_insert(head, [{"id": 1, "seq": head_seq, "hash": head_hash}])

    for statement in POSTGRES_DDL if bind.dialect.name == "postgresql" else SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for statement in POSTGRES_DROP:
            op.execute(statement)
    else:
        for name in SQLITE_TRIGGER_NAMES:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("audit_chain_head")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_events_seq"))
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("seq")

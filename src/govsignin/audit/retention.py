"""Retention: checkpoints, and expiry of whole prefixes of the chain (docs/audit.md, "Retention").

    record_checkpoint(): (seq, hash) of the current head into audit_checkpoints (append-only).
    expire(): delete every event with seq <= C, where C is the newest checkpoint whose events are
              all older than the retention period; one transaction, together with the
              `audit:events:expired` event that records it.

Verification then starts at the checkpoint just below the oldest remaining event (service.py,
verify_chain), so the rest of the chain still verifies, and tampering with it is still found.

Locks. On PostgreSQL an append locks the head row, then inserts the new event (docs/audit.md).
Expiry deletes only events at or below a checkpoint, which appenders never touch, so it takes no
lock an appender waits on while it deletes; it appends its own event last, through the same
head lock, just before COMMIT (lock order: old event rows, then the head; appenders never lock
old rows, so the two cannot deadlock). A checkpoint reads the head without locking it: the event
it names is committed with the head, and the database checks that it exists. On SQLite both take
the database's write lock first (BEGIN IMMEDIATE), like an append.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from govsignin.audit.chain import timestamp
from govsignin.audit.append import C, H, P, T, ChainHeadMissing, append_events, new_event
from govsignin.audit.tags import EventTag
from govsignin.db.base import utcnow


class RetentionRefused(RuntimeError):
    """Nothing was changed, for a reason an operator can act on (the message says which)."""


def _checkpoint_document(seq: int, hash_: str, created_at: dt.datetime) -> dict[str, Any]:
    return {"seq": seq, "hash": hash_, "created_at": timestamp(created_at)}


async def _begin(conn: AsyncConnection) -> None:
    if conn.dialect.name == "sqlite":
        # pysqlite would begin DEFERRED at the first write, after our reads: take the write lock
        # first, as an append does, so what we read is what we change.
        await conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        await conn.begin()


async def record_checkpoint(engine: AsyncEngine) -> dict[str, Any]:
    """Checkpoint the chain head. Returns {"seq", "hash", "created_at", "new"}; "new" is False when
    the head was already checkpointed (nothing is written then)."""
    async with engine.connect() as conn:
        await _begin(conn)
        head = (await conn.execute(select(H.c.seq, H.c.hash).where(H.c.id == 1))).one_or_none()
        if head is None:
            raise ChainHeadMissing()
        if head.seq == 0:
            raise RetentionRefused("The audit trail is empty: there is nothing to checkpoint yet.")
        newest = (await conn.execute(select(C).order_by(C.c.seq.desc()).limit(1))).one_or_none()
        if newest is not None and newest.seq == head.seq:
            await conn.rollback()
            return {**_checkpoint_document(newest.seq, newest.hash, newest.created_at), "new": False}
        created_at = utcnow()
        try:
            await conn.execute(insert(C).values(seq=head.seq, hash=head.hash, created_at=created_at))
            await conn.commit()
        except DBAPIError:
            # Another `audit checkpoint` ran at the same time and recorded this head (or a newer
            # one) first: that is the checkpoint, not an error.
            await conn.rollback()
            newest = (await conn.execute(select(C).order_by(C.c.seq.desc()).limit(1))).one_or_none()
            await conn.rollback()
            if newest is None or newest.seq < head.seq:
                raise
            return {**_checkpoint_document(newest.seq, newest.hash, newest.created_at), "new": False}
    return {**_checkpoint_document(head.seq, head.hash, created_at), "new": True}


async def list_checkpoints(engine: AsyncEngine) -> list[dict[str, Any]]:
    async with engine.connect() as conn:
        rows = (await conn.execute(select(C).order_by(C.c.seq))).all()
    return [_checkpoint_document(r.seq, r.hash, r.created_at) for r in rows]


async def expire(engine: AsyncEngine, *, older_than_days: int, now: dt.datetime | None = None) -> dict[str, Any]:
    """Delete the longest prefix of the chain that ends at a checkpoint and holds only events
    recorded more than `older_than_days` ago; all of it or nothing, in one transaction with the
    `audit:events:expired` event that records it.

    Returns {"deleted", "through", "older_than_days", "cutoff", "oldest_remaining", "message"};
    "through" is the checkpoint used (None when nothing was deleted). Raises RetentionRefused when
    events older than the period remain and no checkpoint at or after them exists at all (they can
    never be expired until one is recorded)."""
    cutoff = (now or utcnow()) - dt.timedelta(days=older_than_days)
    result: dict[str, Any] = {"deleted": 0, "through": None, "older_than_days": older_than_days,
                              "cutoff": timestamp(cutoff)}
    async with engine.connect() as conn:
        await _begin(conn)
        try:
            oldest = (await conn.execute(select(T.c.seq, T.c.created_at).order_by(T.c.seq).limit(1))).one_or_none()
            if oldest is None or oldest.created_at >= cutoff:
                await conn.rollback()
                return {**result, "oldest_remaining": _oldest(oldest),
                        "message": f"Nothing to expire: no event is older than {older_than_days} day(s)."}
            # The first event recorded within the period (created_at follows seq only roughly:
            # events queued together can commit a little out of order, so look for the lowest seq).
            newer = (await conn.execute(select(func.min(T.c.seq)).where(T.c.created_at >= cutoff))).scalar()
            mark = (await conn.execute(
                select(C).where(C.c.seq >= oldest.seq, *([C.c.seq < newer] if newer is not None else []))
                .order_by(C.c.seq.desc()).limit(1)
            )).one_or_none()
            if mark is None:
                later = (await conn.execute(select(func.min(C.c.seq)).where(C.c.seq >= oldest.seq))).scalar()
                await conn.rollback()
                if later is None:
                    raise RetentionRefused(
                        f"Events older than {older_than_days} day(s) remain (from seq {oldest.seq}, recorded "
                        f"{timestamp(oldest.created_at)}), but no checkpoint covers them, so none can be expired: "
                        "record checkpoints regularly with `govsignin audit checkpoint` (docs/operations.md, "
                        "\"Audit retention\")."
                    )
                return {**result, "oldest_remaining": _oldest(oldest),
                        "message": f"Nothing to expire yet: the next checkpoint (seq {later}) still covers events "
                                   f"newer than {older_than_days} day(s)."}
            # Their personal rows first (format 2): nothing may outlive the events it belongs to.
            await conn.execute(delete(P).where(P.c.digest.in_(
                select(T.c.personal).where(T.c.seq <= mark.seq, T.c.personal.is_not(None))
            )))
            deleted = (await conn.execute(delete(T).where(T.c.seq <= mark.seq))).rowcount
            through = _checkpoint_document(mark.seq, mark.hash, mark.created_at)
            await append_events(conn, [new_event(EventTag.AuditEventsExpired, None, None, None, {
                "through_seq": mark.seq, "through_hash": mark.hash, "deleted": deleted,
                "older_than_days": older_than_days, "cutoff": timestamp(cutoff),
            })])
            remaining = (await conn.execute(select(T.c.seq, T.c.created_at).order_by(T.c.seq).limit(1))).one_or_none()
            await conn.commit()
        except BaseException:
            if conn.in_transaction():
                await conn.rollback()
            raise
    return {**result, "deleted": deleted, "through": through, "oldest_remaining": _oldest(remaining),
            "message": f"Expired {deleted} event(s), through seq {mark.seq} (the checkpoint recorded "
                       f"{through['created_at']})."}


def _oldest(row) -> dict[str, Any] | None:
    return None if row is None else {"seq": row.seq, "created_at": timestamp(row.created_at)}

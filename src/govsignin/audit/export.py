"""Reading the audit chain out: iter_events() streams events in chain order for a SIEM
(`govsignin audit export`), in keyset batches (seq > last ORDER BY seq LIMIT n), so it holds
neither millions of rows in memory nor a long transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from govsignin.audit.append import P, T
from govsignin.audit.chain import timestamp

EXPORT_BATCH = 1000


def event_document(row) -> dict[str, Any]:
    """One event as exported: its hashed fields plus id and hash; for a format-2 event (`personal`
    set) user_id, ip and user_agent come from its audit_personal row, null once erased."""
    own = row.personal is None
    return {
        "id": row.id, "seq": row.seq, "tag": row.tag, "created_at": timestamp(row.created_at),
        "user_id": row.user_id if own else row.p_user_id, "client_id": row.client_id,
        "ip": row.ip if own else row.p_ip, "user_agent": row.user_agent if own else row.p_user_agent,
        "details": row.details if row.details is not None else {}, "prev_hash": row.prev_hash, "hash": row.hash,
        "personal": row.personal,
    }


# Events with their audit_personal row, if any (an outer join: erased or format-1 events have none).
_EVENTS_READ = select(
    T, P.c.user_id.label("p_user_id"), P.c.ip.label("p_ip"), P.c.user_agent.label("p_user_agent"),
    P.c.salt.label("p_salt"),
).select_from(T.outerjoin(P, P.c.digest == T.c.personal))


async def event_batches(engine: AsyncEngine, where, batch_size: int) -> AsyncIterator[list]:
    last = 0
    while True:
        async with engine.connect() as conn:  # one short read per batch: no long transaction
            rows = (
                await conn.execute(
                    _EVENTS_READ.where(T.c.seq > last, *where).order_by(T.c.seq).limit(batch_size)
                )
            ).all()
        if not rows:
            return
        yield rows
        last = rows[-1].seq


async def iter_events(
    engine: AsyncEngine,
    *,
    since_seq: int = 0,
    since_time: dt.datetime | None = None,
    batch_size: int = EXPORT_BATCH,
) -> AsyncIterator[list[dict[str, Any]]]:
    """Events after seq `since_seq` (and at or after `since_time`), in chain order, in batches.

    An event becomes visible only after every event before it has committed (appends serialise
    on the head until COMMIT), so a reader that resumes from the last seq it saw misses nothing.
    """
    where = [T.c.seq > since_seq]
    if since_time is not None:
        where.append(T.c.created_at >= since_time)
    async for rows in event_batches(engine, where, batch_size):
        yield [event_document(r) for r in rows]

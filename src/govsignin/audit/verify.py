"""Verifying the audit chain: verify_chain() recomputes every hash from the first event (or the
checkpoint below it) to the head (`govsignin audit verify`), reading in keyset batches."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from govsignin.audit import export
from govsignin.audit.append import C, H, T, ChainHeadMissing
from govsignin.audit.chain import GENESIS, event_hash, personal_digest

VERIFY_BATCH = 2000


async def chain_head(engine: AsyncEngine) -> tuple[int, str]:
    async with engine.connect() as conn:
        head = (await conn.execute(select(H.c.seq, H.c.hash).where(H.c.id == 1))).one_or_none()
    if head is None:
        raise ChainHeadMissing()
    return head.seq, head.hash


async def checkpoints(engine: AsyncEngine) -> dict[int, str]:
    """Every checkpoint, seq -> hash (a small table: one row per `audit checkpoint` run)."""
    async with engine.connect() as conn:
        return dict((await conn.execute(select(C.c.seq, C.c.hash))).all())


async def oldest_seq(engine: AsyncEngine) -> int | None:
    async with engine.connect() as conn:
        return (await conn.execute(select(func.min(T.c.seq)))).scalar()


def start_of_chain(marks: dict[int, str], oldest: int | None, head_seq: int) -> int:
    """The seq verification starts after: the newest checkpoint below the oldest remaining event
    (or at or below the head when no event remains), 0 (the genesis value) when there is none."""
    limit = oldest - 1 if oldest is not None else head_seq
    return max((seq for seq in marks if seq <= limit), default=0)


async def verify_chain(engine: AsyncEngine, batch_size: int = VERIFY_BATCH) -> dict[str, Any]:
    """Walk the chain up to the head as it was when the walk began; stop at the first break.

    When a prefix was expired (`audit expire`), the walk starts at the checkpoint just below the
    oldest remaining event, trusting its hash as that event's prev_hash; an expiry that runs
    meanwhile is followed the same way. A checkpoint that names a remaining event must still
    match that event's hash.

    Format-2 events (chain.py) hash the HMAC of their personal fields: where the audit_personal
    row exists, its values must still give that HMAC; where it was deleted (erased), the event
    verifies without it and is counted in "erased".

    Returns {"ok", "events", "erased", "head": {"seq", "hash"}, "from_checkpoint": None | {"seq", "hash"},
    "broken": None | {"id", "seq", "reason", "message"}}; reason is one of gap, prev_link,
    hash_mismatch, personal_mismatch, checkpoint_mismatch, truncated, head_mismatch.
    """
    head_seq, head_hash = await chain_head(engine)
    marks = await checkpoints(engine)
    start = start_of_chain(marks, await oldest_seq(engine), head_seq)
    expected_seq, expected_prev = start + 1, marks.get(start, GENESIS)
    previous_id = None
    checked = erased = 0

    def report(broken=None):
        return {"ok": broken is None, "events": checked, "erased": erased, "head": {"seq": head_seq, "hash": head_hash},
                "from_checkpoint": {"seq": start, "hash": marks[start]} if start else None, "broken": broken}

    def at(row, reason, message):
        return report({"id": row.id, "seq": row.seq, "reason": reason, "message": message})

    # export.event_batches, looked up at each call: a test wraps it to expire events mid-walk.
    async for rows in export.event_batches(engine, [T.c.seq <= head_seq], batch_size):
        for row in rows:
            if row.seq > expected_seq:
                followed = await _expired_meanwhile(engine, row.seq)
                if followed is not None:  # an expiry removed what we read so far: go on from its checkpoint
                    marks[row.seq - 1] = followed
                    start, expected_seq, expected_prev, previous_id = row.seq - 1, row.seq, followed, None
            if row.seq != expected_seq:
                return at(row, "gap", f"the chain jumps from seq {expected_seq - 1} to {row.seq}: "
                                      f"{row.seq - expected_seq} event(s) before it are missing")
            if row.prev_hash != expected_prev:
                if previous_id is not None:
                    before = f"event id {previous_id}"
                elif start:
                    before = f"the checkpoint at seq {start}"
                else:
                    before = "the genesis value"
                return at(row, "prev_link", f"its prev_hash does not match the hash of {before}: "
                                            "one of the two was altered or replaced")
            document = {c: getattr(row, c) for c in ("seq", "tag", "created_at", "user_id", "client_id",
                                                      "ip", "user_agent", "details", "prev_hash", "personal")}
            raw_in_v2 = row.personal is not None and (row.user_id, row.ip, row.user_agent) != (None, None, None)
            if raw_in_v2 or event_hash(document) != row.hash:
                return at(row, "hash_mismatch", "its contents no longer match its hash: "
                                                "it was altered after it was recorded")
            if row.personal is not None:
                if row.p_salt is None:
                    erased += 1
                elif personal_digest(row.p_salt, {"user_id": row.p_user_id, "ip": row.p_ip,
                                                  "user_agent": row.p_user_agent}) != row.personal:
                    return at(row, "personal_mismatch", "its personal data (audit_personal) no longer matches "
                                                        "the HMAC its hash covers: it was altered")
            if row.seq in marks and marks[row.seq] != row.hash:
                return at(row, "checkpoint_mismatch", f"its hash differs from the checkpoint recorded at seq {row.seq}: "
                                                      "the chain was rewritten from there or before")
            expected_prev, previous_id = row.hash, row.id
            expected_seq += 1
            checked += 1
    if expected_seq - 1 != head_seq:
        return report({"id": previous_id, "seq": expected_seq - 1, "reason": "truncated",
                       "message": f"the chain ends at seq {expected_seq - 1} but its head says {head_seq}: "
                                  "events at the end were removed"})
    if expected_prev != head_hash:
        return report({"id": previous_id, "seq": expected_seq - 1, "reason": "head_mismatch",
                       "message": "the last event's hash differs from the chain head's"})
    return report()


async def _expired_meanwhile(engine: AsyncEngine, seq: int) -> str | None:
    """The hash of the checkpoint at seq - 1 if an expiry has removed every event before `seq`
    (a whole prefix, up to that checkpoint) since the walk began; None otherwise (a real gap)."""
    async with engine.connect() as conn:
        mark = (await conn.execute(select(C.c.hash).where(C.c.seq == seq - 1))).scalar()
        if mark is None:
            return None
        remaining = (await conn.execute(select(func.min(T.c.seq)))).scalar()
    return mark if remaining == seq else None

"""Erasure inside the chain, on throwaway databases (SQLite and PostgreSQL): an event's user id, IP
address and user agent live in audit_personal and the chain hashes only their HMAC under a
per-event salt (migration 0007), so deleting the side rows anonymises events and verify still
passes; altering what remains is still found."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from govsignin.audit.chain import personal_digest
from govsignin.audit.models import AuditCheckpoint, AuditEvent, AuditPersonal
from govsignin.audit.retention import expire, record_checkpoint
from govsignin.audit.export import iter_events
from govsignin.audit.verify import verify_chain
from govsignin.audit.tags import EventTag
from tests.audit.conftest import run_raw
from tests.audit.test_retention import OLD, record
from tests.audit.test_tamper import without_append_only

T, P, C = AuditEvent.__table__, AuditPersonal.__table__, AuditCheckpoint.__table__


def request_from(ip: str, agent: str):
    return SimpleNamespace(client=SimpleNamespace(host=ip), headers={"user-agent": agent})


async def two_people(db) -> None:
    await db.migrate()
    for n in range(3):
        await db.audit.record(EventTag.LoginSuccess, user_id="alice-id", client_id="svc",
                              request=request_from("203.0.113.7", "Alice's browser"), n=n)
        await db.audit.record(EventTag.LoginSuccess, user_id="bob-id", client_id="svc",
                              request=request_from("198.51.100.9", "Bob's browser"), n=n)
    await db.audit.record(EventTag.TokenIssued, client_id="svc")  # no personal data: format 1


async def exported(db) -> list[dict]:
    return [e async for batch in iter_events(db.engine) for e in batch]


async def everything_stored(db) -> str:
    """Every value of every row of the audit tables, as one string to search."""
    async with db.engine.connect() as conn:
        rows = [*(await conn.execute(select(T))).all(), *(await conn.execute(select(P))).all(),
                *(await conn.execute(select(C))).all()]
    return json.dumps([[str(v) for v in row] for row in rows])


async def test_personal_data_is_outside_the_hashed_row(scratch):
    await two_people(scratch)
    async with scratch.engine.connect() as conn:
        event = (await conn.execute(select(T).where(T.c.seq == 1))).one()
        side = (await conn.execute(select(P).where(P.c.digest == event.personal))).one()
    assert (event.user_id, event.ip, event.user_agent) == (None, None, None)
    assert (side.user_id, side.ip, side.user_agent) == ("alice-id", "203.0.113.7", "Alice's browser")
    assert event.personal == personal_digest(side.salt, side._mapping) and len(side.salt) == 64

    events = await exported(scratch)
    assert (events[0]["user_id"], events[0]["ip"], events[0]["user_agent"]) == ("alice-id", "203.0.113.7", "Alice's browser")
    assert events[-1]["personal"] is None and events[-1]["user_id"] is None
    report = await verify_chain(scratch.engine, batch_size=2)
    assert report["ok"] and report["events"] == 7 and report["erased"] == 0


async def test_deleting_the_side_rows_anonymises_the_events_and_the_chain_still_verifies(scratch):
    await two_people(scratch)
    await scratch.sql("DELETE FROM audit_personal WHERE user_id = 'alice-id'")  # what account deletion does

    stored = await everything_stored(scratch)
    for personal in ("alice-id", "203.0.113.7", "Alice's browser"):
        assert personal not in stored
    assert "bob-id" in stored  # others keep theirs
    alice = [e for e in await exported(scratch) if e["seq"] in (1, 3, 5)]
    assert all((e["user_id"], e["ip"], e["user_agent"]) == (None, None, None) for e in alice)

    report = await verify_chain(scratch.engine, batch_size=3)
    assert report["ok"] and report["events"] == 7 and report["erased"] == 3, report
    out = run_raw(scratch.env, "audit", "verify", "--json")
    assert out.returncode == 0 and json.loads(out.stdout)["erased"] == 3


async def test_altered_personal_data_is_refused_and_else_caught(scratch):
    await two_people(scratch)
    with pytest.raises(DBAPIError, match="append-only"):
        await scratch.sql("UPDATE audit_personal SET ip = '192.0.2.1' WHERE user_id = 'bob-id'")
    if scratch.postgres:
        await scratch.sql("ALTER TABLE audit_personal DISABLE TRIGGER audit_personal_no_update",
                          "UPDATE audit_personal SET ip = '192.0.2.1' WHERE user_id = 'bob-id'")
    else:
        await scratch.sql("DROP TRIGGER audit_personal_no_update",
                          "UPDATE audit_personal SET ip = '192.0.2.1' WHERE user_id = 'bob-id'")
    report = await verify_chain(scratch.engine)
    assert report["broken"]["seq"] == 2 and report["broken"]["reason"] == "personal_mismatch"


async def test_a_raw_value_put_back_into_the_event_row_is_caught(scratch):
    await two_people(scratch)
    await without_append_only(scratch, "UPDATE audit_events SET ip = '203.0.113.7' WHERE seq = 3")
    report = await verify_chain(scratch.engine)
    assert report["broken"]["seq"] == 3 and report["broken"]["reason"] == "hash_mismatch"


async def test_expiry_takes_the_side_rows_with_the_events(scratch):
    await scratch.migrate()
    await record(scratch, 4, at=OLD)  # user ids, in audit_personal
    await record_checkpoint(scratch.engine)
    await record(scratch, 2, label="new")
    assert (await expire(scratch.engine, older_than_days=365))["deleted"] == 4
    async with scratch.engine.connect() as conn:
        users = set((await conn.execute(select(P.c.user_id))).scalars())
    assert users == {"new-0", "new-1"}
    assert (await verify_chain(scratch.engine))["ok"]


def test_the_format_2_hash_is_the_documented_one():
    """docs/audit.md's formula, computed by hand, so a SIEM can recompute it."""
    import hashlib
    import hmac

    salt = "ab" * 32
    personal = hmac.new(bytes.fromhex(salt), b'{"ip":"203.0.113.7","user_agent":null,"user_id":"u1"}',
                        hashlib.sha256).hexdigest()
    assert personal_digest(salt, {"user_id": "u1", "ip": "203.0.113.7"}) == personal
    from govsignin.audit.chain import event_hash

    event = {"seq": 3, "tag": "account:login:success", "created_at": "2026-11-21T14:00:00.000000+00:00",
             "client_id": "svc", "details": {"n": 1}, "prev_hash": "0" * 64, "personal": personal,
             "user_id": None, "ip": None, "user_agent": None}
    document = ('{"client_id":"svc","created_at":"2026-11-21T14:00:00.000000+00:00","details":{"n":1},'
                f'"personal":"{personal}","prev_hash":"{"0" * 64}","seq":3,"tag":"account:login:success","v":2}}')
    assert event_hash(event) == hashlib.sha256(document.encode()).hexdigest()

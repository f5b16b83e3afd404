"""Tampering, on throwaway databases: with the append-only triggers out of the way (as a database
owner could), verify names the first altered, re-hashed, removed or truncated event; the command
exits 3 with a sentence. And migration 0002 chains the events recorded before it."""

from __future__ import annotations

import json

from sqlalchemy import select

from govsignin.audit.chain import event_hash
from govsignin.audit.models import AuditEvent
from govsignin.audit.verify import verify_chain
from govsignin.audit.tags import EventTag
from tests.audit.conftest import run_raw

T = AuditEvent.__table__


async def ten_events(db) -> dict[int, int]:
    """Record ten events; returns seq -> id."""
    await db.migrate()
    for n in range(10):
        await db.audit.record(EventTag.LoginSuccess, user_id=f"user-{n}", client_id="svc", n=n)
    async with db.engine.connect() as conn:
        return dict((await conn.execute(select(T.c.seq, T.c.id))).all())


async def without_append_only(db, *statements: str) -> None:
    """Run statements as a database owner would, with the refusal triggers disabled or dropped."""
    if db.postgres:
        await db.sql(
            "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only", *statements,
            "ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only",
        )
    else:
        await db.sql("DROP TRIGGER audit_events_no_update", "DROP TRIGGER audit_events_no_delete", *statements)


def cli_verify(db):
    return run_raw(db.env, "audit", "verify", "--json")


async def test_an_intact_chain_verifies(scratch):
    await ten_events(scratch)
    out = cli_verify(scratch)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["ok"] is True and json.loads(out.stdout)["events"] == 10


async def test_an_altered_event_is_named(scratch):
    ids = await ten_events(scratch)
    await without_append_only(scratch, "UPDATE audit_events SET user_id = 'someone-else' WHERE seq = 4")

    report = await verify_chain(scratch.engine, batch_size=3)
    assert not report["ok"] and report["events"] == 3
    assert report["broken"]["id"] == ids[4] and report["broken"]["seq"] == 4
    assert report["broken"]["reason"] == "hash_mismatch"

    out = cli_verify(scratch)
    assert out.returncode == 3
    assert json.loads(out.stdout)["broken"]["id"] == ids[4]
    assert f"broken at event id {ids[4]}" in out.stderr and "altered" in out.stderr and "Traceback" not in out.stderr


async def test_a_rehashed_event_breaks_the_next_link(scratch):
    ids = await ten_events(scratch)
    async with scratch.engine.connect() as conn:
        row = (await conn.execute(select(T).where(T.c.seq == 6))).one()
    forged = {**row._mapping, "details": {"n": 999}}
    await without_append_only(
        scratch, f"UPDATE audit_events SET details = '{{\"n\": 999}}', hash = '{event_hash(forged)}' WHERE seq = 6"
    )
    report = await verify_chain(scratch.engine)
    assert report["broken"]["seq"] == 7 and report["broken"]["id"] == ids[7]
    assert report["broken"]["reason"] == "prev_link" and str(ids[6]) in report["broken"]["message"]


async def test_a_removed_event_is_a_gap(scratch):
    ids = await ten_events(scratch)
    await without_append_only(scratch, "DELETE FROM audit_events WHERE seq = 5")
    report = await verify_chain(scratch.engine)
    assert report["broken"]["id"] == ids[6] and report["broken"]["reason"] == "gap"
    assert "from seq 4 to 6" in report["broken"]["message"]


async def test_removed_last_events_are_caught_by_the_head(scratch):
    await ten_events(scratch)
    await without_append_only(scratch, "DELETE FROM audit_events WHERE seq > 8")
    report = await verify_chain(scratch.engine)
    assert report["broken"]["reason"] == "truncated" and report["broken"]["seq"] == 8
    out = cli_verify(scratch)
    assert out.returncode == 3 and "head says 10" in out.stderr


async def test_upgrade_from_0001_chains_existing_events(scratch):
    await scratch.migrate("0001")
    created = "2026-11-01 10:00:00.123456" if not scratch.postgres else "2026-11-01 10:00:00.123456+00"
    await scratch.sql(*(
        "INSERT INTO audit_events (tag, created_at, user_id, client_id, ip, user_agent, details) VALUES "
        f"('account:login:success', '{created}', 'u{n}', 'svc', '10.0.0.{n}', 'Firefox é', '{{\"n\": {n}, \"x\": [1.5, null]}}')"
        for n in range(25)
    ))
    await scratch.migrate("head")

    report = await verify_chain(scratch.engine, batch_size=4)
    assert report["ok"] and report["events"] == 25, report
    await scratch.audit.record(EventTag.LoginFailure, user_id="after-upgrade")
    assert (await verify_chain(scratch.engine))["events"] == 26
    async with scratch.engine.connect() as conn:
        first = (await conn.execute(select(T).where(T.c.seq == 1))).one()
    assert first.user_id == "u0" and first.prev_hash == "0" * 64


async def test_upgrade_of_a_fresh_database_through_the_command(scratch):
    out = run_raw(scratch.env, "db", "upgrade", "--json")
    assert out.returncode == 0, out.stderr
    out = cli_verify(scratch)
    assert out.returncode == 0 and json.loads(out.stdout)["events"] == 0


async def test_verify_on_an_unmigrated_database_says_what_to_do(scratch):
    await scratch.migrate("0001")
    out = cli_verify(scratch)
    assert out.returncode == 1 and "govsignin db upgrade" in out.stderr and "Traceback" not in out.stderr

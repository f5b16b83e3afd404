"""The audit chain on the shared test database: concurrent appends from coroutines, a second
engine and other processes keep one unbroken chain; the database refuses changes; export streams it."""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import json
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from govsignin.audit.append import Audit
from govsignin.audit.export import iter_events
from govsignin.audit.verify import chain_head, verify_chain
from govsignin.audit.tags import EventTag
from tests.audit.conftest import run_raw, start_writer


async def events_after(engine, seq: int) -> list[dict]:
    return [e async for batch in iter_events(engine, since_seq=seq) for e in batch]


def test_record_keeps_its_signature():
    params = inspect.signature(Audit.record).parameters
    assert list(params) == ["self", "tag", "user_id", "client_id", "request", "details"]
    assert params["details"].kind is inspect.Parameter.VAR_KEYWORD


async def test_concurrent_appends_from_coroutines_engines_and_processes_keep_one_chain(services, live_server):
    from govsignin.services import build_services

    run = uuid.uuid4().hex
    before, _ = await chain_head(services.engine)
    writers = [await start_writer(live_server.database_url, 30, run, f"proc{i}") for i in range(2)]
    other = build_services(services.settings, with_templates=False)  # a second pool: another "instance"
    cli = asyncio.create_task(asyncio.to_thread(
        live_server.cli, "accounts", "add", "--email", f"audit-{run}@example.com", "--password", "long-enough-1",
    ))
    expected = 0
    try:
        while expected < 40 or any(w.returncode is None for w in writers):  # overlap the writers
            await asyncio.gather(*(
                audit.record(EventTag.LoginSuccess, user_id=f"in-{expected + n}", client_id="c", run=run, n=expected + n)
                for n, audit in enumerate([services.audit] * 6 + [other.audit] * 4)
            ))
            expected += 10
        for w in writers:
            assert await w.wait() == 0, (await w.stderr.read()).decode()
        await cli
    finally:
        await other.close()

    mine = [e for e in await events_after(services.engine, before) if e["details"].get("run") == run]
    assert len(mine) == expected + 60
    assert {e["details"].get("writer") for e in mine} == {None, "proc0", "proc1"}

    report = await verify_chain(services.engine, batch_size=7)  # many small batches
    assert report["ok"], report
    assert report["events"] == report["head"]["seq"] >= before + expected + 61
    seqs = [e["seq"] for e in await events_after(services.engine, 0)]
    assert seqs == list(range(1, len(seqs) + 1))

    assert live_server.cli("audit", "verify")["ok"] is True


async def test_details_read_back_exactly_as_hashed(services):
    when = dt.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=dt.UTC)
    before, _ = await chain_head(services.engine)
    await services.audit.record(
        EventTag.KeysRotated, at=when, text="naïve café ✓", nested={"b": [1, 2.5, None, True], "a": ""}, big=2**53 + 1,
    )
    [event] = await events_after(services.engine, before)
    assert event["details"]["at"] == str(when)  # non-JSON values are stored as their string
    assert event["details"]["big"] == 2**53 + 1 and event["details"]["text"] == "naïve café ✓"
    assert (await verify_chain(services.engine))["ok"]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET tag = 'account:login:success' WHERE seq = (SELECT MAX(seq) FROM audit_events)",
        "UPDATE audit_events SET details = '{}'",
        "DELETE FROM audit_events WHERE seq = (SELECT MAX(seq) FROM audit_events)",
        "DELETE FROM audit_events",
        "UPDATE audit_chain_head SET seq = seq + 1",
        "UPDATE audit_chain_head SET hash = '0000000000000000000000000000000000000000000000000000000000000000'",
        "DELETE FROM audit_chain_head",
        "INSERT INTO audit_chain_head (id, seq, hash) VALUES (2, 0, 'x')",
        # A hand-made event that does not extend the head (a fork, or a jump ahead):
        "INSERT INTO audit_events (tag, created_at, details, seq, prev_hash, hash)"
        " VALUES ('x:y:z', CURRENT_TIMESTAMP, '{}', 1, '0000000000000000000000000000000000000000000000000000000000000000', 'f')",
        "INSERT INTO audit_events (tag, created_at, details, seq, prev_hash, hash)"
        " SELECT 'x:y:z', CURRENT_TIMESTAMP, '{}', seq + 5, hash, 'f' FROM audit_chain_head",
    ],
)
async def test_the_database_refuses_changes_to_the_trail(services, statement):
    await services.audit.record(EventTag.LogoutSuccess, user_id="someone")
    with pytest.raises(DBAPIError):
        async with services.engine.begin() as conn:
            await conn.execute(text(statement))
    assert (await verify_chain(services.engine))["ok"]


async def test_truncate_is_refused_on_postgresql(services):
    if services.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE (DELETE without WHERE is covered)")
    for table in ("audit_events", "audit_chain_head"):
        with pytest.raises(DBAPIError, match="append-only"):
            async with services.engine.begin() as conn:
                await conn.execute(text(f"TRUNCATE {table}"))


async def test_export_streams_ndjson_in_chain_order(services, live_server):
    run = uuid.uuid4().hex
    before, _ = await chain_head(services.engine)
    for n in range(5):
        await services.audit.record(EventTag.TokenIssued, client_id="svc", run=run, n=n)

    for args in (["audit", "export"], ["audit", "export", "--json"], ["audit", "export", "--batch-size", "2"]):
        out = run_raw(live_server.env, *args)
        assert out.returncode == 0, out.stderr
        lines = [json.loads(line) for line in out.stdout.splitlines()]  # every line is one JSON document
        assert out.stdout.endswith("\n") and all(lines)
        assert [e["seq"] for e in lines] == list(range(1, len(lines) + 1))
        assert all(b["prev_hash"] == a["hash"] for a, b in zip(lines, lines[1:]))
        assert [e["details"]["n"] for e in lines if e["details"].get("run") == run] == [0, 1, 2, 3, 4]
        assert set(lines[0]) == {"id", "seq", "tag", "created_at", "user_id", "client_id", "ip", "user_agent",
                                 "details", "prev_hash", "hash", "personal"}

    since = run_raw(live_server.env, "audit", "export", "--since", str(before + 2))
    resumed = [json.loads(line) for line in since.stdout.splitlines()]
    assert resumed[0]["seq"] == before + 3
    assert [e["details"]["n"] for e in resumed if e["details"].get("run") == run] == [2, 3, 4]


async def test_export_since_time(services, live_server):
    run = uuid.uuid4().hex
    await services.audit.record(EventTag.TokenIssued, run=run, n="old")
    await asyncio.sleep(0.05)
    cut = dt.datetime.now(dt.UTC)
    await services.audit.record(EventTag.TokenIssued, run=run, n="new")

    for value in (cut.isoformat(), cut.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), cut.replace(tzinfo=None).isoformat()):
        out = run_raw(live_server.env, "audit", "export", "--since-time", value)
        assert out.returncode == 0, out.stderr
        events = [json.loads(line) for line in out.stdout.splitlines()]
        assert [e["details"]["n"] for e in events if e["details"].get("run") == run] == ["new"]
        assert all(dt.datetime.fromisoformat(e["created_at"]) >= cut for e in events)

    bad = run_raw(live_server.env, "audit", "export", "--since-time", "yesterday")
    assert bad.returncode == 1 and "ISO 8601" in bad.stderr and "Traceback" not in bad.stderr


async def test_a_refused_event_does_not_fail_the_events_appended_with_it(services):
    if services.engine.dialect.name != "postgresql":
        pytest.skip("SQLite does not enforce column lengths, so it has no refusable event to send")
    run = uuid.uuid4().hex
    before, _ = await chain_head(services.engine)
    results = await asyncio.gather(
        *(services.audit.record(EventTag.LoginFailure, user_id="x" * 100 if n == 7 else f"u{n}", run=run, n=n)
          for n in range(20)),
        return_exceptions=True,
    )
    assert [n for n, r in enumerate(results) if isinstance(r, Exception)] == [7]
    mine = [e["details"]["n"] for e in await events_after(services.engine, before) if e["details"].get("run") == run]
    assert sorted(mine) == [n for n in range(20) if n != 7]
    assert (await verify_chain(services.engine))["ok"]


async def test_a_cancelled_caller_does_not_strand_the_others(services):
    run = uuid.uuid4().hex
    before, _ = await chain_head(services.engine)
    tasks = [asyncio.create_task(services.audit.record(EventTag.LoginSuccess, run=run, n=n)) for n in range(30)]
    await asyncio.sleep(0)
    tasks[0].cancel()  # very likely the lock holder, mid-transaction
    done = await asyncio.wait_for(asyncio.gather(*tasks[1:]), 30)
    assert len(done) == 29
    mine = [e for e in await events_after(services.engine, before) if e["details"].get("run") == run]
    assert len(mine) in (29, 30)  # the cancelled caller's event may still have been appended
    assert (await verify_chain(services.engine))["ok"]


async def test_sign_ins_appended_together_write_each_service_use_with_its_event(services):
    """Under load sign-in events are appended in batches, each carrying its service-use upsert
    (record_with). A batch writes every upsert in its transaction, the same row twice included,
    and the chain stays whole."""
    from govsignin.accounts.service_uses import service_use_statement, service_uses

    run = uuid.uuid4().hex
    users = [await services.accounts.create(f"batch-{run}-{n}@example.gov.uk", "correct horse battery staple")
             for n in range(3)]
    # user 0 signs in to service a twice at once; users 1 and 2 to a and b
    visits = [(users[0], "svc-a"), (users[0], "svc-a"), (users[1], "svc-a"), (users[1], "svc-b"), (users[2], "svc-b")]
    before, _ = await chain_head(services.engine)
    await asyncio.gather(*(
        services.audit.record_with(service_use_statement(services, user.id, client), EventTag.LoginSuccess,
                                   user_id=user.id, client_id=client, run=run)
        for user, client in visits * 4  # 20 at once: most of them are appended in batches
    ))
    mine = [e for e in await events_after(services.engine, before) if e["details"].get("run") == run]
    assert len(mine) == 20
    used = {u.id: sorted(s.client_id for s in await service_uses(services, u.id)) for u in users}
    assert used == {users[0].id: ["svc-a"], users[1].id: ["svc-a", "svc-b"], users[2].id: ["svc-b"]}
    assert (await verify_chain(services.engine))["ok"]

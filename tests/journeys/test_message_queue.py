"""The durable message queue (messaging/queue.py): a Notify failure never undoes or 500s a
committed change; retries with backoff, an attempt limit and a dead state; one delivery per row;
the worker; and /reset-password-request doing the same work whether or not the account exists."""

from __future__ import annotations

import asyncio
import datetime as dt
from urllib.parse import urlencode

import httpx
from sqlalchemy import event, select, update
from structlog.testing import capture_logs

from govsignin.db.base import utcnow
from govsignin.messaging.outbox import read_outbox, settle
from govsignin.messaging.service import OutboxMessages
from tests.manage.support import account_client, reprompt, submit
from tests.support.rp import TestRP, make_citizen, new_email, post_page


class NotifyDown(Exception):
    def __init__(self, status_code: int):
        super().__init__(f"HTTP {status_code}")
        self.status_code = status_code


def _failing(status_code: int):
    async def send(self, *args, **kwargs):
        raise NotifyDown(status_code)

    return send


async def _row(services, template: str):
    from govsignin.messaging.models import QueuedMessage

    async with services.sessionmaker() as db:
        return (await db.execute(
            select(QueuedMessage).where(QueuedMessage.template == template).order_by(QueuedMessage.id.desc()).limit(1)
        )).scalar_one()


async def _make_due(services, row_id: int) -> None:
    from govsignin.messaging.models import QueuedMessage

    async with services.sessionmaker() as db, db.begin():
        await db.execute(update(QueuedMessage).where(QueuedMessage.id == row_id).values(next_attempt_at=utcnow()))


async def test_a_notify_failure_never_turns_a_committed_change_into_a_500(client, services, monkeypatch):
    citizen = await account_client(client, services)
    await reprompt(client, citizen, "/account/change-password")
    monkeypatch.setattr(OutboxMessages, "send_email", _failing(500))
    done = await submit(client, "/account/change-password", password="a-new-password-78",
                        **{"confirm-password": "a-new-password-78"})
    assert done.status_code == 303 and done.headers["location"] == "/account/security?updated=password"
    user = await services.accounts.get(citizen.user_id)
    assert await services.accounts.check_password(user, "a-new-password-78")  # the change stands
    row = await _row(services, "password-changed")
    assert (row.state, row.attempts, row.last_error) == ("queued", 1, "NotifyDown (HTTP 500)")
    assert row.next_attempt_at > utcnow() and citizen.email not in row.payload  # encrypted at rest
    assert await read_outbox(services, citizen.email) == []
    # Notify is back: the retry delivers it, once, and the row keeps no personal data.
    monkeypatch.undo()
    assert await services.messages.deliver([row.id]) == 1  # what the worker does once it is due
    assert [m["template"] for m in await read_outbox(services, citizen.email)] == ["password-changed"]
    row = await _row(services, "password-changed")
    assert (row.state, row.payload) == ("sent", "")


async def test_a_refused_message_is_dead_at_once_and_a_failing_one_after_its_attempts(services, monkeypatch):
    monkeypatch.setattr(services.settings, "message_max_attempts", 2)
    to = new_email()
    monkeypatch.setattr(OutboxMessages, "send_email", _failing(400))  # Notify refuses the message itself
    with capture_logs() as logs:
        await services.messages.send_email(to, "account-deleted", {})
    row = await _row(services, "account-deleted")
    assert (row.state, row.attempts, row.payload) == ("dead", 1, "")
    dead = [e for e in logs if e["event"] == "message_dead"]
    assert dead and dead[0]["log_level"] == "error" and to not in str(dead[0])
    monkeypatch.setattr(OutboxMessages, "send_email", _failing(503))  # an outage: retried, then dead
    await services.messages.send_email(to, "activity-reported", {"report_number": "1"})
    row = await _row(services, "activity-reported")
    assert (row.state, row.attempts) == ("queued", 1)
    first_wait = row.next_attempt_at - utcnow()
    assert dt.timedelta(0) < first_wait <= dt.timedelta(seconds=services.settings.message_retry_seconds)
    assert await services.messages.deliver([row.id]) == 0
    row = await _row(services, "activity-reported")
    assert (row.state, row.attempts, row.payload) == ("dead", 2, "")
    assert await read_outbox(services, to) == []


async def test_a_row_is_delivered_once_however_many_try(services, monkeypatch):
    to = new_email()
    monkeypatch.setattr(OutboxMessages, "send_email", _failing(500))
    await services.messages.send_email(to, "email-changed", {"new_email": "x@example.com"})
    monkeypatch.undo()
    row = await _row(services, "email-changed")
    await _make_due(services, row.id)
    await asyncio.gather(*(services.messages.deliver([row.id]) for _ in range(5)))
    assert len(await read_outbox(services, to)) == 1


async def test_the_worker_sends_what_is_due(services, monkeypatch):
    from govsignin.messaging.queue import run_message_worker

    to = new_email()
    monkeypatch.setattr(OutboxMessages, "send_email", _failing(500))
    await services.messages.send_email(to, "email-changed", {"new_email": "y@example.com"})
    monkeypatch.undo()
    await _make_due(services, (await _row(services, "email-changed")).id)
    monkeypatch.setattr(services.settings, "worker_poll_seconds", 0.05)
    stop = asyncio.Event()
    worker = asyncio.create_task(run_message_worker(services, stop))
    try:
        for _ in range(100):
            if await read_outbox(services, to):
                break
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.wait_for(worker, 5)
    assert len(await read_outbox(services, to)) == 1


# --- POST /reset-password-request: the same work whether or not the account exists ---------------

STORE_OPS = ("get", "set", "add", "pop", "incr", "delete", "replace", "set_many")


async def _reset_request_work(app, services, settings, rp, email: str, monkeypatch) -> tuple[list[str], str]:
    """The store operations, SQL statements and message hand-offs of one POST, in order, with
    a marker where the response was sent."""
    ops: list[str] = []

    async def marking(scope, receive, send):
        async def marking_send(message):
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                ops.append("response sent")

        await app(scope, receive, marking_send)

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=marking), base_url=settings.issuer_url()) as c:
        await c.get("/authorize?" + urlencode(rp.authorize_params()))
        await post_page(c, "/sign-in-or-create")
        await post_page(c, "/enter-email", email=email)
        page = await c.get("/reset-password-request")
        from tests.support.rp import csrf_of

        with monkeypatch.context() as m:
            for name in STORE_OPS:
                original = getattr(services.store, name, None)
                if original is None:
                    continue

                def recording(original=original, name=name):
                    async def call(*args, **kwargs):
                        ops.append(f"store.{name}")
                        return await original(*args, **kwargs)

                    return call

                m.setattr(services.store, name, recording())
            original_send = OutboxMessages.send_email

            async def sent(self, *args, **kwargs):
                ops.append("message sent")
                return await original_send(self, *args, **kwargs)

            m.setattr(OutboxMessages, "send_email", sent)

            def statement(conn, cursor, sql, params, context, executemany):
                ops.append("sql " + " ".join(sql.split()[:3]))

            event.listen(services.engine.sync_engine, "before_cursor_execute", statement)
            ops.clear()  # only this request's work
            try:
                response = await c.post("/reset-password-request", data={"csrf_token": csrf_of(page.text)})
            finally:
                event.remove(services.engine.sync_engine, "before_cursor_execute", statement)
        assert response.headers["location"] == "/reset-password-check-email"
    return ops, email


async def test_reset_request_does_the_same_work_for_an_account_and_for_nobody(app, services, settings, monkeypatch):
    rp = await TestRP.create(services)
    citizen = await make_citizen(services)
    exists, _ = await _reset_request_work(app, services, settings, rp, citizen.email, monkeypatch)
    nobody, stranger = await _reset_request_work(app, services, settings, rp, new_email(), monkeypatch)

    def until_response(ops):
        assert ops.count("response sent") == 1
        return ops[:ops.index("response sent")]

    assert until_response(exists) == until_response(nobody)
    assert "store.set" in until_response(exists) and "sql INSERT INTO message_queue" in until_response(exists)
    assert "message sent" not in until_response(exists)  # queued, not sent inline
    # Delivered after the response (by this process, or a worker sharing the database).
    assert await settle(services)
    assert (await read_outbox(services, citizen.email, last=True))[0]["template"] == "reset-password-code"
    assert await read_outbox(services, stranger) == []


async def test_a_withheld_row_is_never_sent_and_finished_rows_are_purged(services, monkeypatch):
    to = new_email()
    await services.messages.send_email(to, "reset-password-code", {"code": "123456"}, withhold=True)
    row = await _row(services, "reset-password-code")
    assert row.state == "withheld" and "123456" not in row.payload and to not in row.payload
    assert await services.messages.deliver([row.id]) == 0
    assert await read_outbox(services, to) == []
    monkeypatch.setattr(services.settings, "message_retention_seconds", -1)
    assert await services.messages.purge() >= 1
    from govsignin.messaging.models import QueuedMessage

    async with services.sessionmaker() as db:
        assert await db.get(QueuedMessage, row.id) is None

"""The durable message queue: every email and text message is a row before it is sent.

`QueuedMessages.send_email/send_sms` (what `services.messages` is) write one `message_queue` row
in its own transaction. Callers call them after their change has committed, so a Notify outage
can never undo, or turn into a 500, a change that is already made. Delivery then happens:

- at once after the response, for messages queued while serving a request: `DeliverAfterResponse`
  (the outermost ASGI layer) delivers the request's rows once the response has been sent, so the
  citizen never waits for Notify and a page's time does not depend on whether it sent anything;
- at once, for messages queued outside a request (the command line, tests);
- by the worker (`run_message_worker`, one per instance), for anything still due: a delivery
  that failed, or one a stopped instance never made.

A row is claimed with a lease (`locked_until`), as back-channel logouts are, so two instances
never send it twice; a new row is written already leased to the process that will send it at
once, so other instances' workers leave it alone unless that process dies first. A failure is retried with exponential backoff (`message_retry_seconds`,
doubling, at most an hour) until `message_max_attempts`; then, or at once when Notify refuses the
message itself (a 4xx other than 429), the row is dead: an ERROR log line `message_dead` and the
metric `govsignin_messages_dead_total`. Sent and dead rows lose their payload at once.

`withhold=True` writes the same row, encrypted the same way, in the state `withheld`, and sends
nothing: a page that must not reveal whether an account exists does the same work either way.
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
import time

import orjson
import structlog
from sqlalchemy import delete, insert, or_, select, update

from govsignin.crypto import SecretBox
from govsignin.db.base import utcnow
from govsignin.messaging.models import QueuedMessage
from govsignin.web import metrics

log = structlog.get_logger(__name__)
LEASE = dt.timedelta(seconds=60)
MAX_BACKOFF = 3600.0

# The ids queued while one request is served (set by DeliverAfterResponse).
_PENDING: contextvars.ContextVar[list | None] = contextvars.ContextVar("govsignin_pending_messages", default=None)


class QueuedMessages:
    def __init__(self, settings, sessionmaker, transport):
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.transport = transport  # OutboxMessages or NotifyMessages (messaging/service.py)
        self.box = SecretBox(settings.key_encryption_key)

    async def send_email(self, to: str, template: str, personalisation: dict, lang: str = "en", *,
                         withhold: bool = False) -> None:
        await self._enqueue("email", to, template, personalisation, lang, withhold)

    async def send_sms(self, to: str, template: str, personalisation: dict, lang: str = "en", *,
                       withhold: bool = False) -> None:
        await self._enqueue("sms", to, template, personalisation, lang, withhold)

    async def _enqueue(self, channel, to, template, personalisation, lang, withhold) -> None:
        payload = self.box.encrypt(orjson.dumps({"to": to, "personalisation": personalisation}).decode())
        now = utcnow()
        async with self.sessionmaker() as db, db.begin():
            row_id = (await db.execute(
                insert(QueuedMessage).values(
                    channel=channel, template=template, lang=lang, payload=payload,
                    state="withheld" if withhold else "queued", attempts=0, next_attempt_at=now,
                    locked_until=None if withhold else now + LEASE,  # ours to send first
                    finished_at=now if withhold else None, created_at=now,
                ).returning(QueuedMessage.id)
            )).scalar_one()
        if withhold:
            return
        pending = _PENDING.get()
        if pending is not None:
            pending.append((self, row_id))  # sent after the response (DeliverAfterResponse)
        else:
            await self.send_leased(row_id)

    async def send_leased(self, row_id: int) -> int:
        """Send a row this process wrote (and so holds the lease of). Never raises."""
        try:
            return await self._attempt(row_id)
        except Exception as exc:  # the database itself failed: the lease ends, then a worker retries
            log.warning("message_delivery_error", message_id=row_id, error=type(exc).__name__)
            return 0

    async def deliver(self, ids: list[int]) -> int:
        """Claim and send these rows now. Never raises: what fails stays queued for the worker."""
        sent = 0
        for row_id in ids:
            try:
                if await self._claim(row_id):
                    sent += await self._attempt(row_id)
            except Exception as exc:  # the database itself failed: the worker retries later
                log.warning("message_delivery_error", message_id=row_id, error=type(exc).__name__)
        return sent

    async def deliver_due(self, limit: int = 50) -> int:
        now = utcnow()
        async with self.sessionmaker() as db:
            ids = (await db.execute(
                select(QueuedMessage.id)
                .where(QueuedMessage.state == "queued", QueuedMessage.next_attempt_at <= now,
                       or_(QueuedMessage.locked_until.is_(None), QueuedMessage.locked_until < now))
                .order_by(QueuedMessage.id).limit(limit)
            )).scalars().all()
        return await self.deliver(list(ids))

    async def purge(self) -> int:
        """Delete finished rows older than `message_retention_seconds`."""
        cutoff = utcnow() - dt.timedelta(seconds=self.settings.message_retention_seconds)
        async with self.sessionmaker() as db, db.begin():
            result = await db.execute(
                delete(QueuedMessage).where(QueuedMessage.state != "queued", QueuedMessage.finished_at < cutoff)
            )
        return result.rowcount or 0

    async def _claim(self, row_id: int) -> bool:
        now = utcnow()
        async with self.sessionmaker() as db, db.begin():
            claimed = await db.execute(
                update(QueuedMessage)
                .where(QueuedMessage.id == row_id, QueuedMessage.state == "queued",
                       or_(QueuedMessage.locked_until.is_(None), QueuedMessage.locked_until < now))
                .values(locked_until=now + LEASE)
            )
        return claimed.rowcount == 1  # else sent already, or another instance has it

    async def _attempt(self, row_id: int) -> int:
        async with self.sessionmaker() as db:
            row = await db.get(QueuedMessage, row_id)
        message = orjson.loads(self.box.decrypt(row.payload))
        send = self.transport.send_email if row.channel == "email" else self.transport.send_sms
        error, permanent = None, False
        try:
            await send(message["to"], row.template, message["personalisation"], row.lang)
        except Exception as exc:  # Notify's HTTPError, a timeout, a refused connection
            status = getattr(exc, "status_code", None)
            error = f"{type(exc).__name__}" + (f" (HTTP {status})" if status else "")
            permanent = isinstance(status, int) and 400 <= status < 500 and status != 429
        now, attempts = utcnow(), row.attempts + 1
        values = {"attempts": attempts, "locked_until": None, "last_error": error}
        if error is None:
            values.update(state="sent", finished_at=now, payload="")
        elif permanent or attempts >= self.settings.message_max_attempts:
            values.update(state="dead", finished_at=now, payload="")
        else:
            wait = min(MAX_BACKOFF, self.settings.message_retry_seconds * 2 ** (attempts - 1))
            values["next_attempt_at"] = now + dt.timedelta(seconds=wait)
        async with self.sessionmaker() as db, db.begin():
            await db.execute(update(QueuedMessage).where(QueuedMessage.id == row_id).values(**values))
        if error is None:
            return 1
        if values.get("state") == "dead":  # no recipient or code in the log: the id finds the row
            log.error("message_dead", message_id=row_id, channel=row.channel, template=row.template,
                      attempts=attempts, error=error)
            metrics.message_dead(row.channel)
        else:
            log.warning("message_retry", message_id=row_id, channel=row.channel, attempt=attempts, error=error)
        return 0


class DeliverAfterResponse:
    """Outermost ASGI layer: the messages a request queued are delivered once its response is
    sent (the connection is free by then; the request's task finishes the delivery)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        pending: list[tuple[QueuedMessages, int]] = []
        token = _PENDING.set(pending)
        try:
            await self.app(scope, receive, send)
        finally:
            _PENDING.reset(token)
            for messages, row_id in pending:
                await messages.send_leased(row_id)


async def run_message_worker(services, stop: asyncio.Event) -> None:
    """Every instance runs this: due messages (retries, and rows a stopped instance left), and
    the purge of finished rows."""
    messages = services.messages
    if not isinstance(messages, QueuedMessages):
        return
    last_purge = 0.0
    while not stop.is_set():
        try:
            await messages.deliver_due()
            if time.monotonic() - last_purge > 600:
                await messages.purge()
                last_purge = time.monotonic()
        except Exception as exc:  # keep the loop alive through database outages
            log.warning("message_worker_error", error=type(exc).__name__)
        try:
            await asyncio.wait_for(stop.wait(), services.settings.worker_poll_seconds)
        except TimeoutError:
            pass

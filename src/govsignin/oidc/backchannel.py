"""Back-channel logout (OIDC Back-Channel Logout 1.0), delivered from a durable queue.

Each delivery is a row: it survives a restart, and any instance may deliver it. The logout token
is signed at each attempt (it lives 2 minutes; retries can take longer), with typ logout+jwt.
Retries back off exponentially up to `backchannel_max_attempts`.

Deliveries go out concurrently, each within `backchannel_timeout` seconds overall (resolve,
connect, send, answer) and reading at most `outbound_max_bytes` of the answer
(onboarding/outbound.py), with at most `backchannel_per_service` under way to one service: one
slow or hostile service delays only its own deliveries.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from collections import Counter

import structlog
from sqlalchemy import or_, select, update

from govsignin.audit.tags import EventTag
from govsignin.db.base import utcnow
from govsignin.oidc.models import BackchannelDelivery
from govsignin.oidc.signing import sign
from govsignin.oidc.subject import subject_for
from govsignin.onboarding.outbound import OutboundFailed, OutboundRefused, fetch

log = structlog.get_logger(__name__)
EVENT = "http://schemas.openid.net/event/backchannel-logout"
LEASE = dt.timedelta(seconds=60)


async def enqueue_logouts(services, user, client_ids: list[str]) -> int:
    """Queue a logout for every service in the session that registered a URI."""
    rows = []
    for client_id in dict.fromkeys(client_ids):
        client = await services.registry.get(client_id)
        if client and client.backchannel_logout_uri:
            rows.append(
                BackchannelDelivery(
                    client_id=client_id,
                    uri=client.backchannel_logout_uri,
                    subject=subject_for(client, user.internal_subject_id, services.settings.subject_salt),
                )
            )
    if rows:
        async with services.sessionmaker() as db, db.begin():
            db.add_all(rows)
        services.wake_worker()
    return len(rows)


async def logout_token(services, client, subject: str) -> str:
    now = int(time.time())
    claims = {
        "iss": services.settings.issuer_url(),
        "aud": client.client_id,
        "sub": subject,
        "iat": now,
        "exp": now + services.settings.logout_token_ttl,
        "jti": str(uuid.uuid4()),
        "events": {EVENT: {}},
    }
    return await sign(services.keys, client.id_token_alg, claims, typ="logout+jwt")


class InFlight:
    """This worker's deliveries under way: how many per service, and their tasks."""

    def __init__(self):
        self.per_service: Counter[str] = Counter()
        self.tasks: set[asyncio.Task] = set()


def _lease(settings) -> dt.timedelta:
    return max(LEASE, dt.timedelta(seconds=settings.backchannel_timeout + 30))  # outlives any attempt


async def deliver_due(services, limit: int = 20, wait: bool = True) -> int:
    """Claim due deliveries (a lease, so two instances never send one twice) and send them at
    once, each within its deadline, at most `backchannel_per_service` at a time to one service:
    a slow service holds its own deliveries back, never another's. `wait`: return once they are
    done (the count delivered); else leave them running (the background worker)."""
    settings, in_flight = services.settings, services.backchannel
    room = limit - len(in_flight.tasks)
    if room <= 0:
        return 0
    now = utcnow()
    async with services.sessionmaker() as db:
        due = (
            await db.execute(
                select(BackchannelDelivery.id, BackchannelDelivery.client_id)
                .where(
                    BackchannelDelivery.delivered_at.is_(None),
                    BackchannelDelivery.failed_at.is_(None),
                    BackchannelDelivery.next_attempt_at <= now,
                    or_(BackchannelDelivery.locked_until.is_(None), BackchannelDelivery.locked_until < now),
                )
                .order_by(BackchannelDelivery.id)
                .limit(limit * 5)
            )
        ).all()
    started = []
    for delivery_id, client_id in due:
        if len(started) >= room:
            break
        if in_flight.per_service[client_id] >= settings.backchannel_per_service:
            continue  # this service has enough under way; its others wait for the next pass
        async with services.sessionmaker() as db, db.begin():
            claimed = await db.execute(
                update(BackchannelDelivery)
                .where(
                    BackchannelDelivery.id == delivery_id,
                    or_(BackchannelDelivery.locked_until.is_(None), BackchannelDelivery.locked_until < now),
                )
                .values(locked_until=now + _lease(settings))
            )
        if claimed.rowcount != 1:
            continue  # another instance has it
        in_flight.per_service[client_id] += 1
        task = asyncio.create_task(_attempt(services, delivery_id))
        in_flight.tasks.add(task)
        task.add_done_callback(lambda done, c=client_id: _finished(in_flight, c, done))
        started.append(task)
    if not wait or not started:
        return 0
    return sum(await asyncio.gather(*started))


def _finished(in_flight: InFlight, client_id: str, task: asyncio.Task) -> None:
    in_flight.tasks.discard(task)
    in_flight.per_service[client_id] -= 1
    if in_flight.per_service[client_id] <= 0:
        del in_flight.per_service[client_id]
    if not task.cancelled() and task.exception() is not None:
        log.warning("backchannel_logout_error", client_id=client_id, error=type(task.exception()).__name__)


async def _attempt(services, delivery_id: int) -> int:
    settings = services.settings
    async with services.sessionmaker() as db:
        d = await db.get(BackchannelDelivery, delivery_id)
    client = await services.registry.get(d.client_id)
    error = None
    if client is None:
        error = "service no longer registered"
    else:
        try:
            token = await logout_token(services, client, d.subject)
            answer = await fetch(
                "POST", d.uri, data={"logout_token": token}, production=settings.env == "production",
                deadline=settings.backchannel_timeout, max_bytes=settings.outbound_max_bytes,
            )
            if not 200 <= answer.status < 300:
                error = f"answered HTTP {answer.status}"
        except OutboundRefused as exc:
            error = f"refused: {exc}"
        except OutboundFailed as exc:
            error = str(exc)
    now = utcnow()
    attempts = d.attempts + 1
    values = {"attempts": attempts, "locked_until": None, "last_error": error}
    if error is None:
        values["delivered_at"] = now
    elif attempts >= settings.backchannel_max_attempts:
        values["failed_at"] = now
    else:
        values["next_attempt_at"] = now + dt.timedelta(seconds=min(3600, 2**attempts))
    async with services.sessionmaker() as db, db.begin():
        await db.execute(update(BackchannelDelivery).where(BackchannelDelivery.id == delivery_id).values(**values))
    if error is None:
        await services.audit.record(EventTag.BackchannelLogoutDelivered, client_id=d.client_id)
        return 1
    log.warning("backchannel_logout_failed", client_id=d.client_id, attempt=attempts, error=error)
    if "failed_at" in values:
        await services.audit.record(EventTag.BackchannelLogoutFailed, client_id=d.client_id, error=error)
    return 0


async def run_worker(services, stop: asyncio.Event) -> None:
    """The background loop every instance runs: deliveries (left running while the loop goes
    on, so a slow service never holds up the next pass), and purging expired entries."""
    last_purge = 0.0
    try:
        while not stop.is_set():
            try:
                await deliver_due(services, wait=False)
                if time.monotonic() - last_purge > 60:
                    await services.store.purge_expired()
                    await services.security_state.purge_expired()
                    last_purge = time.monotonic()
            except Exception as exc:  # keep the loop alive through database outages
                log.warning("background_worker_error", error=type(exc).__name__)
            try:
                await asyncio.wait_for(services.worker_wakeup.wait(), settings_poll(services))
            except TimeoutError:
                pass
            services.worker_wakeup.clear()
    finally:
        for task in list(services.backchannel.tasks):  # their leases lapse; another pass retries them
            task.cancel()


def settings_poll(services) -> float:
    return services.settings.worker_poll_seconds

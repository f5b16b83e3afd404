"""Back-channel logout (OIDC Back-Channel Logout 1.0), delivered from a durable queue.

Each delivery is a row: it survives a restart, and any instance may deliver it. The logout token
is signed at each attempt (it lives 2 minutes; retries can take longer), with typ logout+jwt.
Retries back off exponentially up to `backchannel_max_attempts`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid

import structlog
from sqlalchemy import or_, select, update

from govsignin.audit.tags import EventTag
from govsignin.db.base import utcnow
from govsignin.oidc.models import BackchannelDelivery
from govsignin.oidc.signing import sign
from govsignin.oidc.subject import subject_for

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


async def deliver_due(services, limit: int = 20) -> int:
    """Claim due deliveries (a lease, so two instances never send one twice) and send them."""
    now = utcnow()
    async with services.sessionmaker() as db:
        ids = (
            await db.execute(
                select(BackchannelDelivery.id)
                .where(
                    BackchannelDelivery.delivered_at.is_(None),
                    BackchannelDelivery.failed_at.is_(None),
                    BackchannelDelivery.next_attempt_at <= now,
                    or_(BackchannelDelivery.locked_until.is_(None), BackchannelDelivery.locked_until < now),
                )
                .order_by(BackchannelDelivery.id)
                .limit(limit)
            )
        ).scalars().all()
    sent = 0
    for delivery_id in ids:
        async with services.sessionmaker() as db, db.begin():
            claimed = await db.execute(
                update(BackchannelDelivery)
                .where(
                    BackchannelDelivery.id == delivery_id,
                    or_(BackchannelDelivery.locked_until.is_(None), BackchannelDelivery.locked_until < now),
                )
                .values(locked_until=now + LEASE)
            )
        if claimed.rowcount != 1:
            continue  # another instance has it
        sent += await _attempt(services, delivery_id)
    return sent


async def _attempt(services, delivery_id: int) -> int:
    settings = services.settings
    async with services.sessionmaker() as db:
        d = await db.get(BackchannelDelivery, delivery_id)
    client = await services.registry.get(d.client_id)
    error = None
    if client is None:
        error = "service no longer registered"
    else:
        import httpx  # on first delivery: httpx (with click and rich for its CLI) is ~4 MiB per worker

        try:
            token = await logout_token(services, client, d.subject)
            async with httpx.AsyncClient(timeout=settings.backchannel_timeout) as http:
                resp = await http.post(d.uri, data={"logout_token": token}, headers={"User-Agent": "govsignin"})
            if not 200 <= resp.status_code < 300:
                error = f"answered HTTP {resp.status_code}"
        except httpx.HTTPError as exc:
            error = type(exc).__name__
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
    """The background loop every instance runs: deliveries, and purging expired entries."""
    last_purge = 0.0
    while not stop.is_set():
        try:
            await deliver_due(services)
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


def settings_poll(services) -> float:
    return services.settings.worker_poll_seconds

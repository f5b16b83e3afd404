"""Reading the development outbox (`govsignin outbox`)."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import func, select

from govsignin.db.base import utcnow
from govsignin.messaging.models import OutboxMessage, QueuedMessage


async def settle(services, timeout: float = 3.0) -> bool:
    """Wait until no message queued in the last minute is still waiting for its first delivery
    (a page's messages go out just after its response): True when settled. For readers of the
    outbox that follow a browser (tests/support/live.py)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        async with services.sessionmaker() as db:
            waiting = (await db.execute(
                select(func.count()).select_from(QueuedMessage).where(
                    QueuedMessage.state == "queued", QueuedMessage.attempts == 0,
                    QueuedMessage.created_at > utcnow() - dt.timedelta(minutes=1),
                )
            )).scalar_one()
        if not waiting:
            return True
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.02)


async def read_outbox(services, to: str | None = None, last: bool = False) -> list[dict]:
    query = select(OutboxMessage)
    if to:
        query = query.where(OutboxMessage.recipient == to.strip().lower() if "@" in to else OutboxMessage.recipient == to)
    query = query.order_by(OutboxMessage.id.desc() if last else OutboxMessage.id)
    if last:
        query = query.limit(1)
    async with services.sessionmaker() as db:
        rows = (await db.execute(query)).scalars().all()
    return [
        {
            "id": m.id, "channel": m.channel, "to": m.recipient, "template": m.template,
            "personalisation": m.personalisation, "body": m.body, "created_at": m.created_at.isoformat(),
        }
        for m in rows
    ]

"""Reading the development outbox (`govsignin outbox`)."""

from __future__ import annotations

from sqlalchemy import select

from govsignin.messaging.models import OutboxMessage


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

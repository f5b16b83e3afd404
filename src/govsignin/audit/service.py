"""record_event(): every security-relevant action lands here, append-only."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from govsignin.audit.models import AuditEvent
from govsignin.audit.tags import EventTag
from govsignin.db.base import utcnow

T = AuditEvent.__table__


class Audit:
    def __init__(self, engine: AsyncEngine):
        self.engine = engine

    async def record(
        self,
        tag: EventTag,
        *,
        user_id: str | None = None,
        client_id: str | None = None,
        request=None,
        **details,
    ) -> None:
        ip = ua = None
        if request is not None:
            ip = request.client.host if request.client else None
            ua = (request.headers.get("user-agent") or "")[:512] or None
        async with self.engine.begin() as conn:
            await conn.execute(
                insert(T).values(
                    tag=str(tag), created_at=utcnow(), user_id=user_id, client_id=client_id,
                    ip=ip, user_agent=ua, details=details,
                )
            )

"""Which services a citizen has used, and when last: "Your services" and sign-out everywhere.

One row per (user, service), upserted when an authorization code is issued, but only the first
time in a browser session (oidc/authorize/respond.py checks `session.clients`), so single sign-on
to a service already in the session costs nothing. `last_used` is therefore "last signed in to",
which is what One Login's "Last used" shows too.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, bindparam, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, mapped_column

from govsignin.db.base import Base, UTCDateTime, utcnow


class ServiceUse(Base):
    __tablename__ = "service_uses"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    first_used: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


def _upsert(insert):
    table = ServiceUse.__table__
    stmt = insert(table).values(
        user_id=bindparam("user_id"), client_id=bindparam("client_id"),
        first_used=bindparam("now", type_=UTCDateTime()), last_used=bindparam("now", type_=UTCDateTime()),
    )
    return stmt.on_conflict_do_update(
        index_elements=[table.c.user_id, table.c.client_id], set_={"last_used": stmt.excluded.last_used}
    )


# Built once with bound parameters (compiled once), run on a Core connection: no ORM session.
_UPSERT = {"postgresql": _upsert(pg_insert), "sqlite": _upsert(sqlite_insert)}


def service_use_statement(services, user_id: str, client_id: str) -> tuple:
    """(statement, params): for Audit.record(also=...), in the sign-in event's transaction."""
    stmt = _UPSERT["postgresql" if services.engine.dialect.name == "postgresql" else "sqlite"]
    return stmt, {"user_id": user_id, "client_id": client_id, "now": utcnow()}


async def record_service_use(services, user_id: str, client_id: str) -> None:
    stmt, params = service_use_statement(services, user_id, client_id)
    async with services.engine.begin() as conn:
        await conn.execute(stmt, params)


async def service_uses(services, user_id: str) -> list[ServiceUse]:
    """Newest first."""
    async with services.sessionmaker() as db:
        rows = await db.execute(
            select(ServiceUse).where(ServiceUse.user_id == user_id).order_by(ServiceUse.last_used.desc())
        )
        return list(rows.scalars().all())


async def forget_service_uses(db, user_id: str) -> None:
    """Within the caller's transaction (account deletion)."""
    await db.execute(delete(ServiceUse).where(ServiceUse.user_id == user_id))

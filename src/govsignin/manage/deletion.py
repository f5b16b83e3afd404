"""Deleting an account: sign-in details and service history go; sessions end; services are told.

What goes: the user row and everything keyed to it (password, second factors, recovery codes,
passkeys and service history; the foreign keys cascade, and the known tables are also deleted
explicitly so a missing cascade cannot leave a credential behind), and the personal data of the
account's audit events: their audit_personal rows (user id, IP address, user agent). The events
stay, append-only and hash-chained, now anonymous; every hash still verifies, because the chain
hashes only an HMAC of those values under a salt that was in the deleted row (docs/audit.md,
"Erasure inside the chain"). Events recorded before migration 0007 hash their personal fields
raw and keep them until `govsignin audit expire` removes them with their prefix. The deletion
itself is recorded without a user id, IP address or user agent.
"""

from __future__ import annotations

from sqlalchemy import delete

from govsignin.accounts.models import MfaMethod, PasswordCredential, User
from govsignin.accounts.service_uses import ServiceUse, service_uses
from govsignin.audit.models import AuditPersonal
from govsignin.audit.tags import EventTag
from govsignin.oidc.backchannel import enqueue_logouts


async def all_services_used(services, user_id: str, session=None) -> list[str]:
    """Every service the user signed in to (service history, plus this browser session's)."""
    client_ids = [use.client_id for use in await service_uses(services, user_id)]
    if session is not None:
        client_ids += session.clients
    return list(dict.fromkeys(client_ids))


async def sign_out_everywhere(services, user, session=None, request=None) -> int:
    """End every browser session of the user on every instance and send back-channel logouts."""
    queued = await enqueue_logouts(services, user, await all_services_used(services, user.id, session))
    await services.sessions.end_all_for_user(user.id)
    if session is not None:
        await services.sessions.end(session)
    await services.audit.record(EventTag.LogoutEverywhere, user_id=user.id, request=request, services_told=queued)
    return queued


async def sign_out_other_devices(services, user, session):
    """After a password change: every other session of the user ends, on every instance, and the
    services are told (back-channel logout); `session` lives on under a new id at the new
    generation. Returns it (set its cookie) and how many services were told."""
    queued = await enqueue_logouts(services, user, await all_services_used(services, user.id, session))
    await services.sessions.end_all_for_user(user.id)
    return await services.sessions.rotate(session), queued


async def delete_account(services, user, session=None, request=None) -> None:
    # Logout tokens carry the pairwise subjects, computed now, while the user row still exists.
    queued = await enqueue_logouts(services, user, await all_services_used(services, user.id, session))
    async with services.sessionmaker() as db, db.begin():
        for model in (ServiceUse, PasswordCredential, MfaMethod):
            await db.execute(delete(model).where(model.user_id == user.id))
        await db.execute(delete(User).where(User.id == user.id))  # cascades to other engineers' tables
        await db.execute(delete(AuditPersonal).where(AuditPersonal.user_id == user.id))  # erasure in the chain
    await services.sessions.end_all_for_user(user.id)
    if session is not None:
        await services.sessions.end(session)
    await services.audit.record(EventTag.AccountDeleted, services_told=queued)  # anonymous, like the rest now

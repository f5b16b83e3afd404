"""Old accounts linked to the GOV.UK account ("link your old account", docs/migration.md): listed
on /account, each removable by POST /account/remove-old-account (the record stays, unlinked, so
the service may ask to link it again)."""

from __future__ import annotations

from sqlalchemy import select

from govsignin.audit.tags import EventTag
from govsignin.manage.common import Account, go, open_account
from govsignin.migration.links import links_of, unlink
from govsignin.onboarding.models import RelyingParty


async def linked_old_accounts(account: Account) -> list[dict]:
    """[{"system", "service"}] for the account's links; the service is the one registered with
    that legacy system (its name), or the system's name if none is now."""
    links = await links_of(account.services, account.user.id)
    if not links:
        return []
    systems = [system for system, _ in links]
    async with account.services.sessionmaker() as db:
        names = dict((await db.execute(
            select(RelyingParty.legacy_system, RelyingParty.name).where(RelyingParty.legacy_system.in_(systems))
        )).all())
    return [{"system": system, "service": names.get(system, system)} for system in systems]


async def remove_old_account(request):
    account = await open_account(request)
    if not isinstance(account, Account):
        return account
    system = account.form.get("system", "")
    if system and await unlink(account.services, account.user.id, system):
        await account.services.audit.record(EventTag.LegacyAccountUnlinked, user_id=account.user.id, request=request,
                                            legacy_system=system)
    return go("/account")

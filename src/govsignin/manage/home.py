"""/account: your services, a security summary, and links to the other account pages."""

from __future__ import annotations

from govsignin.accounts.mfa import second_factor_methods
from govsignin.accounts.service_uses import service_uses
from govsignin.manage.common import Account, open_account
from govsignin.manage.legacy_links import linked_old_accounts


async def services_used(account: Account) -> list[dict]:
    rows = []
    for use in await service_uses(account.services, account.user.id):
        client = await account.services.registry.get(use.client_id)
        if client is not None:
            rows.append({"name": client.name, "last_used": use.last_used, "client_id": use.client_id})
    return rows


async def home(request):
    account = await open_account(request)
    if not isinstance(account, Account):
        return account
    services, user = account.services, account.user
    return account.render(
        request, "manage/home.html",
        services_used=await services_used(account),
        methods=await second_factor_methods(services, user.id),
        old_accounts=await linked_old_accounts(account),
    )

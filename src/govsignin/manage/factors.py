"""Recovery codes, passkeys and backup methods on the security page.

Recovery codes come from accounts/recovery_codes.py (shown once, never stored in clear);
passkeys from accounts/passkeys.py; second factors from accounts/mfa.py. Each change asks for
the password again and respects the 48-hour block after a password reset.
"""

from __future__ import annotations

from sqlalchemy import delete

from govsignin.accounts.mfa import second_factor_methods
from govsignin.accounts.models import MfaMethod, Passkey
from govsignin.accounts.passkeys import Passkeys
from govsignin.accounts.recovery_codes import generate_recovery_codes, recovery_codes_left
from govsignin.audit.tags import EventTag
from govsignin.manage.common import Account, go, open_account


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 12 else None


async def recovery_codes(request):
    account = await open_account(request, password=True, mfa_change=True)
    if not isinstance(account, Account):
        return account
    services, user = account.services, account.user
    if request.method == "GET":
        return account.render(request, "manage/recovery-codes.html", left=await recovery_codes_left(services, user.id))
    codes = await generate_recovery_codes(services, user.id)
    await services.audit.record(EventTag.RecoveryCodesRegenerated, user_id=user.id, request=request)
    return account.render(request, "manage/recovery-codes-new.html", codes=codes)


async def remove_passkey(request):
    account = await open_account(request, password=True)
    if not isinstance(account, Account):
        return account
    services, user = account.services, account.user
    passkey_id = _int(account.form.get("id") or request.query_params.get("id"))
    mine = {p.id: p for p in await Passkeys.of(services).for_user(user.id)}
    if passkey_id not in mine:
        return go("/account/security")
    if request.method == "GET":
        return account.render(request, "manage/remove-passkey.html", passkey=mine[passkey_id])
    async with services.sessionmaker() as db, db.begin():
        await db.execute(delete(Passkey).where(Passkey.id == passkey_id, Passkey.user_id == user.id))
    await services.audit.record(EventTag.PasskeyRemoved, user_id=user.id, request=request)
    return go("/account/security?updated=passkey-removed")


async def remove_backup_method(request):
    account = await open_account(request, password=True, mfa_change=True)
    if not isinstance(account, Account):
        return account
    services, user = account.services, account.user
    method_id = _int(account.form.get("id") or request.query_params.get("id"))
    backups = {m.id: m for m in await second_factor_methods(services, user.id) if m.priority == "backup"}
    if method_id not in backups:
        return go("/account/security")
    if request.method == "GET":
        return account.render(request, "manage/remove-backup.html", method=backups[method_id])
    async with services.sessionmaker() as db, db.begin():
        await db.execute(delete(MfaMethod).where(MfaMethod.id == method_id, MfaMethod.user_id == user.id,
                                                 MfaMethod.priority == "backup"))
    await services.audit.record(EventTag.BackupMethodRemoved, user_id=user.id, request=request)
    return go("/account/security?updated=backup-removed")


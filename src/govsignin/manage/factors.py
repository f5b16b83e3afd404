"""Recovery codes, passkeys and backup methods on the security page.

Recovery codes come from accounts/recovery_codes.py (shown once, never stored in clear);
passkeys from accounts/passkeys.py; second factors from accounts/mfa.py. Each change asks for
the password again, respects the 48-hour block after a password reset, and emails the owner.
A removal never leaves the account without a second factor (accounts/mfa.py's guarded DELETE).
"""

from __future__ import annotations

from sqlalchemy import select

from govsignin.accounts import mfa
from govsignin.accounts.mfa import second_factor_methods
from govsignin.accounts.models import MfaMethod
from govsignin.accounts.passkeys import PasskeyError, Passkeys, new_user_handle
from govsignin.accounts.recovery_codes import generate_recovery_codes, recovery_codes_left
from govsignin.audit.tags import EventTag
from govsignin.manage.common import Account, error, go, open_account
from govsignin.web.i18n import N_


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
    await account.tell_owner(request, "new recovery codes (the old ones no longer work)")
    return account.render(request, "manage/recovery-codes-new.html", codes=codes)


async def add_passkey(request):
    account = await open_account(request, password=True, mfa_change=True)
    if not isinstance(account, Account):
        return account
    services, user, session = account.services, account.user, account.session
    passkeys = Passkeys.of(services)
    mine = await passkeys.for_user(user.id)
    scope = f"account:{session.id}"

    async def show(status=200, problem=None):
        handle = mine[0].user_handle if mine else new_user_handle()  # one WebAuthn user per account
        options = await passkeys.registration_options(
            scope=scope, user_handle=handle, email=user.email, exclude=[p.credential_id for p in mine])
        return account.render(request, "manage/add-passkey.html", status=status, options_json=options, error=problem)

    if request.method == "GET":
        return await show()
    try:
        new = await passkeys.verify_registration(scope=scope, response_json=account.form.get("credential", ""))
    except PasskeyError:
        return await show(400, error("create-passkey", N_("Your passkey could not be created. Try again")))
    async with services.sessionmaker() as db, db.begin():
        kinds = {m.kind: m for m in (await db.execute(select(MfaMethod).where(MfaMethod.user_id == user.id))).scalars()}
        if "passkey" not in kinds:
            db.add(MfaMethod(user_id=user.id, kind="passkey", priority="backup" if kinds else "default"))
        Passkeys.add_to(db, user.id, new, name=N_("Passkey") + f" {len(mine) + 1}")
    await services.audit.record(EventTag.PasskeyAdded, user_id=user.id, request=request)
    await account.tell_owner(request, "passkey added")
    return go("/account/security?updated=passkey-added")


async def remove_passkey(request):
    account = await open_account(request, password=True, mfa_change=True)
    if not isinstance(account, Account):
        return account
    services, user = account.services, account.user
    passkey_id = _int(account.form.get("id") or request.query_params.get("id"))
    mine = {p.id: p for p in await Passkeys.of(services).for_user(user.id)}
    if passkey_id not in mine:
        return go("/account/security")
    methods = await second_factor_methods(services, user.id)
    only_way = len(mine) == 1 and not methods  # the last passkey and no app or phone
    if request.method == "GET":
        return account.render(request, "manage/remove-passkey.html", passkey=mine[passkey_id],
                              error=_only_way() if only_way else None)
    if not await mfa.remove_passkey(services, user.id, passkey_id):  # decided by the database, not `mine`
        return account.render(request, "manage/remove-passkey.html", status=400, passkey=mine[passkey_id],
                              error=_only_way())
    await services.audit.record(EventTag.PasskeyRemoved, user_id=user.id, request=request)
    await account.tell_owner(request, "passkey removed")
    return go("/account/security?updated=passkey-removed")


def _only_way() -> dict:
    return error("remove", N_("You cannot remove your only way to get security codes. Add another way first"))


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
    if not await mfa.remove_backup_method(services, user.id, method_id):
        return account.render(request, "manage/remove-backup.html", status=400, method=backups[method_id],
                              error=_only_way())
    await services.audit.record(EventTag.BackupMethodRemoved, user_id=user.id, request=request)
    await account.tell_owner(request, "backup method removed")
    return go("/account/security?updated=backup-removed")


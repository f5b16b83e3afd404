"""/account/enter-password: the password again before a sensitive change (valid 5 minutes)."""

from __future__ import annotations

from govsignin.accounts.lockout import account as account_subject
from govsignin.audit.tags import EventTag
from govsignin.manage.common import Account, error, go, mark_password_fresh, open_account, safe_return
from govsignin.web.i18n import N_


async def enter_password(request):
    account = await open_account(request)
    if not isinstance(account, Account):
        return account
    services = account.services
    target = safe_return(account.form.get("next") or request.query_params.get("next"), "/account/security")
    if request.method == "GET":
        return account.render(request, "manage/enter-password.html", next=target)
    password = account.form.get("password", "")
    if not password:
        return account.render(request, "manage/enter-password.html", status=400, next=target,
                              error=error("password", N_("Enter your password")))
    ok, response = await check_password_with_lockout(request, account, password)
    if response is not None:
        return response
    if not ok:
        return account.render(request, "manage/enter-password.html", status=400, next=target,
                              error=error("password", N_("The password you entered is not correct")))
    await mark_password_fresh(services, account.session)
    return go(target)


async def check_password_with_lockout(request, account: Account, password: str):
    """(correct?, response): wrong passwords count toward the sign-in lockout (6, then 2 hours);
    the attempt that locks the account also ends this browser session."""
    services, user = account.services, account.user
    attempt = await services.lockouts.attempt("password", account_subject(user.id))
    if attempt.blocked:
        return False, await _locked(request, account)
    if len(password) <= 256 and await services.accounts.check_password(user, password):
        await attempt.succeeded()
        return True, None
    await services.audit.record(EventTag.LoginFailure, user_id=user.id, request=request, where="account")
    if await attempt.failed():
        await services.audit.record(EventTag.PasswordLockout, user_id=user.id, request=request)
        return False, await _locked(request, account)
    return False, None


async def _locked(request, account: Account):
    await account.services.sessions.end(account.session)
    response = account.services.templates.render(request, "manage/password-locked.html", status=403)
    account.services.sessions.clear_cookie(response)
    return response

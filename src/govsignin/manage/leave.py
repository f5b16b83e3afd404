"""/account/global-logout ("sign out of all devices") and /account/delete-account."""

from __future__ import annotations

from govsignin.manage.deletion import delete_account, sign_out_everywhere
from govsignin.manage.common import Account, error, open_account
from govsignin.manage.password import check_password_with_lockout
from govsignin.web.i18n import N_
from govsignin.web.templating import pick_language


async def global_logout(request):
    account = await open_account(request)
    if not isinstance(account, Account):
        return account
    services = account.services
    if request.method == "GET":
        return account.render(request, "manage/global-logout.html")
    await sign_out_everywhere(services, account.user, account.session, request)
    response = services.templates.render(request, "manage/signed-out-everywhere.html")
    services.sessions.clear_cookie(response)
    return response


async def delete_account_page(request):
    account = await open_account(request)
    if not isinstance(account, Account):
        return account
    services, user = account.services, account.user
    if request.method == "GET":
        return account.render(request, "manage/delete-account.html")
    password = account.form.get("password", "")
    if not password:
        return account.render(request, "manage/delete-account.html", status=400,
                              error=error("password", N_("Enter your password")))
    ok, response = await check_password_with_lockout(request, account, password)
    if response is not None:
        return response
    if not ok:
        return account.render(request, "manage/delete-account.html", status=400,
                              error=error("password", N_("The password you entered is not correct")))
    email = user.email
    await delete_account(services, user, account.session, request)
    await services.messages.send_email(email, "account-deleted", {}, pick_language(request))
    response = services.templates.render(request, "manage/account-deleted.html")
    services.sessions.clear_cookie(response)
    return response

"""The security pages: change email, password, phone number and authenticator app.

Every change first asks for the password (`open_account(password=True)`); changes to how the
citizen gets security codes are refused for 48 hours after a password reset (`mfa_change=True`).
Codes to a new email address or phone come from accounts/codes.py.
"""

from __future__ import annotations

import re
import time

import pyotp

from govsignin.accounts.changes import (
    EmailTaken,
    add_backup_method,
    change_email,
    change_password,
    change_phone,
    set_auth_app,
    switch_default_method,
)
from govsignin.accounts.codes import OneTimeCodes, Verified
from govsignin.manage.deletion import sign_out_other_devices
from govsignin.accounts.mfa import mfa_change_blocked_until, second_factor_methods
from govsignin.accounts.password_policy import password_problem
from govsignin.accounts.phone import parse_mobile
from govsignin.accounts.service import normalise_email
from govsignin.audit.tags import EventTag
from govsignin.manage.common import Account, error, go, mark_password_fresh, open_account
from govsignin.messaging.limits import Refusal, cannot_send_sms_page, sms_country_problem
from govsignin.ratelimit import client_ip
from govsignin.web.i18n import N_

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

UPDATED = {  # ?updated=… → the success banner on the security page
    "email": N_("You have changed your email address"),
    "password": N_("You have changed your password"),
    "phone": N_("You have changed your phone number"),
    "auth-app": N_("You have changed your authenticator app"),
    "recovery-codes": N_("You have new recovery codes"),
    "passkey-added": N_("You have added a passkey"),
    "passkey-removed": N_("You have removed a passkey"),
    "backup-removed": N_("You have removed a backup method"),
    "backup-added": N_("You have added a backup method"),
    "switched": N_("You have changed your default method for getting security codes"),
}


def _now_text() -> str:
    return time.strftime("%H:%M on %d %B %Y", time.gmtime()) + " UTC"


async def security(request):
    account = await open_account(request)
    if not isinstance(account, Account):
        return account
    services, user = account.services, account.user
    from govsignin.accounts.passkeys import Passkeys
    from govsignin.accounts.recovery_codes import recovery_codes_left

    updated = request.query_params.get("updated")
    return account.render(
        request, "manage/security.html",
        methods=await second_factor_methods(services, user.id),
        passkeys=await Passkeys.of(services).for_user(user.id),
        recovery_codes_left=await recovery_codes_left(services, user.id),
        blocked_until=await mfa_change_blocked_until(services, user.id),
        updated=UPDATED.get(updated),
    )


async def cannot_change_security_codes(request):
    account = await open_account(request)
    if not isinstance(account, Account):
        return account
    until = await mfa_change_blocked_until(account.services, account.user.id)
    return account.render(request, "manage/cannot-change-security-codes.html", until=until)


# --- email -----------------------------------------------------------------------------------

async def change_email_page(request):
    account = await open_account(request, password=True)
    if not isinstance(account, Account):
        return account
    services, user, session = account.services, account.user, account.session
    if request.method == "GET":
        return account.render(request, "manage/change-email.html", email="")
    email = account.form.get("email", "").strip()
    problem = None
    if not email:
        problem = error("email", N_("Enter your new email address"))
    elif len(email) > 256 or not EMAIL.match(email):
        problem = error("email", N_("Enter an email address in the correct format, like name@example.com"))
    elif normalise_email(email) == user.email:
        problem = error("email", N_("Your account is already using that email address. Enter a different email address"))
    elif await services.accounts.by_email(email) is not None:
        problem = error("email", N_("An account already exists with that email address. Enter a different email address"))
    if problem:
        return account.render(request, "manage/change-email.html", status=400, email=email, error=problem)
    email = normalise_email(email)
    sent = await OneTimeCodes.of(services).issue("change-email", email, scope=session.id, journey=session.id,
                                                 account=user.id, destination=email, ip=client_ip(request))
    if sent.blocked:
        return account.render(request, "manage/change-email.html", status=400, email=email,
                              error=error("email", N_("You asked to resend the security code too many times. Wait 2 hours and try again")))
    await services.messages.send_email(email, "change-email-code", {"code": sent.code}, _lang(request))
    await account.remember("email", email)
    return go("/account/check-your-email")


async def check_your_email(request):
    account = await open_account(request, password=True)
    if not isinstance(account, Account):
        return account
    services, user, session = account.services, account.user, account.session
    email = await account.recall("email")
    if email is None:
        return go("/account/change-email")
    if request.method == "GET":
        return account.render(request, "manage/check-your-email.html", email=email)
    problem, blocked = await _verify_change_code(request, account, services, "change-email", email, session.id, "email")
    if blocked is not None:
        return blocked
    if problem:
        return account.render(request, "manage/check-your-email.html", status=400, email=email, error=problem)
    old = user.email
    try:
        await change_email(services, user.id, email)
    except EmailTaken:
        return account.render(request, "manage/change-email.html", status=400, email=email,
                              error=error("email", N_("An account already exists with that email address. Enter a different email address")))
    await account.forget("email")
    await services.audit.record(EventTag.EmailChanged, user_id=user.id, request=request)
    await services.messages.send_email(old, "email-changed", {"new_email": email}, _lang(request))
    return go("/account/security?updated=email")


# --- password --------------------------------------------------------------------------------

async def change_password_page(request):
    account = await open_account(request, password=True)
    if not isinstance(account, Account):
        return account
    services, user = account.services, account.user
    if request.method == "GET":
        return account.render(request, "manage/change-password.html")
    password = account.form.get("password", "")
    confirm = account.form.get("confirm-password", "")
    problem = None
    if broken := password_problem(password, confirm):  # account creation's policy
        problem = error(*broken)
    elif await services.accounts.check_password(user, password):
        problem = error("password", N_("You are already using that password. Enter a different password"))
    if problem:
        return account.render(request, "manage/change-password.html", status=400, error=problem)
    await change_password(services, user.id, password)
    # Whoever signed in with the old password is signed out everywhere else; this browser stays.
    session, told = await sign_out_other_devices(services, user, account.session)
    # The password was just given (to reach this page) under the old id: still fresh.
    await mark_password_fresh(services, session)
    await services.audit.record(EventTag.PasswordChanged, user_id=user.id, request=request, services_told=told)
    await services.messages.send_email(user.email, "password-changed", {"time": _now_text()}, _lang(request))
    response = go("/account/security?updated=password")
    services.sessions.set_cookie(response, session)
    return response


# --- phone -----------------------------------------------------------------------------------

async def change_phone_page(request):
    account = await open_account(request, password=True, mfa_change=True)
    if not isinstance(account, Account):
        return account
    services, user, session = account.services, account.user, account.session
    if request.method == "GET":  # ?backup=1: a backup phone, not a new number for the default one
        backup = request.query_params.get("backup") == "1"
        await account.remember("phone-purpose", "backup" if backup else "change")
        return account.render(request, "manage/change-phone-number.html", phone="", backup=backup)
    backup = await account.recall("phone-purpose") == "backup"
    raw = account.form.get("phone", "").strip()
    phone, text = parse_mobile(raw)  # account creation's rules (UK or international mobiles)
    problem = None
    if text:
        problem = error("phone", text)
    elif country := sms_country_problem(services.settings, phone):
        problem = error("phone", country)
    elif phone == user.phone_number:
        problem = error("phone", N_("You are already using that phone number. Enter a different phone number"))
    if problem:
        return account.render(request, "manage/change-phone-number.html", status=400, phone=raw, error=problem, backup=backup)
    sent = await OneTimeCodes.of(services).issue("change-phone", phone, scope=session.id, journey=session.id,
                                                 account=user.id, destination=phone, channel="sms", ip=client_ip(request))
    if sent.refused is Refusal.SMS_BUDGET:
        return cannot_send_sms_page(request)
    if sent.blocked:
        return account.render(request, "manage/change-phone-number.html", status=400, phone=raw, backup=backup,
                              error=error("phone", N_("You asked to resend the security code too many times. Wait 2 hours and try again")))
    await services.messages.send_sms(phone, "change-phone-code", {"code": sent.code}, _lang(request))
    await account.remember("phone", phone)
    return go("/account/check-your-phone")


async def check_your_phone(request):
    account = await open_account(request, password=True, mfa_change=True)
    if not isinstance(account, Account):
        return account
    services, user, session = account.services, account.user, account.session
    phone = await account.recall("phone")
    if phone is None:
        return go("/account/change-phone-number")
    if request.method == "GET":
        return account.render(request, "manage/check-your-phone.html", phone_hint=phone[-3:])
    problem, blocked = await _verify_change_code(request, account, services, "change-phone", phone, session.id, "phone")
    if blocked is not None:
        return blocked
    if problem:
        return account.render(request, "manage/check-your-phone.html", status=400, phone_hint=phone[-3:], error=problem)
    if await account.recall("phone-purpose") == "backup":
        await add_backup_method(services, user.id, "sms", phone=phone)
        await account.forget("phone")
        await services.audit.record(EventTag.BackupMethodAdded, user_id=user.id, request=request, kind="sms")
        await services.messages.send_email(user.email, "security-codes-changed",
                                           {"time": _now_text(), "change": "backup phone added"}, _lang(request))
        return go("/account/security?updated=backup-added")
    await change_phone(services, user.id, phone)
    await account.forget("phone")
    await services.audit.record(EventTag.PhoneChanged, user_id=user.id, request=request)
    await services.messages.send_email(user.email, "security-codes-changed",
                                       {"time": _now_text(), "change": "phone number"}, _lang(request))
    return go("/account/security?updated=phone")


# --- authenticator app ----------------------------------------------------------------------

async def change_auth_app(request):
    account = await open_account(request, password=True, mfa_change=True)
    if not isinstance(account, Account):
        return account
    services, user = account.services, account.user
    if request.method == "GET":  # ?backup=1: a backup app beside the default method, unless there is an app
        has_app = any(m.kind == "auth_app" for m in await second_factor_methods(services, user.id))
        backup = request.query_params.get("backup") == "1" and not has_app
        await account.remember("totp-purpose", "backup" if backup else "change")
    backup = await account.recall("totp-purpose") == "backup"
    secret = await account.recall("totp")
    if secret is None:
        secret = pyotp.random_base32()
        await account.remember("totp", secret)
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=services.settings.service_name)
    import segno  # QR codes: imported when one is drawn

    context = {"secret": " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
               "qr": segno.make(uri, error="m").svg_data_uri(scale=5, border=2), "backup": backup}
    if request.method == "GET":
        return account.render(request, "manage/change-authenticator-app.html", **context)
    if await services.lockouts.is_blocked("registering", user.id):
        return account.render(request, "manage/code-blocked.html", status=400)
    code = account.form.get("code", "").replace(" ", "")
    problem = _code_problem(code)
    # Marked used as at sign-in: the code that confirms the app cannot then sign in again.
    if problem is None and not await services.accounts.check_totp(user.id, secret, code, refuse_used=False):
        problem = error("code", N_("The security code you entered is not correct, or may have expired, try again"))
        if await services.lockouts.fail("registering", user.id):
            await account.forget("totp")
            return account.render(request, "manage/code-blocked.html", status=400)
    if problem:
        return account.render(request, "manage/change-authenticator-app.html", status=400, error=problem, **context)
    await account.forget("totp")
    await services.lockouts.clear("registering", user.id)
    # One app per account: an account that has an app gets this one in its place, whatever the URL asked.
    if await set_auth_app(services, user.id, secret, as_backup=backup) == "added" and backup:
        await services.audit.record(EventTag.BackupMethodAdded, user_id=user.id, request=request, kind="auth_app")
        await services.messages.send_email(user.email, "security-codes-changed",
                                           {"time": _now_text(), "change": "backup authenticator app added"}, _lang(request))
        return go("/account/security?updated=backup-added")
    await services.audit.record(EventTag.AuthAppChanged, user_id=user.id, request=request)
    await services.messages.send_email(user.email, "security-codes-changed",
                                       {"time": _now_text(), "change": "authenticator app"}, _lang(request))
    return go("/account/security?updated=auth-app")


def _code_problem(code: str) -> dict | None:
    if not code:
        return error("code", N_("Enter the security code"))
    if not (code.isdigit() and len(code) == 6):
        return error("code", N_("Enter the security code using only 6 digits"))
    return None


def _lang(request) -> str:
    from govsignin.web.templating import pick_language

    return pick_language(request)



async def switch_methods(request):
    """Make a backup method the default (and the default a backup)."""
    account = await open_account(request, password=True, mfa_change=True)
    if not isinstance(account, Account):
        return account
    services, user = account.services, account.user
    raw = account.form.get("id") or request.query_params.get("id") or ""
    backups = {m.id: m for m in await second_factor_methods(services, user.id) if m.priority == "backup"}
    method_id = int(raw) if raw.isdigit() and len(raw) < 12 else None
    if method_id not in backups:
        return go("/account/security")
    if request.method == "GET":
        return account.render(request, "manage/switch-methods.html", method=backups[method_id])
    if not await switch_default_method(services, user.id, method_id):
        return go("/account/security")
    await services.audit.record(EventTag.DefaultMethodSwitched, user_id=user.id, request=request)
    await services.messages.send_email(user.email, "security-codes-changed",
                                       {"time": _now_text(), "change": "default method switched"}, _lang(request))
    return go("/account/security?updated=switched")


async def _verify_change_code(request, account, services, purpose, subject, session_id, forget):
    """Check the code sent for a change of email or phone: (error to show or None, and the
    "too many wrong codes" page when the code is now blocked)."""
    code = account.form.get("code", "").replace(" ", "")
    problem = _code_problem(code)
    if problem is None:
        result = await OneTimeCodes.of(services).verify(purpose, subject, code, scope=session_id)
        if result is Verified.BLOCKED:
            await account.forget(forget)
            return None, account.render(request, "manage/code-blocked.html", status=400)
        if result is Verified.WRONG:
            problem = error("code", N_("The security code you entered is not correct, or may have expired, try again"))
    return problem, None

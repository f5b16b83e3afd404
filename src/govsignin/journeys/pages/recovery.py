"""Recovery pages (flows/recovery.py): another second factor, SMS and recovery codes at sign-in,
a forgotten password, and a lost second factor.

Links that only move between pages ("use another method", "I've forgotten my password") are
GETs that the table's LINKS turn into navigation events (common.open_page): no code is sent and
nothing changes but the page. Everything that sends a message or checks a code is a POST with
the CSRF token.
"""

from __future__ import annotations

import json

import pyotp
from sqlalchemy import update

from govsignin.accounts.codes import PURPOSES, OneTimeCodes, Purpose, Verified
from govsignin.accounts.mfa import (
    Method,
    _phone_hint,
    block_mfa_change,
    cancel_mfa_reset,
    claim_mfa_reset,
    complete_mfa_reset,
    mfa_change_blocked_until,
    mfa_reset_ready,
    pending_mfa_reset,
    replace_second_factors,
    reset_usable,
    request_mfa_reset,
    second_factor_methods,
    sms_number,
)
from govsignin.accounts.models import PasswordCredential
from govsignin.accounts.passkeys import PasskeyError, Passkeys
from govsignin.accounts.registration import KIND_ORDER
from govsignin.accounts.service import normalise_email
from govsignin.accounts.password_policy import password_problem
from govsignin.accounts.recovery_codes import (
    generate_recovery_codes,
    looks_like_recovery_code,
    recovery_codes_left,
    use_recovery_code,
)
from govsignin.audit.tags import EventTag
from govsignin.db.base import utcnow
from govsignin.journeys.flows.recovery import Event, State
from govsignin.journeys.machine import State as SignIn
from govsignin.accounts.lockout import account, journey as journey_subject
from govsignin.journeys.pages.common import Page, advance, expired, open_page
from govsignin.messaging.limits import Refusal, cannot_send_sms_page
from govsignin.ratelimit import client_ip
from govsignin.web.i18n import N_

# Codes this flow sends besides those accounts/codes.py names (15 min). A text-message code is the
# account's second factor (the shared "code" counter); an emailed one counts per journey.
PURPOSES.setdefault("reset-password-sms", Purpose("reset-password-sms", 900, "code"))
PURPOSES.setdefault("mfa-reset-email", Purpose("mfa-reset-email", 900, "recovery_email"))

T = "journeys/recovery/"
WRONG_CODE = N_("The security code you entered is not correct, or may have expired, try again")


def _error(field: str, text: str) -> dict:
    return {"field": field, "text": text}


def _six_digits(code: str) -> str | None:
    if not code:
        return N_("Enter the security code")
    if not (code.isdigit() and len(code) == 6):
        return N_("Enter the security code using only 6 digits")
    return None


def default_kind(facts) -> str | None:
    """registration.default_mfa_kind, from facts already read."""
    rows = [(kind, priority) for _, kind, priority, _ in facts.methods]
    kinds = [k for k, p in rows if p == "default" and k in KIND_ORDER] or [k for k, _ in rows if k in KIND_ORDER]
    return kinds[0] if kinds else None


async def prepare_for_user(services, journey, facts=None) -> None:
    """Fill in what the recovery guards need once the account is known (enter-email, begin).
    `facts` (Accounts.sign_in_facts) saves reading the account's methods again."""
    for key in ("methods", "mfa_reset_ready", "mfa_reset_pending", "email_unverified", "no_second_factor"):
        journey.data.pop(key, None)
    if not journey.user_id:
        return
    if facts is not None and not facts.email_verified:  # imported unverified: a code first (machine.py)
        journey.data["email_unverified"] = True
    if facts is not None and not facts.methods:  # imported without one: set one up at Cl.Cm (machine.py)
        journey.data["no_second_factor"] = True
    if facts is not None:  # the same answers as the queries below, from the one read
        methods = sorted((Method(i, k, p, _phone_hint(phone)) for i, k, p, phone in facts.methods
                          if k in ("auth_app", "sms")), key=lambda m: m.priority != "default")
        codes_left = facts.recovery_codes_left
        reset_pending = facts.reset_available_at is not None
        reset_ready = reset_usable(services, facts.reset_available_at)
        has_passkey = any(kind == "passkey" for _, kind, _, _ in facts.methods)
    else:
        methods = await second_factor_methods(services, journey.user_id)
        codes_left = await recovery_codes_left(services, journey.user_id)
        pending = await pending_mfa_reset(services, journey.user_id)
        reset_pending = pending is not None
        reset_ready = reset_usable(services, pending.available_at if pending else None)
        has_passkey = bool(await Passkeys.of(services).for_user(journey.user_id))
    kinds = list(dict.fromkeys(m.kind for m in methods))
    if has_passkey:  # a second factor in a password reset (not offered among codes at sign-in)
        kinds.append("passkey")
    if codes_left:
        kinds.append("recovery_code")
    journey.data["methods"] = kinds
    if reset_ready:
        journey.data["mfa_reset_ready"] = True
    if reset_pending:  # a real second factor at this sign-in cancels it (finish.py)
        journey.data["mfa_reset_pending"] = True


def _lang(request) -> str:
    from govsignin.web.templating import pick_language

    return pick_language(request)


# --- Another second factor at sign-in -------------------------------------------------------

METHOD_LABELS = {
    "auth_app": N_("Authenticator app"),
    "sms": N_("Text message"),
    "recovery_code": N_("A recovery code"),
}


async def how_do_you_want_security_codes(request):
    page = await open_page(request, State.MFA_CHOICE)
    if not isinstance(page, Page):
        return page
    journey = page.journey
    methods = [m for m in journey.data.get("methods", []) if m in METHOD_LABELS]  # ways to get a code
    phone = await sms_number(page.services, journey.user_id) if "sms" in methods else None
    context = dict(methods=methods, labels=METHOD_LABELS, phone_hint=phone[-3:] if phone else None)
    if request.method == "GET":
        return page.render(request, T + "choose-method.html", **context)
    choice = page.form.get("method", "")
    if choice not in methods:
        return page.render(request, T + "choose-method.html", status=400,
                           error=_error("method", N_("Select how you want to get a security code")), **context)
    event = {"auth_app": Event.AUTH_APP_CHOSEN, "sms": Event.SMS_CHOSEN, "recovery_code": Event.RECOVERY_CODE_CHOSEN}[choice]
    journey.data.pop("sms_sent", None)
    return await advance(page, event)


async def _send_sms_code(services, journey, purpose: str, request, resend: bool = False) -> Refusal | None:
    """Send a code to the account's phone (this journey has proven the password or the mailbox,
    so re-sends count per account too); or the limit that refused it."""
    phone = await sms_number(services, journey.user_id)
    if phone is None:
        return None
    issued = await OneTimeCodes.of(services).issue(
        purpose, journey.user_id, scope=journey.id, resend=resend, journey=journey.id, account=journey.user_id,
        destination=phone, channel="sms", ip=client_ip(request),
    )
    if issued.blocked:
        return issued.refused
    await services.messages.send_sms(phone, "reset-password-sms-code", {"code": issued.code}, _lang(request))
    journey.data["sms_sent"] = True
    await services.journeys.save(journey)
    return None


async def _sms_code_page(request, page: Page, purpose: str, state: str):
    services, journey = page.services, page.journey
    phone = await sms_number(services, journey.user_id)
    context = dict(action=f"/{state}", phone_hint=phone[-3:] if phone else "", reset=state == State.RESET_SMS,
                   recovery_codes="recovery_code" in journey.data.get("methods", []))
    if request.method == "GET":
        if not journey.data.get("sms_sent"):
            if await _send_sms_code(services, journey, purpose, request) is Refusal.SMS_BUDGET:
                return cannot_send_sms_page(request)
        return page.render(request, T + "enter-sms-code.html", **context)
    if page.form.get("resend"):
        if blocked := await _send_sms_code(services, journey, purpose, request, resend=True):
            if blocked is Refusal.SMS_BUDGET:
                return cannot_send_sms_page(request)
            return page.render(request, T + "message.html", heading=N_("You asked to resend the security code too many times"),
                               paragraphs=[N_("You can try again in 2 hours.")])
        return page.render(request, T + "enter-sms-code.html", sent_again=True, **context)
    code = page.form.get("code", "").replace(" ", "")
    if problem := _six_digits(code):
        return page.render(request, T + "enter-sms-code.html", status=400, error=_error("code", problem), **context)
    result = await OneTimeCodes.of(services).verify(purpose, journey.user_id, code, scope=journey.id)
    if result is Verified.OK:
        await services.audit.record(EventTag.AuthAppCodeSuccess, user_id=journey.user_id, request=request, method="sms")
        return await advance(page, Event.RESET_MFA_VERIFIED if state == State.RESET_SMS else Event.MFA_CODE_VERIFIED,
                             method="sms")
    await services.audit.record(EventTag.AuthAppCodeFailure, user_id=journey.user_id, request=request, method="sms")
    if result is Verified.BLOCKED:
        return await advance(page, Event.CODE_LOCKED)  # the account's shared block, in a reset too
    return page.render(request, T + "enter-sms-code.html", status=400, error=_error("code", WRONG_CODE), **context)


async def enter_recovery_code(request):
    page = await open_page(request, State.ENTER_RECOVERY_CODE)
    if not isinstance(page, Page):
        return page
    return await _recovery_code_page(request, page, State.ENTER_RECOVERY_CODE)


async def _recovery_code_page(request, page: Page, state: str):
    """A recovery code as the second factor. Wrong codes count on the account's "code" counter,
    shared with app and text codes at sign-in and in a reset alike, so switching methods or
    pages gives no extra guesses."""
    services, journey = page.services, page.journey
    context = dict(action=f"/{state}", sign_in=state == State.ENTER_RECOVERY_CODE)
    if request.method == "GET":
        return page.render(request, T + "enter-recovery-code.html", **context)
    code = page.form.get("code", "").strip()
    problem = None
    if not code:
        problem = N_("Enter a recovery code")
    elif not looks_like_recovery_code(code):
        problem = N_("Enter the recovery code as it was shown to you, like abcde-fghij")
    if problem:
        return page.render(request, T + "enter-recovery-code.html", status=400, error=_error("code", problem), **context)
    sign_in = state == State.ENTER_RECOVERY_CODE
    locked_event = Event.CODE_LOCKED
    attempt = await services.lockouts.attempt("code", account(journey.user_id))
    if attempt.blocked:
        return await advance(page, locked_event)
    if await use_recovery_code(services, journey.user_id, code):
        await attempt.succeeded()
        await services.audit.record(EventTag.RecoveryCodeUsed, user_id=journey.user_id, request=request)
        await _tell_owner_recovery_code_used(services, journey.user_id, request)
        return await advance(page, Event.MFA_CODE_VERIFIED if sign_in else Event.RESET_MFA_VERIFIED,
                             method="recovery_code")
    await services.audit.record(EventTag.RecoveryCodeFailure, user_id=journey.user_id, request=request)
    if await attempt.failed():
        await services.audit.record(EventTag.CodeLockout, user_id=journey.user_id, request=request)
        return await advance(page, locked_event)
    return page.render(
        request, T + "enter-recovery-code.html", status=400, **context,
        error=_error("code", N_("The recovery code you entered is not correct or has already been used, try again")),
    )


async def _tell_owner_recovery_code_used(services, user_id: str, request) -> None:
    """A recovery code stands in for the second factor: the owner hears of each use, at the
    account's current address, with how many codes are left."""
    user = await services.accounts.get(user_id)
    if user is not None:
        await services.messages.send_email(
            user.email, "recovery-code-used",
            {"time": utcnow().strftime("%H:%M on %d %B %Y (UTC)"), "left": await recovery_codes_left(services, user_id)},
            _lang(request))


async def _address_still_the_accounts(services, journey) -> bool:
    """Whether the address this journey named the account by is still the account's. Codes and
    notices go to the account's current address only: a journey started before the owner changed
    it must not send codes there nor accept codes from there, so it starts again. (The account is
    read whether or not one was named, so the page takes the same time either way.)"""
    user = await services.accounts.get(journey.user_id or "")
    return journey.user_id is None or (user is not None and user.email == normalise_email(journey.email or ""))


# --- Forgotten password ------------------------------------------------------------------------

async def reset_password_request(request):
    page = await open_page(request, State.RESET_REQUEST)
    if not isinstance(page, Page):
        return page
    if request.method == "GET":
        return page.render(request, T + "reset-password-request.html", email=page.journey.email)
    return await _send_reset_code(request, page)


async def _send_reset_code(request, page: Page, resend: bool = False):
    """Send the email code, only if the account exists; the page says the same either way, and
    both branches do the same work: the same counters, a code issued, and a queue row (`withhold`
    when there is no account: written, never sent). Delivery happens after the response.
    Requests count per journey (6, then 15 minutes), never per address alone, so a stranger
    cannot stop the owner's reset; the per-destination daily cap protects the mailbox."""
    services, journey = page.services, page.journey
    if not await _address_still_the_accounts(services, journey):
        return expired(request, services)
    per_journey = f"journey:{journey.id}"
    if await services.lockouts.is_blocked("reset_request", per_journey):
        return await advance(page, Event.RESET_REQUESTS_EXCEEDED)
    await services.lockouts.fail("reset_request", per_journey)  # the 6th request sets the block
    issued = await OneTimeCodes.of(services).issue(
        "reset-password-email", journey.email, scope=journey.id, journey=journey.id,
        destination=journey.email, ip=client_ip(request),
    )
    if issued.blocked:
        return await advance(page, Event.RESET_REQUESTS_EXCEEDED)
    await services.messages.send_email(journey.email, "reset-password-code", {"code": issued.code}, _lang(request),
                                       withhold=not journey.user_id)
    await services.audit.record(EventTag.PasswordResetRequested, user_id=journey.user_id, request=request)
    if resend:
        return page.render(request, T + "check-email.html", email=journey.email, action=f"/{State.RESET_CHECK_EMAIL}",
                           sent_again=True, resend=True)
    return await advance(page, Event.RESET_CODE_SENT)


async def reset_password_check_email(request):
    page = await open_page(request, State.RESET_CHECK_EMAIL)
    if not isinstance(page, Page):
        return page
    services, journey = page.services, page.journey
    context = dict(email=journey.email, action=f"/{State.RESET_CHECK_EMAIL}", resend=True)
    if request.method == "GET":
        return page.render(request, T + "check-email.html", **context)
    if page.form.get("resend"):
        return await _send_reset_code(request, page, resend=True)
    code = page.form.get("code", "").replace(" ", "")
    if problem := _six_digits(code):
        return page.render(request, T + "check-email.html", status=400, error=_error("code", problem), **context)
    if not await _address_still_the_accounts(services, journey):
        return expired(request, services)
    result = await OneTimeCodes.of(services).verify("reset-password-email", journey.email, code, scope=journey.id)
    if result is Verified.OK and journey.user_id:
        journey.data.pop("sms_sent", None)
        return await advance(page, Event.RESET_EMAIL_VERIFIED)
    if result is Verified.BLOCKED:
        return await advance(page, Event.RECOVERY_LOCKED)
    return page.render(request, T + "check-email.html", status=400, error=_error("code", WRONG_CODE), **context)


async def reset_password_2fa_auth_app(request):
    page = await open_page(request, State.RESET_AUTH_APP)
    if not isinstance(page, Page):
        return page
    services, journey = page.services, page.journey
    context = dict(recovery_codes="recovery_code" in journey.data.get("methods", []))
    if request.method == "GET":
        return page.render(request, T + "reset-2fa-auth-app.html", **context)
    code = page.form.get("code", "").replace(" ", "")
    if problem := _six_digits(code):
        return page.render(request, T + "reset-2fa-auth-app.html", status=400, error=_error("code", problem), **context)
    # The account's shared code counter: a block from sign-in holds here too, and the reverse.
    attempt = await services.lockouts.attempt("code", account(journey.user_id))
    if attempt.blocked:
        return await advance(page, Event.CODE_LOCKED)
    if await services.accounts.check_auth_app_code(journey.user_id, code):
        await attempt.succeeded()
        return await advance(page, Event.RESET_MFA_VERIFIED, method="auth_app")
    await services.audit.record(EventTag.AuthAppCodeFailure, user_id=journey.user_id, request=request)
    if await attempt.failed():
        return await advance(page, Event.CODE_LOCKED)
    return page.render(request, T + "reset-2fa-auth-app.html", status=400, error=_error("code", WRONG_CODE), **context)


async def reset_password_2fa_sms(request):
    page = await open_page(request, State.RESET_SMS)
    if not isinstance(page, Page):
        return page
    return await _sms_code_page(request, page, "reset-password-sms", State.RESET_SMS)


async def reset_password_recovery_code(request):
    page = await open_page(request, State.RESET_RECOVERY_CODE)
    if not isinstance(page, Page):
        return page
    return await _recovery_code_page(request, page, State.RESET_RECOVERY_CODE)


async def reset_password_passkey(request):
    """The account's passkey as the second factor of a password reset (py_webauthn verifies it,
    with user verification); it must be a passkey of the journey's account. Failures count on
    the same rule as the other factors in a reset: 6, then 15 minutes."""
    page = await open_page(request, State.RESET_PASSKEY)
    if not isinstance(page, Page):
        return page
    services, journey = page.services, page.journey
    passkeys = Passkeys.of(services)
    scope = f"reset:{journey.id}"

    async def show(status=200, error=None):
        options = await passkeys.authentication_options(scope=scope)
        return page.render(request, T + "reset-passkey.html", status=status, options_json=options, error=error,
                           recovery_codes="recovery_code" in journey.data.get("methods", []))

    if request.method == "GET":
        return await show()
    if await services.lockouts.is_blocked("registering", journey.user_id):
        return await advance(page, Event.RECOVERY_LOCKED)
    try:
        proven = await passkeys.verify_authentication(scope=scope, response_json=page.form.get("credential", ""))
        if proven.user_id != journey.user_id or not proven.user_verified:
            raise PasskeyError("not a passkey of this account, or no user verification")
    except PasskeyError as exc:
        await services.audit.record(EventTag.PasskeySignInFailure, user_id=journey.user_id, request=request,
                                    reason=str(exc)[:200], where="reset")
        if await services.lockouts.fail("registering", journey.user_id):
            return await advance(page, Event.RECOVERY_LOCKED)
        return await show(400, _error("passkey", N_("We could not check your passkey. Try again")))
    await services.lockouts.clear("registering", journey.user_id)
    return await advance(page, Event.RESET_MFA_VERIFIED, method="passkey")


async def reset_password(request):
    page = await open_page(request, State.RESET_PASSWORD)
    if not isinstance(page, Page):
        return page
    services, journey = page.services, page.journey
    if request.method == "GET":
        return page.render(request, T + "reset-password.html")
    password, confirm = page.form.get("password", ""), page.form.get("confirm-password", "")
    error = None
    if problem := password_problem(password, confirm):  # the same rules as account creation
        error = _error(*problem)
    else:
        user = await services.accounts.get(journey.user_id)
        if await services.accounts.check_password(user, password):
            error = _error("password", N_("You are already using that password. Enter a different password"))
    if error:
        return page.render(request, T + "reset-password.html", status=400, error=error)
    new_hash = await services.accounts.passwords.hash(password)
    async with services.sessionmaker() as db, db.begin():
        await db.execute(
            update(PasswordCredential).where(PasswordCredential.user_id == journey.user_id)
            .values(hash=new_hash, updated_at=utcnow())
        )
    await block_mfa_change(services, journey.user_id)
    await services.lockouts.lift("password", journey.user_id)  # a reset unblocks, the long-window cap too
    # Sessions and journeys signed in with the old password end everywhere; this journey, which
    # set the new one, goes on at the new generation.
    await services.sessions.end_all_for_user(journey.user_id)
    journey.generation = await services.sessions.generation(journey.user_id)
    await services.messages.send_email(  # the account's address now
        user.email, "password-changed", {"time": utcnow().strftime("%H:%M on %d %B %Y (UTC)")}, _lang(request)
    )
    await services.audit.record(EventTag.PasswordReset, user_id=journey.user_id, request=request)
    return await advance(page, Event.PASSWORD_RESET)


# --- A lost second factor -------------------------------------------------------------------------

async def cannot_use_security_codes(request):
    page = await open_page(request, State.LOST_START)
    if not isinstance(page, Page):
        return page
    services, journey = page.services, page.journey
    has_codes = "recovery_code" in journey.data.get("methods", [])
    blocked = await mfa_change_blocked_until(services, journey.user_id) if journey.user_id else None
    wait_hours = services.settings.mfa_reset_wait_seconds // 3600
    context = dict(has_codes=has_codes, wait_hours=wait_hours, email=journey.email)
    if blocked is not None:
        return page.render(request, T + "cannot-change.html", until=blocked.strftime("%H:%M on %d %B %Y (UTC)"))
    if request.method == "GET":
        return page.render(request, T + "cannot-use-security-codes.html", **context)
    choice = page.form.get("how", "")
    if choice == "recovery_code" and has_codes:
        journey.data["changing_mfa"] = True
        return await advance(page, Event.RECOVERY_CODE_CHOSEN)
    if choice != "email":
        return page.render(request, T + "cannot-use-security-codes.html", status=400,
                           error=_error("how", N_("Select how you want to change how you get security codes")), **context)
    if not await _address_still_the_accounts(services, journey):
        return expired(request, services)
    issued = await OneTimeCodes.of(services).issue("mfa-reset-email", journey.email, scope=journey.id,
                                                   journey=journey.id, destination=journey.email, ip=client_ip(request))
    if issued.blocked:
        return page.render(request, T + "message.html", heading=N_("You asked to resend the security code too many times"),
                           paragraphs=[N_("You can try again in 2 hours.")])
    await services.messages.send_email(journey.email, "mfa-reset-code", {"code": issued.code}, _lang(request))
    return await advance(page, Event.LOST_EMAIL_SENT)


async def change_security_codes_check_email(request):
    page = await open_page(request, State.LOST_CHECK_EMAIL)
    if not isinstance(page, Page):
        return page
    services, journey = page.services, page.journey
    context = dict(email=journey.email, action=f"/{State.LOST_CHECK_EMAIL}")
    if request.method == "GET":
        return page.render(request, T + "check-email.html", **context)
    code = page.form.get("code", "").replace(" ", "")
    if problem := _six_digits(code):
        return page.render(request, T + "check-email.html", status=400, error=_error("code", problem), **context)
    if not await _address_still_the_accounts(services, journey):
        return expired(request, services)
    result = await OneTimeCodes.of(services).verify("mfa-reset-email", journey.email, code, scope=journey.id)
    if result is Verified.BLOCKED:
        return await advance(page, Event.RECOVERY_LOCKED)
    if result is not Verified.OK or not (journey.user_id and journey.password_verified):
        return page.render(request, T + "check-email.html", status=400, error=_error("code", WRONG_CODE), **context)
    req, token = await request_mfa_reset(services, journey.user_id)
    when = req.available_at.strftime("%H:%M on %d %B %Y (UTC)")
    if token:  # the notice, at once, on every way the owner has: "if this was not you"
        await _tell_owner_reset_requested(services, journey.user_id, when, token, _lang(request))
        await services.audit.record(EventTag.MfaResetRequested, user_id=journey.user_id, request=request)
    journey.data["available_at"] = when
    return await advance(page, Event.LOST_EMAIL_VERIFIED)


async def _tell_owner_reset_requested(services, user_id: str, when: str, token: str, lang: str) -> None:
    """The account's current address and every phone it has (the phone may be what was lost,
    but the owner may still have it when the request is not theirs)."""
    user = await services.accounts.get(user_id)
    personalisation = {"time": when, "cancel_link": services.settings.endpoint(f"/cancel-security-code-change?token={token}"),
                       "cancel_code": token}
    await services.messages.send_email(user.email, "mfa-reset-requested", personalisation, lang)
    phones = {phone for _, kind, _, phone in (await services.accounts.sign_in_facts(user_id=user_id)).methods
              if kind == "sms" and phone}
    if user.phone_number:
        phones.add(user.phone_number)
    for phone in sorted(phones):
        await services.messages.send_sms(phone, "mfa-reset-requested-sms", personalisation, lang)


async def change_security_codes_requested(request):
    page = await open_page(request, State.LOST_REQUESTED)
    if not isinstance(page, Page):
        return page
    return page.render(request, T + "change-requested.html", when=page.journey.data.get("available_at", ""),
                       email=page.journey.email)


async def change_security_codes(request):
    """Set up a new authenticator app: after a recovery code, or once the waiting period passed."""
    page = await open_page(request, State.CHANGE_CODES)
    if not isinstance(page, Page):
        return page
    services, journey = page.services, page.journey
    # The table's precondition read the journey; the waiting period is read again here, fresh.
    allowed = journey.second_factor_verified or await mfa_reset_ready(services, journey.user_id)
    if not allowed:
        return expired(request, services)
    blocked = await mfa_change_blocked_until(services, journey.user_id)
    if blocked is not None:
        return page.render(request, T + "cannot-change.html", until=blocked.strftime("%H:%M on %d %B %Y (UTC)"))
    box = services.accounts.box
    if not journey.data.get("new_totp"):
        journey.data["new_totp"] = box.encrypt(pyotp.random_base32())
        await services.journeys.save(journey)
    secret = box.decrypt(journey.data["new_totp"])
    uri = pyotp.TOTP(secret).provisioning_uri(name=journey.email or "", issuer_name=services.settings.service_name)
    import segno  # QR codes: imported when one is drawn
    context = dict(secret=secret, qr=segno.make(uri, error="m").svg_data_uri(scale=4))
    if request.method == "GET":
        return page.render(request, T + "change-security-codes.html", **context)
    code = page.form.get("code", "").replace(" ", "")
    problem = _six_digits(code)
    if problem is None:  # the new app's code: registering something new, counted per journey
        attempt = await services.lockouts.attempt("registering", journey_subject(journey.id))
        if attempt.blocked or not await services.accounts.check_totp(journey.user_id, secret, code, refuse_used=False):
            if attempt.blocked or await attempt.failed():
                return page.render(request, T + "message.html", heading=N_("You entered the wrong security code too many times"),
                                   paragraphs=[N_("You can try again in 15 minutes.")])
            problem = WRONG_CODE
        else:
            await attempt.succeeded()
    if problem:
        return page.render(request, T + "change-security-codes.html", status=400, error=_error("code", problem), **context)
    if journey.second_factor_verified:  # a recovery code: any pending request is moot
        await complete_mfa_reset(services, journey.user_id)
    elif not await claim_mfa_reset(services, journey.user_id):  # the matured request, used once
        return expired(request, services)
    await replace_second_factors(services, journey.user_id, totp_secret=secret)
    await services.lockouts.lift("code", journey.user_id)  # new factors: the old ones' block ends
    codes = await generate_recovery_codes(services, journey.user_id)
    journey.data.pop("new_totp", None)
    journey.data["new_codes"] = box.encrypt(json.dumps(codes))
    journey.data["changing_mfa"] = False
    journey.mfa_kind = "auth_app"
    await services.messages.send_email(
        (await services.accounts.get(journey.user_id)).email, "security-codes-changed",
        {"time": utcnow().strftime("%H:%M on %d %B %Y (UTC)"), "change": "a new authenticator app"}, _lang(request),
    )
    await services.audit.record(EventTag.MfaChanged, user_id=journey.user_id, request=request)
    return await advance(page, Event.NEW_METHOD_SET, method="auth_app")


async def change_codes_confirmed(request):
    page = await open_page(request, State.CODES_CHANGED)
    if not isinstance(page, Page):
        return page
    journey = page.journey
    if request.method == "POST":
        journey.data.pop("new_codes", None)  # shown once
        return await advance(page, Event.CONTINUE)
    raw = journey.data.get("new_codes")
    codes = json.loads(page.services.accounts.box.decrypt(raw)) if raw else []
    return page.render(request, T + "codes-changed.html", codes=codes)


# --- Dead ends ------------------------------------------------------------------------------------

def _message_page(state: str, heading: str, paragraphs: list[str]):
    async def view(request):
        page = await open_page(request, state)
        if not isinstance(page, Page):
            return page
        return page.render(request, T + "message.html", heading=heading, paragraphs=paragraphs)

    return view


reset_too_many = _message_page(
    State.RESET_TOO_MANY, N_("You tried to reset your password too many times"), [N_("You can try again in 15 minutes.")]
)
recovery_code_locked = _message_page(
    State.RECOVERY_CODE_LOCKED, N_("You entered the wrong security code too many times"),
    [N_("You can try again in 15 minutes.")],
)


# --- The notice email's cancel link (no journey: the token is the secret) ----------------------------

async def cancel_security_code_change(request):
    """GET shows a button; POST (with the token from the link, which a third party cannot know,
    so it also serves as the anti-forgery token) cancels the pending change."""
    services = request.app.state.services
    if request.method == "GET":
        token = request.query_params.get("token", "")[:100]
        return services.templates.render(request, T + "cancel.html", token=token)
    from govsignin.web.forms import read_form
    from govsignin.oidc.params import ParameterError

    try:
        form = await read_form(request)
    except ParameterError:
        return services.templates.render(request, T + "cancel.html", status=400, token="",
                                         error=_error("token", N_("Enter the code from the email")))
    user_id = await cancel_mfa_reset(services, form.get("token", ""))
    if user_id is None:
        return services.templates.render(request, T + "cancel.html", status=400, token="",
                                         error=_error("token", N_("This link has expired or was already used")))
    await services.audit.record(EventTag.MfaResetCancelled, user_id=user_id, request=request)
    return services.templates.render(request, T + "cancelled.html")


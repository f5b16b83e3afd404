"""The create-account pages, and /enter-code (a text-message code at sign-in).

Nothing is written to the accounts tables until the second factor is proved: the journey keeps
the verified email, the password's argon2id hash and the factor being set up in
`journey.data["create"]`, and `accounts.registration.create_account` writes them in one
transaction (see flows/create_account.py for the page order).

Account existence is never revealed on these pages. One Login sends someone who types an
existing account's email at /enter-email-create to /enter-password-account-exists, which tells
anyone who tries that the address has an account. We show the same /check-your-email page
either way: a new address gets a code; an existing one gets an email saying someone tried to
create an account with it (and how to sign in), and no code, so no code entered there can
succeed. Only the owner of the mailbox learns the account exists.
"""

from __future__ import annotations

import hmac
import time

import pyotp

from govsignin import records
from govsignin.accounts.codes import OneTimeCodes, Verified
from govsignin.accounts.lockout import account, address, journey as journey_subject
from govsignin.accounts.passkeys import PasskeyError, Passkeys, new_user_handle
from govsignin.accounts.password_policy import password_problem
from govsignin.accounts.phone import parse_mobile, redact
from govsignin.accounts.registration import SecondFactor, create_account, sms_phone
from govsignin.accounts.service import AccountExists, normalise_email
from govsignin.audit.tags import EventTag
from govsignin.journeys.flows.create_account import Event, State
from govsignin.journeys.machine import setting_up_factor
from govsignin.journeys.pages.common import Page, advance, expired, go, open_page
from govsignin.journeys.pages.sign_in import EMAIL
from govsignin.messaging.limits import Refusal, cannot_send_sms_page, sms_country_problem
from govsignin.ratelimit import client_ip
from govsignin.web.i18n import N_
from govsignin.web.templating import pick_language

T = "journeys/create/"
WRONG_CODE = N_("The security code you entered is not correct, or may have expired, try again")


def _error(field: str, text: str) -> dict:
    return {"field": field, "text": text}


def _data(page: Page) -> dict:
    return page.journey.data.setdefault("create", {})


def _code_format_error(code: str) -> dict | None:
    if not code:
        return _error("code", N_("Enter the security code"))
    if not (code.isdigit() and len(code) == 6):
        return _error("code", N_("Enter the security code using only 6 digits"))
    return None


def _personalisation(services, code: str | None = None) -> dict:
    values = {"service": services.settings.service_name}
    if code is not None:
        values["code"] = code
    return values


# --- /sign-in-or-create's "Create an account" is handled in pages/sign_in.py -----------------


async def enter_email_create(request):
    page = await open_page(request, State.ENTER_EMAIL_CREATE)
    if not isinstance(page, Page):
        return page
    if request.method == "GET":
        return page.render(request, T + "enter-email-create.html", email=_data(page).get("email", ""))
    email = page.form.get("email", "").strip()
    error = None
    if not email:
        error = _error("email", N_("Enter your email address"))
    elif len(email) > 256 or not EMAIL.match(email):
        error = _error("email", N_("Enter an email address in the correct format, like name@example.com"))
    if error:
        return page.render(request, T + "enter-email-create.html", status=400, email=email, error=error)
    email = normalise_email(email)
    # A new address starts the creation afresh, with nothing proven for any account.
    await page.services.journeys.identify(page.journey, None, email)
    page.journey.data["create"] = {"email": email}
    codes = OneTimeCodes.of(page.services)
    if await codes.is_blocked("create-email", email):
        return await advance(page, Event.CODE_ENTRY_BLOCKED)
    blocked = await _send_email_code(request, page, codes, resend=False)
    return await advance(page, Event.CODE_REQUESTS_BLOCKED if blocked else Event.EMAIL_CODE_SENT)


async def _send_email_code(request, page: Page, codes: OneTimeCodes, *, resend: bool) -> Refusal | None:
    """Send the code, or (existing account) the notice instead; or the limit that refused it."""
    services, journey = page.services, page.journey
    email = _data(page)["email"]
    exists = await services.accounts.by_email(email) is not None
    issued = await codes.issue("create-email", email, scope=journey.id, resend=resend, journey=journey.id,
                               destination=email, ip=client_ip(request))
    if issued.blocked:
        return issued.refused
    lang = pick_language(request)
    if exists:
        await codes.discard("create-email", email, scope=journey.id)  # no code can succeed
        await services.messages.send_email(email, "account-exists-notice", _personalisation(services), lang)
    else:
        await services.messages.send_email(email, "email-code-create", _personalisation(services, issued.code), lang)
    return None


async def check_your_email(request):
    page = await open_page(request, State.CHECK_YOUR_EMAIL)
    if not isinstance(page, Page):
        return page
    data = _data(page)
    email = data["email"]
    response = await _code_page(
        request, page, State.CHECK_YOUR_EMAIL, T + "check-your-email.html", {"email": email}, _send_email_code,
        lambda codes, code: codes.verify("create-email", email, code, scope=page.journey.id),
    )
    if response is not None:
        return response
    data["email_verified"] = True
    return await advance(page, Event.EMAIL_VERIFIED)


async def _code_page(request, page, state, template, context, send, verify):
    """What every "we sent you a code" page of account creation does: GET shows it (saying once
    that a new code was sent), "resend" sends again (or blocks), a posted code is checked.
    Returns the response to send, or None once the code is right."""
    data = _data(page)
    if request.method == "GET":
        resent = data.pop("resent", False)
        if resent:
            await page.services.journeys.save(page.journey)
        return page.render(request, template, resent=resent, **context)
    codes = OneTimeCodes.of(page.services)
    if page.form.get("action") == "resend":
        if blocked := await send(request, page, codes, resend=True):
            if blocked is Refusal.SMS_BUDGET:
                return cannot_send_sms_page(request)
            return await advance(page, Event.CODE_REQUESTS_BLOCKED)
        data["resent"] = True
        await page.services.journeys.save(page.journey)
        return go(state)
    code = page.form.get("code", "").replace(" ", "")
    if error := _code_format_error(code):
        return page.render(request, template, status=400, error=error, **context)
    result = await verify(codes, code)
    if result is Verified.BLOCKED:
        return await advance(page, Event.CODE_ENTRY_BLOCKED)
    if result is Verified.WRONG:
        return page.render(request, template, status=400, error=_error("code", WRONG_CODE), **context)
    return None


async def create_password(request):
    page = await open_page(request, State.CREATE_PASSWORD)
    if not isinstance(page, Page):
        return page
    template, email = T + "create-password.html", _data(page)["email"]
    if request.method == "GET":
        return page.render(request, template, email=email)
    password = page.form.get("password", "")
    problem = password_problem(password, page.form.get("confirm-password", ""))
    if problem:
        return page.render(request, template, status=400, email=email, error=_error(*problem))
    _data(page)["password_hash"] = await page.services.accounts.passwords.hash(password)
    return await advance(page, Event.PASSWORD_CREATED)


CHOICES = {"passkey": Event.PASSKEY_CHOSEN, "sms": Event.SMS_CHOSEN, "auth_app": Event.AUTH_APP_CHOSEN}


async def get_security_codes(request):
    page = await open_page(request, State.GET_SECURITY_CODES)
    if not isinstance(page, Page):
        return page
    template = T + "get-security-codes.html"
    if setting_up_factor(page.journey):  # an existing account's first factor: its own address
        _data(page).setdefault("email", page.journey.email)
    if request.method == "GET":
        return page.render(request, template, choice=_data(page).get("choice"))
    choice = page.form.get("choice", "")
    if choice not in CHOICES:
        return page.render(request, template, status=400,
                           error=_error("choice-sms", N_("Select how you want to get security codes")))
    _data(page)["choice"] = choice
    return await advance(page, CHOICES[choice])


# --- Text message --------------------------------------------------------------------------


async def enter_phone_number(request):
    page = await open_page(request, State.ENTER_PHONE_NUMBER)
    if not isinstance(page, Page):
        return page
    template, data = T + "enter-phone-number.html", _data(page)
    if request.method == "GET":
        return page.render(request, template, phone=data.get("phone_entered", ""))
    entered = page.form.get("phone", "")
    phone, problem = parse_mobile(entered)
    if not problem:
        problem = sms_country_problem(page.services.settings, phone)
    if problem:
        return page.render(request, template, status=400, phone=entered, error=_error("phone", problem))
    data["phone"], data["phone_entered"] = phone, entered.strip()
    codes = OneTimeCodes.of(page.services)
    if await codes.is_blocked("create-sms", data["email"]):
        return await advance(page, Event.CODE_ENTRY_BLOCKED)
    if blocked := await _send_sms_code(request, page, codes, resend=False):
        if blocked is Refusal.SMS_BUDGET:
            return cannot_send_sms_page(request)
        return await advance(page, Event.CODE_REQUESTS_BLOCKED)
    return await advance(page, Event.PHONE_CODE_SENT)


async def _send_sms_code(request, page: Page, codes: OneTimeCodes, *, resend: bool) -> Refusal | None:
    """Send the code; or the limit that refused it."""
    data = _data(page)
    issued = await codes.issue("create-sms", data["email"], scope=f"{page.journey.id}:{data['phone']}", resend=resend,
                               journey=page.journey.id, destination=data["phone"], channel="sms", ip=client_ip(request))
    if issued.blocked:
        return issued.refused
    await page.services.messages.send_sms(
        data["phone"], "sms-code-create", _personalisation(page.services, issued.code), pick_language(request)
    )
    return None


async def check_your_phone(request):
    page = await open_page(request, State.CHECK_YOUR_PHONE)
    if not isinstance(page, Page):
        return page
    data = _data(page)
    response = await _code_page(
        request, page, State.CHECK_YOUR_PHONE, T + "check-your-phone.html", {"phone_end": redact(data["phone"])},
        _send_sms_code,
        lambda codes, code: codes.verify("create-sms", data["email"], code, scope=f"{page.journey.id}:{data['phone']}"),
    )
    if response is not None:
        return response
    return await _create(request, page, SecondFactor("sms", phone=data["phone"]))


# --- Authenticator app -----------------------------------------------------------------------


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


async def setup_authenticator_app(request):
    page = await open_page(request, State.SETUP_AUTH_APP)
    if not isinstance(page, Page):
        return page
    services, data = page.services, _data(page)
    if not data.get("totp_secret"):
        data["totp_secret"] = pyotp.random_base32()  # 160 bits
        await services.journeys.save(page.journey)
    secret = data["totp_secret"]
    uri = pyotp.TOTP(secret).provisioning_uri(name=data["email"], issuer_name=services.settings.service_name)
    import segno  # QR codes: imported when one is drawn
    qr = segno.make(uri, error="m").svg_inline(scale=4, border=2, title="QR code for your authenticator app")

    def show(status=200, error=None):
        return page.render(request, T + "setup-authenticator-app.html", status=status, qr_svg=qr,
                           secret_grouped=_grouped(secret), error=error)

    if request.method == "GET":
        return show()
    code = page.form.get("code", "").replace(" ", "")
    if error := _code_format_error(code):
        return show(400, error)
    # Per journey and per address being registered: never an existing account's counters.
    attempt = await services.lockouts.attempt("registering", journey_subject(page.journey.id), address(data["email"]))
    if attempt.blocked:
        return await advance(page, Event.CODE_ENTRY_BLOCKED)
    step = _totp_step(secret, code, services.settings.totp_window)
    if step is None:
        if await attempt.failed():
            return await advance(page, Event.CODE_ENTRY_BLOCKED)
        return show(400, _error("code", WRONG_CODE))
    await attempt.succeeded()
    return await _create(request, page, SecondFactor("auth_app", totp_secret=secret), totp_step=step)


def _totp_step(secret: str, code: str, window: int) -> int | None:
    totp = pyotp.TOTP(secret)
    now = int(time.time() // totp.interval)
    for step in range(now - window, now + window + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


# --- Passkey ---------------------------------------------------------------------------------


async def create_passkey(request):
    page = await open_page(request, State.CREATE_PASSKEY)
    if not isinstance(page, Page):
        return page
    services, data = page.services, _data(page)
    passkeys = Passkeys.of(services)
    if not data.get("user_handle"):
        data["user_handle"] = new_user_handle()
        await services.journeys.save(page.journey)

    async def show(status=200, error=None):
        options = await passkeys.registration_options(
            scope=page.journey.id, user_handle=data["user_handle"], email=data["email"]
        )
        return page.render(request, T + "create-passkey.html", status=status, options_json=options, error=error)

    if request.method == "GET":
        return await show()
    try:
        new = await passkeys.verify_registration(scope=page.journey.id, response_json=page.form.get("credential", ""))
    except PasskeyError:
        return await show(400, _error("create-passkey", N_(
            "Your passkey could not be created. Try again, or go back and choose another way to get security codes"
        )))
    return await _create(request, page, SecondFactor("passkey", passkey=new))


# --- The account, written once ---------------------------------------------------------------


async def _create(request, page: Page, factor: SecondFactor, totp_step: int | None = None):
    services, journey, data = page.services, page.journey, _data(page)
    if setting_up_factor(journey):  # not a new account: the journey's own, password proven
        from govsignin.journeys.pages.first_factor import write_first_factor

        return await write_first_factor(request, page, factor, totp_step)
    try:
        user = await create_account(services, email=data["email"], password_hash=data["password_hash"], factor=factor)
    except AccountExists:  # made meanwhile in another journey: this one cannot finish
        await services.journeys.delete(journey)
        return expired(request, services, status=409)
    if totp_step is not None:  # the code just used cannot be replayed at sign-in
        window = services.settings.totp_window
        await services.store.add(f"totp-used:{user.id}:{totp_step}", "1", 30 * (2 * window + 2))
    await services.journeys.identify(journey, user.id, user.email, factor.kind)
    journey.data["create"] = {"email": user.email, "done": True}  # drop the hash and secrets
    if factor.kind == "passkey":  # a way back in if the passkey is lost (shown once, on the next page)
        from govsignin.accounts.recovery_codes import generate_recovery_codes

        codes = await generate_recovery_codes(services, user.id)
        journey.data["new_codes"] = services.accounts.box.encrypt(records.dumps(codes))
    await services.audit.record(EventTag.AccountCreated, user_id=user.id, request=request, via="journey",
                                second_factor=factor.kind)
    await services.messages.send_email(user.email, "account-created", _personalisation(services), pick_language(request))
    return await advance(page, Event.ACCOUNT_WRITTEN, method=factor.kind)


async def account_created(request):
    page = await open_page(request, State.ACCOUNT_CREATED)
    if not isinstance(page, Page):
        return page
    if request.method == "POST":
        page.journey.data.pop("new_codes", None)  # shown once
        return await advance(page, Event.CONTINUED)
    raw = page.journey.data.get("new_codes")
    codes = records.loads(page.services.accounts.box.decrypt(raw)) if raw else None
    return page.render(request, T + "account-created.html", **({"codes": codes} if codes else {}))


def _dead_end(state: State, template: str):
    async def view(request):
        page = await open_page(request, state)
        if not isinstance(page, Page):
            return page
        return page.render(request, template)

    return view


code_entered_too_many = _dead_end(State.CODE_ENTERED_TOO_MANY, T + "security-code-entered-too-many-times.html")
code_requested_too_many = _dead_end(State.CODE_REQUESTED_TOO_MANY, T + "security-code-requested-too-many-times.html")


# --- /enter-code: the text-message code at sign-in ------------------------------------------


async def enter_code(request):
    page = await open_page(request, State.ENTER_SMS_CODE)
    if not isinstance(page, Page):
        return page
    services, journey = page.services, page.journey
    phone = await sms_phone(services, journey.user_id) if journey.user_id else None
    if phone is None:
        return expired(request, services)
    template, shown = "journeys/create/enter-code.html", redact(phone)
    codes = OneTimeCodes.of(services)
    if await services.lockouts.is_blocked("code", account(journey.user_id)):
        return await advance(page, Event.CODE_LOCKED)

    async def send(resend: bool) -> Refusal | None:
        issued = await codes.issue("sign-in-sms", journey.user_id, scope=journey.id, resend=resend, journey=journey.id,
                                   account=journey.user_id, destination=phone, channel="sms", ip=client_ip(request))
        if issued.blocked:
            return issued.refused
        await services.messages.send_sms(phone, "sms-code-sign-in", _personalisation(services, issued.code),
                                         pick_language(request))
        return None

    if request.method == "GET":
        resent = journey.data.pop("sms_resent", False)
        if not journey.data.get("sms_sent"):  # send on arrival, once (not at every reload)
            if blocked := await send(resend=False):
                if blocked is Refusal.SMS_BUDGET:
                    return cannot_send_sms_page(request)
                return await advance(page, Event.CODE_REQUESTS_BLOCKED)
            journey.data["sms_sent"] = True
        await services.journeys.save(journey)
        return page.render(request, template, phone_end=shown, resent=resent)
    if page.form.get("action") == "resend":
        if blocked := await send(resend=True):
            if blocked is Refusal.SMS_BUDGET:
                return cannot_send_sms_page(request)
            return await advance(page, Event.CODE_REQUESTS_BLOCKED)
        journey.data["sms_resent"] = True
        await services.journeys.save(journey)
        return go(State.ENTER_SMS_CODE)
    code = page.form.get("code", "").replace(" ", "")
    if error := _code_format_error(code):
        return page.render(request, template, status=400, phone_end=shown, error=error)
    result = await codes.verify("sign-in-sms", journey.user_id, code, scope=journey.id)
    if result is Verified.OK:
        journey.data.pop("sms_sent", None)
        return await advance(page, Event.MFA_CODE_VERIFIED, method="sms")
    if result is Verified.BLOCKED:
        await services.audit.record(EventTag.CodeLockout, user_id=journey.user_id, request=request)
        return await advance(page, Event.CODE_LOCKED)
    return page.render(request, template, status=400, phone_end=shown, error=_error("code", WRONG_CODE))

"""Recovery cannot be done with less than the account's factors: a passkey is a second factor in
a password reset, a finished lost-factor wait is single use and short-lived, and journeys send
to the account's current contact details. Each runs on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
from urllib.parse import urlencode

import httpx
import pyotp
from sqlalchemy import func, select, update

from govsignin.accounts.mfa import cancel_mfa_reset, pending_mfa_reset, request_mfa_reset
from govsignin.accounts.models import MfaMethod, MfaResetRequest
from govsignin.db.base import utcnow
from govsignin.accounts.passkeys import expected_origin
from govsignin.messaging.outbox import read_outbox
from tests.support.rp import TestRP, make_citizen, post_page, redirect_params
from tests.support.soft_passkey import SoftPasskey


async def _passkey_citizen(services):
    citizen = await make_citizen(services, totp=False)
    passkey = SoftPasskey()
    await passkey.register(services, citizen.user_id)
    async with services.sessionmaker() as db, db.begin():
        await db.execute(update(MfaMethod).where(MfaMethod.user_id == citizen.user_id).values(priority="default"))
    return citizen, passkey


async def _last_code(services, email: str) -> str:
    return (await read_outbox(services, email, last=True))[0]["personalisation"]["code"]


async def _reset_to_second_factor(client, services, rp, citizen):
    """Start a reset from the password page and pass the email code; return where it leads."""
    response = await client.get("/authorize?" + urlencode(rp.authorize_params()))
    assert response.headers["location"] == "/sign-in-or-create"
    await post_page(client, "/sign-in-or-create")
    await post_page(client, "/enter-email", email=citizen.email)
    await client.get("/enter-password")
    response = await post_page(client, "/reset-password-request")
    assert response.headers["location"] == "/reset-password-check-email"
    return await post_page(client, "/reset-password-check-email", code=await _last_code(services, citizen.email))


EXPIRED = "You need to start again"


def _options(html: str) -> dict:
    return json.loads(re.search(r'id="passkey-options">(.*?)</script>', html, re.S).group(1))


async def test_a_passkey_only_account_needs_its_passkey_to_reset_the_password(client, services):
    rp = await TestRP.create(services)
    citizen, passkey = await _passkey_citizen(services)
    response = await _reset_to_second_factor(client, services, rp, citizen)
    assert response.headers["location"] == "/reset-password-passkey"
    assert (await client.get("/reset-password")).status_code != 200  # not without the passkey
    origin = expected_origin(services.settings)

    stranger, theirs = await _passkey_citizen(services)  # a passkey, but another account's
    page = await client.get("/reset-password-passkey")
    refused = await client.post("/reset-password-passkey", data={
        "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1),
        "credential": theirs.assertion(_options(page.text), origin)})
    assert refused.status_code == 400 and "could not check your passkey" in refused.text

    page = await client.get("/reset-password-passkey")
    response = await client.post("/reset-password-passkey", data={
        "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1),
        "credential": passkey.assertion(_options(page.text), origin)})
    assert response.headers["location"] == "/reset-password"
    response = await post_page(client, "/reset-password", **{"password": "brand-new-pass-77",
                                                              "confirm-password": "brand-new-pass-77"})
    assert response.headers["location"] == "/auth-code"
    final = await client.get("/auth-code")
    token = (await rp.token(client, redirect_params(final)["code"])).json()
    assert (await rp.verify_id_token(client, token["id_token"]))["claims"]["vot"] == "Cl.Cm"


async def test_an_account_made_with_a_passkey_gets_recovery_codes_shown_once(client, services):
    from govsignin.accounts.recovery_codes import recovery_codes_left, use_recovery_code
    from tests.journeys.test_create_account import finish, to_password
    from tests.support.rp import new_email

    rp, email = await TestRP.create(services), new_email()
    params = await to_password(client, services, rp, email)
    response = await post_page(client, "/get-security-codes", choice="passkey")
    assert response.headers["location"] == "/create-passkey"
    page = await client.get("/create-passkey")
    credential = SoftPasskey().attestation(_options(page.text), expected_origin(services.settings))
    response = await client.post("/create-passkey", data={
        "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1), "credential": credential})
    assert response.headers["location"] == "/account-created"
    page = await client.get("/account-created")
    codes = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", page.text)
    assert len(codes) == 10
    assert (await finish(client, rp, params))["vot"] == "Cl.Cm"
    user = await services.accounts.by_email(email)
    assert await recovery_codes_left(services, user.id) == 10
    assert await use_recovery_code(services, user.id, codes[0])


# --- A finished lost-factor wait: single use, short-lived, cancelled by the real factor -------------

async def _to_second_factor(client, rp, citizen):
    response = await client.get("/authorize?" + urlencode(rp.authorize_params()))
    assert response.headers["location"] == "/sign-in-or-create"
    await post_page(client, "/sign-in-or-create")
    await post_page(client, "/enter-email", email=citizen.email)
    return await post_page(client, "/enter-password", password=citizen.password)


async def _request_lost_factor_change(client, services, rp, citizen):
    response = await _to_second_factor(client, rp, citizen)
    assert response.headers["location"] == "/enter-authenticator-app-code"
    await client.get("/how-do-you-want-security-codes")
    await client.get("/cannot-use-security-codes")
    response = await post_page(client, "/cannot-use-security-codes", how="email")
    assert response.headers["location"] == "/change-security-codes-check-email"
    response = await post_page(client, "/change-security-codes-check-email", code=await _last_code(services, citizen.email))
    assert response.headers["location"] == "/change-security-codes-requested"


async def _mature(services, user_id, ago: dt.timedelta = dt.timedelta(seconds=1)):
    async with services.sessionmaker() as db, db.begin():
        await db.execute(update(MfaResetRequest).where(MfaResetRequest.user_id == user_id)
                         .values(available_at=utcnow() - ago))


def _browser(app, services):
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=services.settings.issuer_url())


async def test_the_notice_goes_to_every_way_the_owner_has(client, services):
    rp = await TestRP.create(services)
    citizen = await make_citizen(services, phone="+447700900123")
    await _request_lost_factor_change(client, services, rp, citizen)
    email = (await read_outbox(services, citizen.email, last=True))[0]
    text = (await read_outbox(services, "+447700900123", last=True))[0]
    assert email["template"] == "mfa-reset-requested" and text["template"] == "mfa-reset-requested-sms"
    assert text["personalisation"]["cancel_code"] == email["personalisation"]["cancel_code"]


async def test_a_matured_request_is_used_once(app, client, services):
    rp = await TestRP.create(services)
    citizen = await make_citizen(services)
    await _request_lost_factor_change(client, services, rp, citizen)
    await _mature(services, citizen.user_id)
    async with _browser(app, services) as first, _browser(app, services) as second:
        pages = []
        for http in (first, second):  # two browsers with the password, both at the new-app page
            response = await _to_second_factor(http, rp, citizen)
            assert response.headers["location"] == "/change-security-codes"
            pages.append(await http.get("/change-security-codes"))
        def confirm(http, page):
            secret = re.search(r'<code id="secret-key"[^>]*>([A-Z2-7]+)</code>', page.text).group(1)
            return http.post("/change-security-codes", data={
                "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1),
                "code": pyotp.TOTP(secret).now()})

        answers = await asyncio.gather(*[confirm(http, page) for http, page in zip((first, second), pages)])
        done = [a for a in answers if a.headers.get("location") == "/change-codes-confirmed"]
        assert len(done) == 1  # the other was too late: the request was used, start again
    async with services.sessionmaker() as db:
        apps = (await db.execute(select(func.count()).select_from(MfaMethod).where(
            MfaMethod.user_id == citizen.user_id))).scalar_one()
    assert apps == 1
    async with _browser(app, services) as third:
        response = await _to_second_factor(third, rp, citizen)
        assert response.headers["location"] == "/enter-authenticator-app-code"


async def test_a_matured_request_not_used_within_its_window_is_dead(app, client, services):
    rp = await TestRP.create(services)
    citizen = await make_citizen(services)
    await _request_lost_factor_change(client, services, rp, citizen)
    window = dt.timedelta(seconds=services.settings.mfa_reset_use_seconds)
    await _mature(services, citizen.user_id, ago=window + dt.timedelta(seconds=1))
    async with _browser(app, services) as later:
        response = await _to_second_factor(later, rp, citizen)
        assert response.headers["location"] == "/enter-authenticator-app-code"
    _, token = await request_mfa_reset(services, citizen.user_id)  # a new one may be asked for
    assert token is not None


async def test_signing_in_with_the_real_factor_cancels_the_request(app, client, services):
    rp = await TestRP.create(services)
    citizen = await make_citizen(services)
    await _request_lost_factor_change(client, services, rp, citizen)
    async with _browser(app, services) as owner:
        response = await _to_second_factor(owner, rp, citizen)
        response = await post_page(owner, "/enter-authenticator-app-code", code=citizen.code(1))
        assert response.headers["location"] == "/auth-code"
        assert "code" in redirect_params(await owner.get("/auth-code"))
    assert await pending_mfa_reset(services, citizen.user_id) is None
    await _mature(services, citizen.user_id)
    async with _browser(app, services) as attacker:
        response = await _to_second_factor(attacker, rp, citizen)
        assert response.headers["location"] == "/enter-authenticator-app-code"


async def test_two_requests_at_once_leave_one_live(services):
    citizen = await make_citizen(services)
    made = await asyncio.gather(*[request_mfa_reset(services, citizen.user_id) for _ in range(3)])
    assert sum(token is not None for _, token in made) == 1
    async with services.sessionmaker() as db:
        pending = (await db.execute(select(func.count()).select_from(MfaResetRequest).where(
            MfaResetRequest.user_id == citizen.user_id, MfaResetRequest.state == "pending"))).scalar_one()
    assert pending == 1
    token = next(token for _, token in made if token)
    assert await cancel_mfa_reset(services, token) == citizen.user_id
    assert await pending_mfa_reset(services, citizen.user_id) is None


# --- Journeys use the account's current address ------------------------------------------------------

async def test_a_reset_started_before_an_email_change_cannot_use_the_old_address(client, services):
    from govsignin.accounts.changes import change_email

    rp = await TestRP.create(services)
    citizen = await make_citizen(services)
    await client.get("/authorize?" + urlencode(rp.authorize_params()))
    await post_page(client, "/sign-in-or-create")
    await post_page(client, "/enter-email", email=citizen.email)  # named by its old address
    await client.get("/enter-password")
    response = await post_page(client, "/reset-password-request")
    assert response.headers["location"] == "/reset-password-check-email"
    code = await _last_code(services, citizen.email)
    await change_email(services, citizen.user_id, "moved-" + citizen.email)  # the owner moves
    sent_before = len(await read_outbox(services, citizen.email))
    resend = await post_page(client, "/reset-password-check-email", resend="1")
    assert EXPIRED in resend.text
    assert len(await read_outbox(services, citizen.email)) == sent_before  # nothing more to the old one
    response = await post_page(client, "/reset-password-check-email", code=code)
    assert "location" not in response.headers and EXPIRED in response.text


async def test_a_reset_for_an_address_typed_in_capitals_still_sends_its_code(client, services):
    rp = await TestRP.create(services)
    citizen = await make_citizen(services)
    await client.get("/authorize?" + urlencode(rp.authorize_params()))
    await post_page(client, "/sign-in-or-create")
    await post_page(client, "/enter-email", email=f"  {citizen.email.upper()} ")
    await client.get("/enter-password")
    response = await post_page(client, "/reset-password-request")
    assert response.headers["location"] == "/reset-password-check-email"
    response = await post_page(client, "/reset-password-check-email", code=await _last_code(services, citizen.email))
    assert response.headers["location"] == "/reset-password-2fa-auth-app"


async def test_the_code_that_confirms_the_new_app_cannot_sign_in_again(app, client, services):
    import time

    rp = await TestRP.create(services)
    citizen = await make_citizen(services)
    await _request_lost_factor_change(client, services, rp, citizen)
    await _mature(services, citizen.user_id)
    async with _browser(app, services) as later:
        await _to_second_factor(later, rp, citizen)
        page = await later.get("/change-security-codes")
        secret = re.search(r'<code id="secret-key"[^>]*>([A-Z2-7]+)</code>', page.text).group(1)
        code = pyotp.TOTP(secret).at(time.time() + 30)  # a step no sign-in has used
        response = await later.post("/change-security-codes", data={
            "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1), "code": code})
        assert response.headers["location"] == "/change-codes-confirmed"
    async with _browser(app, services) as onlooker:  # saw the code typed, knows the password
        response = await _to_second_factor(onlooker, rp, citizen)
        assert response.headers["location"] == "/enter-authenticator-app-code"
        replay = await post_page(onlooker, "/enter-authenticator-app-code", code=code)
        assert replay.status_code == 400 and "location" not in replay.headers

"""Recovery cannot be done with less than the account's factors: a passkey is a second factor in
a password reset, a finished lost-factor wait is single use and short-lived, and journeys send
to the account's current contact details. Each runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from urllib.parse import urlencode

from sqlalchemy import update

from govsignin.accounts.models import MfaMethod
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

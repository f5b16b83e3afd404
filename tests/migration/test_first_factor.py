"""An existing account with no second factor (imported without one) is asked to set one up at a
Cl.Cm request, on account creation's pages, and the factor is written to that account; a Cl
request needs none."""

from __future__ import annotations

import json
import re
import uuid
from urllib.parse import urlencode

import pyotp
from sqlalchemy import select

from govsignin.accounts.models import MfaMethod, Passkey
from govsignin.accounts.passkeys import expected_origin
from govsignin.messaging.outbox import read_outbox
from tests.migration.legacy_files import PASSWORD, legacy_hash
from tests.migration.test_first_sign_in import NextCode, import_rows, user_id_of
from tests.support.rp import TestRP, authorize_and_sign_in, csrf_of, make_citizen, post_page, redirect_params
from tests.support.soft_passkey import SoftPasskey


def _row() -> dict:
    tag = uuid.uuid4().hex[:10]
    return {"email": f"legacy-{tag}@example.com", "email_verified": True, "password_hash": legacy_hash("bcrypt"),
            "legacy_system": f"old-{tag}", "legacy_id": tag, "created_at": "2016-01-01T00:00:00Z"}


async def _after_password(client, rp, email, vtr='["Cl.Cm"]'):
    response = await client.get("/authorize?" + urlencode(rp.authorize_params(vtr=vtr)))
    assert response.headers["location"] == "/sign-in-or-create"
    await post_page(client, "/sign-in-or-create")
    await post_page(client, "/enter-email", email=email)
    return await post_page(client, "/enter-password", password=PASSWORD)


async def _methods(services, user_id):
    async with services.sessionmaker() as db:
        return (await db.execute(select(MfaMethod.kind).where(MfaMethod.user_id == user_id))).scalars().all()


async def test_an_account_without_a_factor_sets_up_an_authenticator_app_and_gets_cl_cm(services, client):
    rp = await TestRP.create(services)
    row = _row()
    await import_rows(services, [row])
    user_id = await user_id_of(services, row["email"])

    response = await _after_password(client, rp, row["email"])
    assert response.headers["location"] == "/get-security-codes"
    assert (await client.get("/auth-code")).headers["location"] == "/get-security-codes"  # no way round
    response = await post_page(client, "/get-security-codes", choice="auth_app")
    assert response.headers["location"] == "/setup-authenticator-app"
    page = await client.get("/setup-authenticator-app")
    secret = re.search(r'<code id="secret-key">([A-Z2-7 ]+)</code>', page.text).group(1).replace(" ", "")
    response = await client.post("/setup-authenticator-app",
                                 data={"csrf_token": csrf_of(page.text), "code": pyotp.TOTP(secret).now()})
    assert response.headers["location"] == "/auth-code"
    final = await client.get("/auth-code")
    token = (await rp.token(client, redirect_params(final)["code"])).json()
    assert (await rp.verify_id_token(client, token["id_token"]))["claims"]["vot"] == "Cl.Cm"

    assert await _methods(services, user_id) == ["auth_app"]  # on the existing account
    assert await services.accounts.auth_app_secret(user_id) == secret
    assert (await read_outbox(services, row["email"], last=True))[0]["template"] == "security-codes-changed"
    # The next sign-in asks for the app's code.
    client.cookies.clear()
    code, _ = await authorize_and_sign_in(client, rp, NextCode(row["email"], PASSWORD, secret, user_id))
    assert "code" in redirect_params(code)


async def test_an_account_without_a_factor_sets_up_text_messages(services, client):
    rp = await TestRP.create(services)
    row = _row()
    await import_rows(services, [row])
    user_id = await user_id_of(services, row["email"])
    await _after_password(client, rp, row["email"])
    response = await post_page(client, "/get-security-codes", choice="sms")
    assert response.headers["location"] == "/enter-phone-number"
    response = await post_page(client, "/enter-phone-number", phone="07911 123456")
    assert response.headers["location"] == "/check-your-phone"
    code = (await read_outbox(services, "+447911123456", last=True))[0]["personalisation"]["code"]
    response = await post_page(client, "/check-your-phone", code=code)
    assert response.headers["location"] == "/auth-code"
    assert "code" in redirect_params(await client.get("/auth-code"))
    assert await _methods(services, user_id) == ["sms"]


async def test_an_account_without_a_factor_sets_up_a_passkey(services, client):
    rp = await TestRP.create(services)
    row = _row()
    await import_rows(services, [row])
    user_id = await user_id_of(services, row["email"])
    await _after_password(client, rp, row["email"])
    response = await post_page(client, "/get-security-codes", choice="passkey")
    assert response.headers["location"] == "/create-passkey"
    page = await client.get("/create-passkey")
    options = json.loads(re.search(r'id="passkey-options">(.*?)</script>', page.text, re.S).group(1))
    credential = SoftPasskey().attestation(options, expected_origin(services.settings))
    response = await client.post("/create-passkey", data={"csrf_token": csrf_of(page.text), "credential": credential})
    assert response.headers["location"] == "/auth-code"
    assert "code" in redirect_params(await client.get("/auth-code"))
    assert await _methods(services, user_id) == ["passkey"]
    async with services.sessionmaker() as db:
        owners = (await db.execute(select(Passkey.user_id))).scalars().all()
    assert user_id in owners


async def test_a_cl_request_needs_no_factor(services, client):
    rp = await TestRP.create(services)
    row = _row()
    await import_rows(services, [row])
    response = await _after_password(client, rp, row["email"], vtr='["Cl"]')
    assert response.headers["location"] == "/auth-code"
    assert await _methods(services, await user_id_of(services, row["email"])) == []


async def test_an_account_with_a_factor_never_reaches_the_set_up_pages(services, client):
    rp = await TestRP.create(services)
    citizen = await make_citizen(services)
    response = await client.get("/authorize?" + urlencode(rp.authorize_params()))
    await post_page(client, "/sign-in-or-create")
    await post_page(client, "/enter-email", email=citizen.email)
    response = await post_page(client, "/enter-password", password=citizen.password)
    assert response.headers["location"] == "/enter-authenticator-app-code"
    for path in ("/get-security-codes", "/setup-authenticator-app", "/enter-phone-number"):
        assert (await client.get(path)).headers["location"] == "/enter-authenticator-app-code", path

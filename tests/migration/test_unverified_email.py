"""An imported account whose old system had not verified its email address: after the password,
a code to that address comes first (journeys/pages/confirm_email.py), and only a right code
marks it verified and goes on where the password would have led."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

import pyotp
from sqlalchemy import select

from govsignin.accounts.models import User
from govsignin.messaging.outbox import read_outbox
from tests.migration.legacy_files import PASSWORD, legacy_hash
from tests.migration.test_first_sign_in import import_rows, user_id_of
from tests.support.rp import TestRP, post_page, redirect_params

PAGE = "/check-your-email-sign-in"


def _row(verified: bool) -> dict:
    tag = uuid.uuid4().hex[:10]
    return {"email": f"legacy-{tag}@example.com", "email_verified": verified, "password_hash": legacy_hash("bcrypt"),
            "totp_secret": pyotp.random_base32(), "legacy_system": f"old-{tag}", "legacy_id": tag,
            "created_at": "2016-01-01T00:00:00Z"}


async def _to_password_result(client, rp, row, vtr='["Cl.Cm"]'):
    response = await client.get("/authorize?" + urlencode(rp.authorize_params(vtr=vtr)))
    assert response.headers["location"] == "/sign-in-or-create"
    await post_page(client, "/sign-in-or-create")
    response = await post_page(client, "/enter-email", email=row["email"])
    assert response.headers["location"] == "/enter-password"
    return await post_page(client, "/enter-password", password=PASSWORD)


async def _email_verified(services, address: str) -> bool:
    async with services.sessionmaker() as db:
        return (await db.execute(select(User.email_verified).where(User.email == address))).scalar_one()


async def _last_code(services, address: str) -> str:
    message = (await read_outbox(services, address, last=True))[0]
    assert message["template"] == "email-code-sign-in"
    return message["personalisation"]["code"]


async def test_an_unverified_imported_address_gets_a_code_before_the_second_factor(services, client):
    rp = await TestRP.create(services)
    row = _row(verified=False)
    await import_rows(services, [row])

    response = await _to_password_result(client, rp, row)
    assert response.headers["location"] == PAGE
    # No way round it: the code page and the second factor are not reachable yet.
    assert (await client.get("/auth-code")).headers["location"] == PAGE
    assert (await client.get("/enter-authenticator-app-code")).headers["location"] == PAGE
    page = await client.get(PAGE)
    assert page.status_code == 200 and row["email"] in page.text
    code = await _last_code(services, row["email"])
    await client.get(PAGE)  # a reload sends no second code
    assert len(await read_outbox(services, row["email"])) == 1

    wrong = "000000" if code != "000000" else "111111"
    bad = await post_page(client, PAGE, code=wrong)
    assert bad.status_code == 400 and "govuk-error-summary" in bad.text
    assert not await _email_verified(services, row["email"])
    response = await post_page(client, PAGE, code=code)
    assert response.headers["location"] == "/enter-authenticator-app-code"  # where the password led
    assert await _email_verified(services, row["email"])

    response = await post_page(client, "/enter-authenticator-app-code", code=pyotp.TOTP(row["totp_secret"]).now())
    assert response.headers["location"] == "/auth-code"
    final = await client.get("/auth-code")
    token = (await rp.token(client, redirect_params(final)["code"])).json()
    claims = (await rp.verify_id_token(client, token["id_token"]))["claims"]
    assert claims["vot"] == "Cl.Cm"


async def test_a_cl_request_goes_to_the_code_after_the_address_is_confirmed(services, client):
    rp = await TestRP.create(services)
    row = _row(verified=False)
    await import_rows(services, [row])
    response = await _to_password_result(client, rp, row, vtr='["Cl"]')
    assert response.headers["location"] == PAGE
    assert (await client.get(PAGE)).status_code == 200  # the code is sent on arrival
    response = await post_page(client, PAGE, code=await _last_code(services, row["email"]))
    assert response.headers["location"] == "/auth-code"
    assert "code" in redirect_params(await client.get("/auth-code"))


async def test_a_verified_imported_address_is_not_asked_again(services, client):
    rp = await TestRP.create(services)
    row = _row(verified=True)
    await import_rows(services, [row])
    response = await _to_password_result(client, rp, row)
    assert response.headers["location"] == "/enter-authenticator-app-code"
    assert await read_outbox(services, row["email"]) == []


async def test_six_wrong_codes_end_at_the_too_many_codes_page(services, client):
    rp = await TestRP.create(services)
    row = _row(verified=False)
    await import_rows(services, [row])
    await _to_password_result(client, rp, row)
    await client.get(PAGE)
    code = await _last_code(services, row["email"])
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        assert (await post_page(client, PAGE, code=wrong)).status_code == 400
    response = await post_page(client, PAGE, code=wrong)
    assert response.headers["location"] == "/security-code-entered-too-many-times"
    assert (await client.get(PAGE)).headers["location"] == "/security-code-entered-too-many-times"
    assert not await _email_verified(services, row["email"])
    assert await user_id_of(services, row["email"])


async def test_the_page_is_in_welsh(services, client):
    from tests.support.welsh import english_on_page

    rp = await TestRP.create(services)
    row = _row(verified=False)
    await import_rows(services, [row])
    await _to_password_result(client, rp, row)
    client.cookies.set("lng", "cy")
    page = await client.get(PAGE)
    assert "Cyn i chi barhau" in page.text
    assert english_on_page(page.text, allowed=(services.settings.service_name, row["email"], "Test service", "GOV.UK")) == []

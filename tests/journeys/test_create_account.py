"""Creating an account, page by page, in process: order, errors, limits, and the service's code."""

import re
import secrets
import time
from urllib.parse import urlencode

import pyotp
import pytest
from sqlalchemy import func, select

from govsignin.accounts.models import MfaMethod, PasswordCredential, User
from govsignin.messaging.outbox import read_outbox
from tests.support.rp import PASSWORD, TestRP, csrf_of, make_citizen, new_email, post_page, redirect_params

NEW_PASSWORD = "a-new-account-password-7"
PHONE = "07400 123456"


async def last_message(services, to: str) -> dict:
    got = await read_outbox(services, to, last=True)
    assert got, f"no message to {to}"
    return got[0]


async def code_sent_to(services, to: str) -> str:
    return (await last_message(services, to))["personalisation"]["code"]


async def start(client, rp: TestRP, **params) -> dict:
    params = rp.authorize_params(**params)
    response = await client.get("/authorize?" + urlencode(params))
    assert response.headers["location"] == "/sign-in-or-create"
    response = await post_page(client, "/sign-in-or-create", choice="create")
    assert response.headers["location"] == "/enter-email-create"
    return params


async def to_password(client, services, rp: TestRP, email: str) -> dict:
    params = await start(client, rp)
    response = await post_page(client, "/enter-email-create", email=email)
    assert response.headers["location"] == "/check-your-email"
    response = await post_page(client, "/check-your-email", code=await code_sent_to(services, email))
    assert response.headers["location"] == "/create-password"
    response = await post_page(client, "/create-password", password=NEW_PASSWORD, **{"confirm-password": NEW_PASSWORD})
    assert response.headers["location"] == "/get-security-codes"
    return params


async def count_users(services, email: str) -> int:
    async with services.sessionmaker() as db:
        return (await db.execute(select(func.count()).select_from(User).where(User.email == email))).scalar_one()


async def finish(client, rp: TestRP, params: dict) -> dict:
    response = await post_page(client, "/account-created")
    assert response.headers["location"] == "/auth-code"
    final = await client.get("/auth-code")
    got = redirect_params(final)
    assert got["state"] == params["state"] and "code" in got, final.headers.get("location")
    body = (await rp.token(client, got["code"])).json()
    return (await rp.verify_id_token(client, body["id_token"]))["claims"]


def error_of(html: str) -> str:
    assert "govuk-error-summary" in html, "no GOV.UK error summary"
    return re.search(r'<a href="#[^"]*">([^<]+)</a>', html.split("govuk-error-summary__list")[1]).group(1).strip()


async def test_create_with_text_message_then_sign_in_again_with_an_sms_code(client, services, settings):
    rp, email = await TestRP.create(services), new_email()
    params = await to_password(client, services, rp, email)
    response = await post_page(client, "/get-security-codes", choice="sms")
    assert response.headers["location"] == "/enter-phone-number"
    response = await post_page(client, "/enter-phone-number", phone=PHONE)
    assert response.headers["location"] == "/check-your-phone"
    assert await count_users(services, email) == 0  # nothing written yet
    sms = await last_message(services, "+447400123456")
    assert sms["channel"] == "sms" and sms["template"] == "sms-code-create"
    response = await post_page(client, "/check-your-phone", code=sms["personalisation"]["code"])
    assert response.headers["location"] == "/account-created"
    page = await client.get("/account-created")
    assert "You’ve created your account" in page.text or "You've created your account" in page.text
    claims = await finish(client, rp, params)
    assert claims["vot"] == "Cl.Cm"
    user = await services.accounts.by_email(email)
    assert user.phone_number == "+447400123456" and user.phone_number_verified

    # A new browser signs in: email, password, then a text-message code at /enter-code.
    client.cookies.clear()
    response = await client.get("/authorize?" + urlencode(rp.authorize_params()))
    await post_page(client, "/sign-in-or-create")
    await post_page(client, "/enter-email", email=email)
    response = await post_page(client, "/enter-password", password=NEW_PASSWORD)
    assert response.headers["location"] == "/enter-code"
    page = await client.get("/enter-code")
    assert "ending with 456" in page.text
    sms = await last_message(services, "+447400123456")
    assert sms["template"] == "sms-code-sign-in"
    await client.get("/enter-code")  # a reload does not send another text
    assert (await last_message(services, "+447400123456"))["id"] == sms["id"]
    response = await client.post("/enter-code", data={"csrf_token": csrf_of(page.text), "code": sms["personalisation"]["code"]})
    assert response.headers["location"] == "/auth-code"
    assert "code" in redirect_params(await client.get("/auth-code"))


async def test_create_with_an_authenticator_app(client, services):
    rp, email = await TestRP.create(services), new_email()
    params = await to_password(client, services, rp, email)
    response = await post_page(client, "/get-security-codes", choice="auth_app")
    assert response.headers["location"] == "/setup-authenticator-app"
    page = await client.get("/setup-authenticator-app")
    assert "<svg" in page.text
    secret = re.search(r'<code id="secret-key">([A-Z2-7 ]+)</code>', page.text).group(1).replace(" ", "")
    assert len(secret) == 32
    again = await client.get("/setup-authenticator-app")
    assert secret in again.text.replace(" ", "")  # the same secret until it is confirmed
    wrong = f"{(int(pyotp.TOTP(secret).now()) + 500_000) % 1_000_000:06d}"
    response = await client.post("/setup-authenticator-app", data={"csrf_token": csrf_of(page.text), "code": wrong})
    assert response.status_code == 400 and "not correct" in error_of(response.text)
    response = await client.post("/setup-authenticator-app",
                                 data={"csrf_token": csrf_of(page.text), "code": pyotp.TOTP(secret).now()})
    assert response.headers["location"] == "/account-created"
    assert (await finish(client, rp, params))["vot"] == "Cl.Cm"
    user = await services.accounts.by_email(email)
    assert await services.accounts.auth_app_secret(user.id) == secret
    async with services.sessionmaker() as db:
        assert (await db.get(PasswordCredential, user.id)).hash.startswith("$argon2id$")
        kinds = (await db.execute(select(MfaMethod.kind).where(MfaMethod.user_id == user.id))).scalars().all()
    assert kinds == ["auth_app"]
    assert (await last_message(services, email))["template"] == "account-created"


async def test_an_existing_address_gets_a_notice_not_a_code_and_the_pages_look_the_same(client, services):
    rp, citizen = await TestRP.create(services), await make_citizen(services)
    await start(client, rp)
    response = await post_page(client, "/enter-email-create", email=citizen.email.upper())
    assert response.headers["location"] == "/check-your-email"  # the same page as for a new address
    notice = await last_message(services, citizen.email)
    assert notice["template"] == "account-exists-notice" and "code" not in notice["personalisation"]
    page = await client.get("/check-your-email")
    assert citizen.email in page.text
    for guess in ("000000", "123456"):
        response = await client.post("/check-your-email", data={"csrf_token": csrf_of(page.text), "code": guess})
        assert response.status_code == 400
    assert await count_users(services, citizen.email) == 1
    assert await services.accounts.check_password(await services.accounts.by_email(citizen.email), PASSWORD)


async def test_email_page_errors(client, services):
    rp = await TestRP.create(services)
    await start(client, rp)
    response = await post_page(client, "/enter-email-create", email="")
    assert response.status_code == 400 and error_of(response.text) == "Enter your email address"
    response = await post_page(client, "/enter-email-create", email="not-an-email")
    assert response.status_code == 400 and "correct format" in error_of(response.text)
    response = await post_page(client, "/enter-email-create", email="a" * 250 + "@example.com")
    assert response.status_code == 400 and "correct format" in error_of(response.text)


@pytest.mark.parametrize(
    ("password", "confirm", "message"),
    [
        ("", "", "Enter a password"),
        ("short1", "short1", "Your password must be at least 8 characters long"),
        ("onlyletters", "onlyletters", "Your password must contain letters and numbers"),
        ("1234567890", "1234567890", "Your password must contain letters and numbers"),
        ("password1", "password1", "Enter a stronger password"),
        ("Qwerty123", "Qwerty123", "Enter a stronger password"),
        ("x1" * 129, "x1" * 129, "Your password must be 256 characters or fewer"),
        (NEW_PASSWORD, "", "Re-type your password"),
        (NEW_PASSWORD, NEW_PASSWORD + "x", "Enter the same password in both fields"),
    ],
)
async def test_password_rules(client, services, password, confirm, message):
    rp, email = await TestRP.create(services), new_email()
    await start(client, rp)
    await post_page(client, "/enter-email-create", email=email)
    await post_page(client, "/check-your-email", code=await code_sent_to(services, email))
    response = await post_page(client, "/create-password", password=password, **{"confirm-password": confirm})
    assert response.status_code == 400
    assert error_of(response.text).startswith(message.replace("’", "'")[:20]) or message in response.text


async def test_code_format_errors_and_wrong_codes(client, services):
    rp, email = await TestRP.create(services), new_email()
    await start(client, rp)
    await post_page(client, "/enter-email-create", email=email)
    response = await post_page(client, "/check-your-email", code="")
    assert error_of(response.text) == "Enter the security code"
    response = await post_page(client, "/check-your-email", code="12ab")
    assert error_of(response.text) == "Enter the security code using only 6 digits"
    right = await code_sent_to(services, email)
    response = await post_page(client, "/check-your-email", code=f"{(int(right) + 1) % 1_000_000:06d}")
    assert "not correct" in error_of(response.text)


async def test_six_wrong_email_codes_block_for_15_minutes(client, services):
    rp, email = await TestRP.create(services), new_email()
    await start(client, rp)
    await post_page(client, "/enter-email-create", email=email)
    wrong = f"{(int(await code_sent_to(services, email)) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert (await post_page(client, "/check-your-email", code=wrong)).status_code == 400
    response = await post_page(client, "/check-your-email", code=wrong)
    assert response.headers["location"] == "/security-code-entered-too-many-times"
    page = await client.get("/security-code-entered-too-many-times")
    assert "15 minutes" in page.text
    # Another journey with the same address is still blocked.
    client.cookies.clear()
    await start(client, rp)
    response = await post_page(client, "/enter-email-create", email=email)
    assert response.headers["location"] == "/security-code-entered-too-many-times"


async def test_resending_the_email_code_is_limited(client, services):
    rp, email = await TestRP.create(services), new_email()
    await start(client, rp)
    await post_page(client, "/enter-email-create", email=email)
    first = await code_sent_to(services, email)
    for _ in range(6):
        response = await post_page(client, "/check-your-email", action="resend")
        assert response.headers["location"] == "/check-your-email"
    assert "We have sent you a new security code" in (await client.get("/check-your-email")).text
    latest = await last_message(services, email)
    assert len(await read_outbox(services, email)) == 7
    response = await post_page(client, "/check-your-email", action="resend")
    assert response.headers["location"] == "/security-code-requested-too-many-times"
    page = await client.get("/security-code-requested-too-many-times")
    assert "You asked to resend the security code too many times" in page.text and "2 hours" in page.text
    assert (await last_message(services, email))["id"] == latest["id"]
    assert first  # the earlier codes were sent


async def test_pages_cannot_be_skipped(client, services):
    rp, email = await TestRP.create(services), new_email()
    await start(client, rp)
    for path in ("/check-your-email", "/create-password", "/get-security-codes", "/setup-authenticator-app",
                 "/create-passkey", "/account-created", "/auth-code"):
        response = await client.get(path)
        assert response.status_code == 303 and response.headers["location"] == "/enter-email-create", path
    await post_page(client, "/enter-email-create", email=email)
    response = await client.get("/create-password")
    assert response.headers["location"] == "/check-your-email"
    # A stale POST lands where the journey is.
    page = await client.get("/check-your-email")
    response = await client.post("/create-password", data={"csrf_token": csrf_of(page.text), "password": NEW_PASSWORD})
    assert response.headers["location"] == "/check-your-email"
    # No CSRF token: refused.
    response = await client.post("/check-your-email", data={"code": "123456"})
    assert response.status_code == 403


async def test_security_code_choice_and_phone_errors(client, services, monkeypatch):
    rp, email = await TestRP.create(services), new_email()
    await to_password(client, services, rp, email)
    page = await client.get("/get-security-codes")
    assert 'value="passkey"' in page.text and "data-passkey-option hidden" in page.text
    response = await post_page(client, "/get-security-codes")
    assert response.status_code == 400 and error_of(response.text) == "Select how you want to get security codes"
    response = await post_page(client, "/get-security-codes", choice="carrier-pigeon")
    assert response.status_code == 400
    await post_page(client, "/get-security-codes", choice="sms")
    for number, message in [("", "Enter a mobile phone number"), ("020 7946 0000", "not a landline"),
                            ("07400", "correct format"), ("call me", "using only numbers")]:
        response = await post_page(client, "/enter-phone-number", phone=number)
        assert response.status_code == 400 and message in error_of(response.text), number
    # Only UK numbers by default (GOVSIGNIN_SMS_COUNTRY_CODES); other countries are opt-in.
    response = await post_page(client, "/enter-phone-number", phone="+33 6 12 34 56 78")
    assert response.status_code == 400 and error_of(response.text) == "Enter a UK mobile phone number"
    assert await read_outbox(services, "+33612345678") == []
    monkeypatch.setattr(services.settings, "sms_country_codes", "44,33")
    response = await post_page(client, "/enter-phone-number", phone="+33 6 12 34 56 78")
    assert response.headers["location"] == "/check-your-phone"
    assert (await last_message(services, "+33612345678"))["template"] == "sms-code-create"
    # Back to change the number: the old number's code no longer works.
    old = await code_sent_to(services, "+33612345678")
    await post_page(client, "/enter-phone-number", phone=PHONE)
    response = await post_page(client, "/check-your-phone", code=old)
    assert response.status_code == 400 or old == await code_sent_to(services, "+447400123456")
    assert await count_users(services, email) == 0


async def test_abandoning_midway_writes_nothing(client, services):
    rp, email = await TestRP.create(services), new_email()
    await to_password(client, services, rp, email)
    await post_page(client, "/get-security-codes", choice="auth_app")
    await client.get("/setup-authenticator-app")
    assert await count_users(services, email) == 0


async def test_sms_sign_in_code_limits(client, services):
    rp = await TestRP.create(services)
    citizen = await make_citizen(services, totp=False, phone="+447911123456")
    await client.get("/authorize?" + urlencode(rp.authorize_params()))
    await post_page(client, "/sign-in-or-create")
    await post_page(client, "/enter-email", email=citizen.email)
    response = await post_page(client, "/enter-password", password=citizen.password)
    assert response.headers["location"] == "/enter-code"
    await client.get("/enter-code")
    right = await code_sent_to(services, "+447911123456")
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    assert error_of((await post_page(client, "/enter-code", code="")).text) == "Enter the security code"
    for _ in range(5):
        assert (await post_page(client, "/enter-code", code=wrong)).status_code == 400
    response = await post_page(client, "/enter-code", code=wrong)
    assert response.headers["location"] == "/security-code-invalid"
    assert "2 hours" in (await client.get("/security-code-invalid")).text


async def test_sms_sign_in_resends_are_limited(client, services):
    rp = await TestRP.create(services)
    phone = f"+447911{secrets.randbelow(10**6):06d}"  # its own number: the outbox is shared by every test
    citizen = await make_citizen(services, totp=False, phone=phone)
    await client.get("/authorize?" + urlencode(rp.authorize_params()))
    await post_page(client, "/sign-in-or-create")
    await post_page(client, "/enter-email", email=citizen.email)
    await post_page(client, "/enter-password", password=citizen.password)
    for _ in range(6):
        assert (await post_page(client, "/enter-code", action="resend")).headers["location"] == "/enter-code"
    response = await post_page(client, "/enter-code", action="resend")
    assert response.headers["location"] == "/security-code-requested-too-many-times"
    assert len(await read_outbox(services, phone)) == 7


async def test_the_journey_expires_with_the_session(client, services):
    response = await client.get("/check-your-email")
    assert "You need to start again" in response.text
    assert time.time()

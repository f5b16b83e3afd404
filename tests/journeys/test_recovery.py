"""Recovery pages in process: another method, recovery codes, password reset, a lost second factor.
Each runs on SQLite and PostgreSQL (the `backend` fixture)."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlencode

import pyotp
from sqlalchemy import update

from govsignin.accounts.mfa import mfa_change_blocked_until
from govsignin.accounts.models import MfaResetRequest
from govsignin.accounts.recovery_codes import generate_recovery_codes, recovery_codes_left, use_recovery_code
from govsignin.db.base import utcnow
from govsignin.messaging.outbox import read_outbox
from tests.support.rp import TestRP, csrf_of, make_citizen, post_page, redirect_params


async def _to_password(client, rp, citizen, **params):
    response = await client.get("/authorize?" + urlencode(rp.authorize_params(**params)))
    assert response.headers["location"] == "/sign-in-or-create"
    await post_page(client, "/sign-in-or-create")
    response = await post_page(client, "/enter-email", email=citizen.email)
    assert response.headers["location"] == "/enter-password"


async def _to_second_factor(client, rp, citizen):
    await _to_password(client, rp, citizen)
    response = await post_page(client, "/enter-password", password=citizen.password)
    assert response.headers["location"] == "/enter-authenticator-app-code"


async def _last_code(services, email: str) -> str:
    message = (await read_outbox(services, email, last=True))[0]
    return message["personalisation"]["code"]


async def test_recovery_codes_are_single_use_and_stored_hashed(services):
    citizen = await make_citizen(services)
    codes = await generate_recovery_codes(services, citizen.user_id)
    assert len(codes) == 10 and len(set(codes)) == 10 and all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", c) for c in codes)
    assert await use_recovery_code(services, citizen.user_id, codes[0].upper().replace("-", " "))
    assert not await use_recovery_code(services, citizen.user_id, codes[0])
    other = await make_citizen(services)
    assert not await use_recovery_code(services, other.user_id, codes[1])  # bound to the user
    assert await recovery_codes_left(services, citizen.user_id) == 9
    again = await generate_recovery_codes(services, citizen.user_id)  # a new set replaces the old
    assert not await use_recovery_code(services, citizen.user_id, codes[1])
    assert await use_recovery_code(services, citizen.user_id, again[1])


async def test_another_method_lists_the_citizens_methods_and_a_recovery_code_signs_in(client, services):
    rp = await TestRP.create(services)
    citizen = await make_citizen(services)
    codes = await generate_recovery_codes(services, citizen.user_id)
    await _to_second_factor(client, rp, citizen)

    page = await client.get("/how-do-you-want-security-codes")
    assert page.status_code == 200
    assert 'value="auth_app"' in page.text and 'value="recovery_code"' in page.text and 'value="sms"' not in page.text
    empty = await client.post("/how-do-you-want-security-codes", data={"csrf_token": csrf_of(page.text)})
    assert empty.status_code == 400 and "govuk-error-summary" in empty.text
    response = await client.post("/how-do-you-want-security-codes", data={"csrf_token": csrf_of(page.text), "method": "recovery_code"})
    assert response.headers["location"] == "/enter-recovery-code"

    bad = await post_page(client, "/enter-recovery-code", code="not a code!")
    assert bad.status_code == 400 and "like abcde-fghij" in bad.text
    response = await post_page(client, "/enter-recovery-code", code=codes[3])
    assert response.headers["location"] == "/auth-code"
    final = await client.get("/auth-code")
    code = redirect_params(final)["code"]
    token = (await rp.token(client, code)).json()
    claims = (await rp.verify_id_token(client, token["id_token"]))["claims"]
    assert claims["vot"] == "Cl.Cm"
    assert not await use_recovery_code(services, citizen.user_id, codes[3])


async def test_six_wrong_recovery_codes_lock_like_wrong_security_codes(client, services):
    rp = await TestRP.create(services)
    citizen = await make_citizen(services)
    await generate_recovery_codes(services, citizen.user_id)
    await _to_second_factor(client, rp, citizen)
    await client.get("/how-do-you-want-security-codes")
    await post_page(client, "/how-do-you-want-security-codes", method="recovery_code")
    for _ in range(5):
        wrong = await post_page(client, "/enter-recovery-code", code="zzzzz-zzzzz")
        assert wrong.status_code == 400 and "not correct" in wrong.text
    locked = await post_page(client, "/enter-recovery-code", code="zzzzz-zzzzz")
    assert locked.headers["location"] == "/security-code-invalid"


async def test_a_post_without_the_csrf_token_is_refused(client, services):
    rp = await TestRP.create(services)
    citizen = await make_citizen(services)
    await _to_password(client, rp, citizen)
    await client.get("/reset-password-request")
    response = await client.post("/reset-password-request", data={})
    assert response.status_code == 403
    assert await read_outbox(services, citizen.email) == []


async def test_password_reset_end_to_end_blocks_mfa_changes_for_48_hours(client, services):
    rp = await TestRP.create(services)
    citizen = await make_citizen(services)
    await _to_password(client, rp, citizen)
    page = await client.get("/reset-password-request")
    assert page.status_code == 200 and citizen.email in page.text
    response = await post_page(client, "/reset-password-request")
    assert response.headers["location"] == "/reset-password-check-email"
    wrong = await post_page(client, "/reset-password-check-email", code="12345")
    assert wrong.status_code == 400 and "only 6 digits" in wrong.text
    response = await post_page(client, "/reset-password-check-email", code=await _last_code(services, citizen.email))
    assert response.headers["location"] == "/reset-password-2fa-auth-app"
    response = await post_page(client, "/reset-password-2fa-auth-app", code=citizen.code())
    assert response.headers["location"] == "/reset-password"
    short = await post_page(client, "/reset-password", **{"password": "short1", "confirm-password": "short1"})
    assert short.status_code == 400 and "at least 8 characters" in short.text
    differ = await post_page(client, "/reset-password", **{"password": "brand-new-pass-77", "confirm-password": "other"})
    assert differ.status_code == 400 and "same password" in differ.text
    response = await post_page(client, "/reset-password", **{"password": "brand-new-pass-77", "confirm-password": "brand-new-pass-77"})
    assert response.headers["location"] == "/auth-code"
    final = await client.get("/auth-code")
    assert "code" in redirect_params(final)
    assert (await read_outbox(services, citizen.email, last=True))[0]["template"] == "password-changed"
    user = await services.accounts.get(citizen.user_id)
    assert await services.accounts.check_password(user, "brand-new-pass-77")
    until = await mfa_change_blocked_until(services, citizen.user_id)
    assert until is not None and dt.timedelta(hours=47) < until - utcnow() <= dt.timedelta(hours=48)


async def test_reset_for_an_unknown_email_looks_the_same_and_sends_nothing(client, services):
    rp = await TestRP.create(services)
    from tests.support.rp import Citizen, new_email

    ghost = Citizen(new_email(), "whatever-123", None, "")
    await _to_password(client, rp, ghost)
    await client.get("/reset-password-request")
    response = await post_page(client, "/reset-password-request")
    assert response.headers["location"] == "/reset-password-check-email"
    page = await post_page(client, "/reset-password-check-email", code="123456")
    assert page.status_code == 400 and "not correct" in page.text
    assert await read_outbox(services, ghost.email) == []


async def test_six_reset_requests_then_too_many_for_15_minutes(client, services):
    rp = await TestRP.create(services)
    citizen = await make_citizen(services)
    await _to_password(client, rp, citizen)
    await client.get("/reset-password-request")
    response = await post_page(client, "/reset-password-request")
    for _ in range(5):  # 5 more ("send the code again")
        page = await post_page(client, "/reset-password-check-email", resend="1")
        assert page.status_code == 200 and "We sent you a new code" in page.text
    response = await post_page(client, "/reset-password-check-email", resend="1")
    assert response.headers["location"] == "/reset-password-requested-too-many-times"
    page = await client.get("/reset-password-requested-too-many-times")
    assert "You tried to reset your password too many times" in page.text and "15 minutes" in page.text
    assert len(await read_outbox(services, citizen.email)) == 6


async def test_a_lost_factor_with_a_recovery_code_sets_up_a_new_app(client, services):
    rp = await TestRP.create(services)
    citizen = await make_citizen(services)
    codes = await generate_recovery_codes(services, citizen.user_id)
    await _to_second_factor(client, rp, citizen)
    await client.get("/how-do-you-want-security-codes")
    page = await client.get("/cannot-use-security-codes")
    assert page.status_code == 200 and 'value="recovery_code"' in page.text
    response = await client.post("/cannot-use-security-codes", data={"csrf_token": csrf_of(page.text), "how": "recovery_code"})
    assert response.headers["location"] == "/enter-recovery-code"
    response = await post_page(client, "/enter-recovery-code", code=codes[0])
    assert response.headers["location"] == "/change-security-codes"
    page = await client.get("/change-security-codes")
    secret = re.search(r'<code id="secret-key"[^>]*>([A-Z2-7]+)</code>', page.text).group(1)
    response = await client.post("/change-security-codes", data={"csrf_token": csrf_of(page.text), "code": pyotp.TOTP(secret).now()})
    assert response.headers["location"] == "/change-codes-confirmed"
    page = await client.get("/change-codes-confirmed")
    new_codes = re.findall(r"<li><code>([a-z2-9-]+)</code></li>", page.text)
    assert len(new_codes) == 10
    response = await client.post("/change-codes-confirmed", data={"csrf_token": csrf_of(page.text)})
    assert response.headers["location"] == "/auth-code"
    assert "code" in redirect_params(await client.get("/auth-code"))
    assert await services.accounts.auth_app_secret(citizen.user_id) == secret
    assert not await use_recovery_code(services, citizen.user_id, codes[1])  # old set replaced
    assert await use_recovery_code(services, citizen.user_id, new_codes[0])


async def test_a_lost_factor_without_codes_waits_then_the_next_sign_in_sets_a_new_method(client, services, app):
    import httpx

    rp = await TestRP.create(services)
    citizen = await make_citizen(services)
    await _to_second_factor(client, rp, citizen)
    await client.get("/how-do-you-want-security-codes")
    page = await client.get("/cannot-use-security-codes")
    assert 'value="recovery_code"' not in page.text
    response = await client.post("/cannot-use-security-codes", data={"csrf_token": csrf_of(page.text), "how": "email"})
    assert response.headers["location"] == "/change-security-codes-check-email"
    response = await post_page(client, "/change-security-codes-check-email", code=await _last_code(services, citizen.email))
    assert response.headers["location"] == "/change-security-codes-requested"
    notice = (await read_outbox(services, citizen.email, last=True))[0]
    assert notice["template"] == "mfa-reset-requested" and "cancel-security-code-change?token=" in notice["body"]

    # Before the wait is over, a new sign-in still asks for the (lost) app.
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=services.settings.issuer_url()) as other:
        await _to_password(other, rp, citizen)
        response = await post_page(other, "/enter-password", password=citizen.password)
        assert response.headers["location"] == "/enter-authenticator-app-code"

    async with services.sessionmaker() as db, db.begin():
        await db.execute(update(MfaResetRequest).where(MfaResetRequest.user_id == citizen.user_id)
                         .values(available_at=utcnow() - dt.timedelta(seconds=1)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=services.settings.issuer_url()) as later:
        await _to_password(later, rp, citizen)
        response = await post_page(later, "/enter-password", password=citizen.password)
        assert response.headers["location"] == "/change-security-codes"
        page = await later.get("/change-security-codes")
        secret = re.search(r'<code id="secret-key"[^>]*>([A-Z2-7]+)</code>', page.text).group(1)
        wrong = await later.post("/change-security-codes", data={"csrf_token": csrf_of(page.text), "code": "000000"})
        assert wrong.status_code == 400 and "govuk-error-summary" in wrong.text
        response = await later.post("/change-security-codes", data={"csrf_token": csrf_of(page.text), "code": pyotp.TOTP(secret).now()})
        assert response.headers["location"] == "/change-codes-confirmed"


async def test_the_notice_email_cancels_the_change(client, services):
    rp = await TestRP.create(services)
    citizen = await make_citizen(services)
    await _to_second_factor(client, rp, citizen)
    await client.get("/how-do-you-want-security-codes")
    await client.get("/cannot-use-security-codes")
    await post_page(client, "/cannot-use-security-codes", how="email")
    await post_page(client, "/change-security-codes-check-email", code=await _last_code(services, citizen.email))
    token = (await read_outbox(services, citizen.email, last=True))[0]["personalisation"]["cancel_code"]
    page = await client.get(f"/cancel-security-code-change?token={token}")
    assert page.status_code == 200
    wrong = await client.post("/cancel-security-code-change", data={"token": "nope"})
    assert wrong.status_code == 400 and "govuk-error-summary" in wrong.text
    done = await client.post("/cancel-security-code-change", data={"token": token})
    assert done.status_code == 200 and "stopped" in done.text
    from govsignin.accounts.mfa import pending_mfa_reset

    assert await pending_mfa_reset(services, citizen.user_id) is None


async def test_the_new_password_follows_the_account_creation_rules(client, services):
    rp = await TestRP.create(services)
    citizen = await make_citizen(services)
    await _to_password(client, rp, citizen)
    await client.get("/reset-password-request")
    await post_page(client, "/reset-password-request")
    await post_page(client, "/reset-password-check-email", code=await _last_code(services, citizen.email))
    await post_page(client, "/reset-password-2fa-auth-app", code=citizen.code())
    common = await post_page(client, "/reset-password", **{"password": "password123", "confirm-password": "password123"})
    assert common.status_code == 400 and "stronger password" in common.text
    same = await post_page(client, "/reset-password", **{"password": citizen.password, "confirm-password": citizen.password})
    assert same.status_code == 400 and "already using that password" in same.text

"""Security of the account pages: the 48-hour block covers passkeys, every change of second
factors tells the owner, an account always keeps a second factor, one authenticator app per
account, the code that confirms an app is used up, a new password signs out other devices, and
the pages' POSTs are rate-limited."""

from __future__ import annotations

import asyncio
import json
import re
import time
from urllib.parse import urlencode

import httpx
import pyotp
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from govsignin.accounts import mfa
from govsignin.accounts.mfa import block_mfa_change
from govsignin.accounts.models import MfaMethod, Passkey
from govsignin.accounts.passkeys import expected_origin
from govsignin.accounts.recovery_codes import generate_recovery_codes
from govsignin.messaging.outbox import read_outbox
from tests.manage.support import account_client, error_summary, next_step, reprompt, submit
from tests.manage.test_activity_and_leaving import drain
from tests.protocol.test_logout import Receiver
from tests.support.rp import TestRP, code_for, csrf_of, make_citizen, post_page, sign_in
from tests.support.soft_passkey import SoftPasskey


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


async def _last_mail(services, email: str) -> dict:
    return (await read_outbox(services, email, last=True))[0]


async def _factors(services, user_id: str) -> tuple[set, int]:
    async with services.sessionmaker() as db:
        methods = {(m.kind, m.priority) for m in (await db.execute(
            select(MfaMethod).where(MfaMethod.user_id == user_id))).scalars()}
        passkeys = (await db.execute(select(func.count()).select_from(Passkey).where(Passkey.user_id == user_id))).scalar_one()
    return methods, passkeys


async def _passkey_only_account(services, user_id: str, count: int = 2) -> list[int]:
    """Replace the account's app by `count` passkeys (an account created with a passkey)."""
    from sqlalchemy import delete

    async with services.sessionmaker() as db, db.begin():
        await db.execute(delete(MfaMethod).where(MfaMethod.user_id == user_id))
    for _ in range(count):
        await SoftPasskey().register(services, user_id)
    async with services.sessionmaker() as db, db.begin():
        rows = (await db.execute(select(MfaMethod).where(MfaMethod.user_id == user_id, MfaMethod.kind == "passkey"))).scalars().all()
        for extra in rows[1:]:
            await db.delete(extra)
        rows[0].priority = "default"
        return list((await db.execute(select(Passkey.id).where(Passkey.user_id == user_id).order_by(Passkey.id))).scalars())


# --- 1. Passkeys and the 48-hour block; the owner hears of them -------------------------------------

async def test_passkeys_cannot_change_during_the_block_after_a_password_reset(client, services):
    citizen = await account_client(client, services)
    passkey = SoftPasskey()
    await passkey.register(services, citizen.user_id)
    passkey_id = (await _passkey_ids(services, citizen.user_id))[0]
    await reprompt(client, citizen, "/account/change-password")  # the password is fresh: only the block stops it
    await block_mfa_change(services, citizen.user_id)
    for path in ["/account/add-passkey", f"/account/remove-passkey?id={passkey_id}"]:
        shown = await client.get(path)
        assert shown.headers["location"] == "/account/cannot-change-security-codes", path
    page = await client.get("/account/enter-password")  # any form, for this session's CSRF token
    removed = await client.post("/account/remove-passkey", data={"csrf_token": csrf_of(page.text), "id": str(passkey_id)})
    assert removed.headers["location"] == "/account/cannot-change-security-codes"
    added = await client.post("/account/add-passkey", data={"csrf_token": csrf_of(page.text), "credential": "{}"})
    assert added.headers["location"] == "/account/cannot-change-security-codes"
    assert (await _factors(services, citizen.user_id))[1] == 1


async def _passkey_ids(services, user_id):
    async with services.sessionmaker() as db:
        return list((await db.execute(select(Passkey.id).where(Passkey.user_id == user_id).order_by(Passkey.id))).scalars())


async def test_adding_and_removing_a_passkey_emails_the_owner(client, services):
    citizen = await account_client(client, services)
    page = await reprompt(client, citizen, "/account/add-passkey")
    options = json.loads(re.search(r'id="passkey-options">(.*?)</script>', page.text, re.S).group(1))
    credential = SoftPasskey().attestation(options, expected_origin(services.settings))
    added = await client.post("/account/add-passkey", data={"csrf_token": csrf_of(page.text), "credential": credential})
    assert added.headers["location"] == "/account/security?updated=passkey-added"
    mail = await _last_mail(services, citizen.email)
    assert mail["template"] == "security-codes-changed" and mail["personalisation"]["change"] == "passkey added"

    passkey_id = (await _passkey_ids(services, citizen.user_id))[0]
    removed = await submit(client, f"/account/remove-passkey?id={passkey_id}", id=str(passkey_id))
    assert removed.headers["location"] == "/account/security?updated=passkey-removed"
    mail = await _last_mail(services, citizen.email)
    assert mail["template"] == "security-codes-changed" and mail["personalisation"]["change"] == "passkey removed"


# --- 2. Every security change tells the owner ---------------------------------------------------------

async def test_new_recovery_codes_email_the_owner(client, services):
    citizen = await account_client(client, services)
    await reprompt(client, citizen, "/account/recovery-codes")
    shown = await submit(client, "/account/recovery-codes")
    assert shown.status_code == 200
    mail = await _last_mail(services, citizen.email)
    assert mail["template"] == "security-codes-changed" and "recovery codes" in mail["personalisation"]["change"]


async def test_removing_a_backup_method_emails_the_owner(client, services):
    citizen = await account_client(client, services)
    async with services.sessionmaker() as db, db.begin():
        backup = MfaMethod(user_id=citizen.user_id, kind="sms", priority="backup", phone_number="+447911123456")
        db.add(backup)
    await reprompt(client, citizen, f"/account/remove-backup-method?id={backup.id}")
    removed = await submit(client, f"/account/remove-backup-method?id={backup.id}", id=str(backup.id))
    assert removed.headers["location"] == "/account/security?updated=backup-removed"
    mail = await _last_mail(services, citizen.email)
    assert mail["template"] == "security-codes-changed" and mail["personalisation"]["change"] == "backup method removed"


async def test_signing_in_with_a_recovery_code_emails_the_owner(client, services):
    rp = await TestRP.create(services)
    citizen = await make_citizen(services)
    codes = await generate_recovery_codes(services, citizen.user_id)
    await client.get("/authorize?" + urlencode(rp.authorize_params()))
    await post_page(client, "/sign-in-or-create")
    await post_page(client, "/enter-email", email=citizen.email)
    await post_page(client, "/enter-password", password=citizen.password)
    await post_page(client, "/how-do-you-want-security-codes", method="recovery_code")
    response = await post_page(client, "/enter-recovery-code", code=codes[0])
    assert response.headers["location"] == "/auth-code"
    mail = await _last_mail(services, citizen.email)
    assert mail["template"] == "recovery-code-used" and mail["personalisation"]["left"] == 9


# --- 3. Never without a second factor --------------------------------------------------------------

async def test_removing_in_any_order_never_leaves_the_account_without_a_factor(client, services):
    """A passkey default and a backup phone: remove the passkey, then try the phone."""
    citizen = await account_client(client, services)
    [passkey_id] = await _passkey_only_account(services, citizen.user_id, count=1)
    async with services.sessionmaker() as db, db.begin():
        phone = MfaMethod(user_id=citizen.user_id, kind="sms", priority="backup", phone_number="+447911123456")
        db.add(phone)
    await reprompt(client, citizen, f"/account/remove-passkey?id={passkey_id}")
    removed = await submit(client, f"/account/remove-passkey?id={passkey_id}", id=str(passkey_id))
    assert removed.headers["location"] == "/account/security?updated=passkey-removed"
    assert await _factors(services, citizen.user_id) == ({("sms", "default")}, 0)  # the phone is the default now
    page = await client.get("/account/enter-password")
    gone = await client.post("/account/remove-backup-method", data={"csrf_token": csrf_of(page.text), "id": str(phone.id)})
    assert gone.headers["location"] == "/account/security"
    assert await _factors(services, citizen.user_id) == ({("sms", "default")}, 0)


async def test_the_last_passkey_cannot_be_removed(client, services):
    citizen = await account_client(client, services)
    [passkey_id] = await _passkey_only_account(services, citizen.user_id, count=1)
    page = await reprompt(client, citizen, f"/account/remove-passkey?id={passkey_id}")
    refused = await client.post("/account/remove-passkey", data={"csrf_token": csrf_of(page.text), "id": str(passkey_id)})
    assert refused.status_code == 400 and "only way" in error_summary(refused.text)
    assert (await _factors(services, citizen.user_id))[1] == 1


async def test_two_removals_at_once_leave_one_passkey(app, client, services):
    """Two tabs remove the account's two passkeys at the same moment: one removal wins."""
    citizen = await account_client(client, services)
    first, second = await _passkey_only_account(services, citizen.user_id, count=2)
    page = await reprompt(client, citizen, f"/account/remove-passkey?id={first}")
    token = csrf_of(page.text)
    answers = await asyncio.gather(*[
        client.post("/account/remove-passkey", data={"csrf_token": token, "id": str(i)}) for i in (first, second)])
    assert sorted(r.status_code for r in answers) == [303, 400]
    assert await _factors(services, citizen.user_id) == ({("passkey", "default")}, 1)


async def test_concurrent_removals_in_the_service_keep_one_factor(services):
    for _ in range(5):
        citizen = await make_citizen(services)
        ids = await _passkey_only_account(services, citizen.user_id, count=3)
        results = await asyncio.gather(*[mfa.remove_passkey(services, citizen.user_id, i) for i in ids])
        assert sorted(results) == [False, True, True]
        assert await _factors(services, citizen.user_id) == ({("passkey", "default")}, 1)


# --- 4. One authenticator app per account -----------------------------------------------------------

async def test_a_second_app_through_the_url_replaces_the_first(client, services):
    citizen = await account_client(client, services)
    page = await reprompt(client, citizen, "/account/change-authenticator-app?backup=1")
    assert "Set up a backup authenticator app" not in page.text  # it would replace the app: said so
    secret = re.search(r'id="secret-key">([A-Z2-7 ]+)<', page.text).group(1).replace(" ", "")
    done = await client.post("/account/change-authenticator-app",
                             data={"csrf_token": csrf_of(page.text), "code": pyotp.TOTP(secret).now()})
    assert done.headers["location"] == "/account/security?updated=auth-app"
    assert await _factors(services, citizen.user_id) == ({("auth_app", "default")}, 0)
    # Sign-in accepts the new app's codes, not the old one's.
    assert await services.accounts.check_auth_app_code(citizen.user_id, pyotp.TOTP(secret).at(time.time() + 30))
    assert not await services.accounts.check_auth_app_code(citizen.user_id, next_step(citizen).code())


async def test_the_database_refuses_a_second_app(services):
    citizen = await make_citizen(services)
    with pytest.raises(IntegrityError):
        async with services.sessionmaker() as db, db.begin():
            db.add(MfaMethod(user_id=citizen.user_id, kind="auth_app", priority="backup",
                             secret_encrypted=services.accounts.box.encrypt(pyotp.random_base32())))


# --- 5. The code that confirms a new app is used up ---------------------------------------------------

async def test_the_code_that_confirms_a_new_app_cannot_sign_in_again(app, client, services):
    citizen = await account_client(client, services)
    page = await reprompt(client, citizen, "/account/change-authenticator-app")
    secret = re.search(r'id="secret-key">([A-Z2-7 ]+)<', page.text).group(1).replace(" ", "")
    code = pyotp.TOTP(secret).at(time.time() + 30)  # a step the sign-in above did not use
    done = await client.post("/account/change-authenticator-app", data={"csrf_token": csrf_of(page.text), "code": code})
    assert done.headers["location"] == "/account/security?updated=auth-app"
    # Someone who saw it type the code signs in elsewhere with the password and that code.
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=services.settings.issuer_url()) as other:
        await other.get("/account")
        await post_page(other, "/sign-in-or-create")
        await post_page(other, "/enter-email", email=citizen.email)
        await post_page(other, "/enter-password", password=citizen.password)
        replay = await post_page(other, "/enter-authenticator-app-code", code=code)
        assert replay.status_code == 400 and "location" not in replay.headers


# --- 6. A new password signs out the other devices ------------------------------------------------------

async def test_changing_the_password_signs_out_other_devices_and_tells_services(app, client, services, receiver):
    rp = await TestRP.create(services, backchannel_logout_uri=receiver.uri)
    citizen = await make_citizen(services)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=services.settings.issuer_url()) as other:
        await code_for(other, rp, citizen)  # device 2, signed in to a service
        await client.get("/account")
        await sign_in(client, next_step(citizen))  # device 1, on the account pages
        await reprompt(client, citizen, "/account/change-password")
        done = await submit(client, "/account/change-password", password="a-new-password-77",
                            **{"confirm-password": "a-new-password-77"})
        assert done.headers["location"] == "/account/security?updated=password"
        assert (await client.get("/account/security")).status_code == 200  # this browser stays signed in
        again = await other.get("/authorize?" + urlencode(rp.authorize_params(prompt="none")))
        assert "error=login_required" in again.headers["location"]
        assert (await other.get("/account")).headers["location"] == "/sign-in-or-create"
    await drain(services)
    jwks = KeySet.import_key_set((await client.get("/.well-known/jwks.json")).json())
    assert [jwt.decode(t, jwks).claims["aud"] for t in receiver.tokens] == [rp.client_id]


# --- 7. The account pages' POSTs are rate-limited ---------------------------------------------------------

async def test_account_posts_are_limited_per_session_and_per_ip(settings):
    from tests.ops.test_rate_limits import _ip, browser, instances

    async with instances(settings, count=1, ratelimit_account_per_session="3/minute",
                         ratelimit_account_per_ip="5/minute") as (settings, (services,), (app,)):
        ip = _ip()
        async with browser(app, settings, ip) as first, browser(app, settings, ip) as second:
            for http in (first, second):
                await account_client(http, services)
            token = csrf_of((await first.get("/account/enter-password")).text)
            for _ in range(3):
                assert (await first.post("/account/change-email", data={"csrf_token": token})).status_code == 303
            refused = await first.post("/account/change-email", data={"csrf_token": token})
            assert refused.status_code == 429 and int(refused.headers["retry-after"]) <= 60
            assert (await first.get("/account/security")).status_code == 200  # GETs are not counted
            token = csrf_of((await second.get("/account/enter-password")).text)
            for _ in range(2):  # another session from the same address: the address's limit
                assert (await second.post("/account/change-email", data={"csrf_token": token})).status_code == 303
            assert (await second.post("/account/global-logout", data={"csrf_token": token})).status_code == 429
        async with browser(app, settings, _ip()) as elsewhere:
            await account_client(elsewhere, services)
            token = csrf_of((await elsewhere.get("/account/enter-password")).text)
            assert (await elsewhere.post("/account/change-email", data={"csrf_token": token})).status_code == 303

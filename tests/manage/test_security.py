"""The security pages: auth required, CSRF, the password re-prompt, each change and its errors."""

import pyotp
import pytest

from govsignin.accounts.mfa import block_mfa_change
from govsignin.messaging.outbox import read_outbox
from tests.manage.support import account_client, error_summary, reprompt, submit
from tests.support.rp import csrf_of

SENSITIVE = ["/account/change-email", "/account/change-password", "/account/change-phone-number",
             "/account/change-authenticator-app", "/account/recovery-codes"]
GET_ONLY = {"/account", "/account/security", "/account/activity-history", "/account/cannot-change-security-codes"}
ALL_PAGES = ["/account", "/account/security", "/account/activity-history", "/account/global-logout",
             "/account/delete-account", "/account/cannot-change-security-codes", "/account/enter-password", *SENSITIVE]


@pytest.mark.parametrize("path", ALL_PAGES)
async def test_every_page_needs_a_signed_in_session(client, path):
    response = await client.get(path)
    assert response.status_code == 303 and response.headers["location"] == "/sign-in-or-create"
    response = await client.post(path, data={"csrf_token": "x"})
    if path in GET_ONLY:
        assert response.status_code == 405
    else:
        assert response.status_code == 303 and response.headers["location"] == "/sign-in-or-create"


async def test_posts_without_the_csrf_token_are_refused(client, services):
    citizen = await account_client(client, services)
    for path in ["/account/enter-password", "/account/global-logout", "/account/delete-account"]:
        response = await client.post(path, data={"password": citizen.password})
        assert response.status_code == 403, path
        response = await client.post(path, data={"csrf_token": "forged", "password": citizen.password})
        assert response.status_code == 403, path
    assert (await client.get("/account")).status_code == 200  # still signed in, nothing changed


async def test_sensitive_pages_ask_for_the_password_first(client, services):
    citizen = await account_client(client, services)
    for path in SENSITIVE:
        response = await client.get(path)
        assert response.headers["location"] == f"/account/enter-password?next={path}", path
    page = await client.get("/account/enter-password?next=/account/change-password")
    wrong = await client.post("/account/enter-password", data={"csrf_token": csrf_of(page.text),
                              "next": "/account/change-password", "password": "not-it-123"})
    assert wrong.status_code == 400 and "The password you entered is not correct" in error_summary(wrong.text)
    empty = await client.post("/account/enter-password", data={"csrf_token": csrf_of(page.text), "next": "/x"})
    assert empty.status_code == 400 and "Enter your password" in error_summary(empty.text)
    ok = await reprompt(client, citizen, "/account/change-password")
    assert ok.status_code == 200 and "Enter your new password" in ok.text
    # Once given, the other sensitive pages open without asking again (for 5 minutes).
    assert (await client.get("/account/change-email")).status_code == 200


async def test_the_reprompt_only_returns_to_account_pages(client, services):
    citizen = await account_client(client, services)
    page = await client.get("/account/enter-password")
    response = await client.post("/account/enter-password", data={
        "csrf_token": csrf_of(page.text), "next": "https://evil.example/", "password": citizen.password})
    assert response.headers["location"] == "/account/security"


async def test_six_wrong_passwords_lock_and_sign_out(client, services):
    await account_client(client, services)
    page = await client.get("/account/enter-password")
    token = csrf_of(page.text)
    for _ in range(5):
        r = await client.post("/account/enter-password", data={"csrf_token": token, "password": "wrong-pass-1"})
        assert r.status_code == 400
    r = await client.post("/account/enter-password", data={"csrf_token": token, "password": "wrong-pass-1"})
    assert r.status_code == 403 and "too many times" in r.text
    assert (await client.get("/account")).headers["location"] == "/sign-in-or-create"


async def test_change_email_with_a_code_to_the_new_address(client, services):
    citizen = await account_client(client, services)
    await reprompt(client, citizen, "/account/change-email")
    bad = await submit(client, "/account/change-email", email="not-an-email")
    assert bad.status_code == 400 and "correct format" in error_summary(bad.text)
    same = await submit(client, "/account/change-email", email=citizen.email)
    assert same.status_code == 400 and "already using" in error_summary(same.text)
    new = "new-" + citizen.email
    response = await submit(client, "/account/change-email", email=new.upper())
    assert response.headers["location"] == "/account/check-your-email"
    message = (await read_outbox(services, new, last=True))[0]
    assert message["template"] == "change-email-code"
    code = message["personalisation"]["code"]
    wrong = await submit(client, "/account/check-your-email", code=("000000" if code != "000000" else "111111"))
    assert wrong.status_code == 400 and "not correct" in error_summary(wrong.text)
    short = await submit(client, "/account/check-your-email", code="12")
    assert short.status_code == 400 and "only 6 digits" in error_summary(short.text)
    done = await submit(client, "/account/check-your-email", code=code)
    assert done.headers["location"] == "/account/security?updated=email"
    page = await client.get(done.headers["location"])
    assert "You have changed your email address" in page.text and new in page.text
    assert (await services.accounts.by_email(new)).id == citizen.user_id
    notice = (await read_outbox(services, citizen.email, last=True))[0]
    assert notice["template"] == "email-changed"


async def test_change_email_refuses_an_address_in_use(client, services):
    citizen = await account_client(client, services)
    from tests.support.rp import make_citizen

    other = await make_citizen(services)
    await reprompt(client, citizen, "/account/change-email")
    taken = await submit(client, "/account/change-email", email=other.email)
    assert taken.status_code == 400 and "already exists" in error_summary(taken.text)


async def test_change_password(client, services):
    citizen = await account_client(client, services)
    await reprompt(client, citizen, "/account/change-password")
    short = await submit(client, "/account/change-password", password="abc1", **{"confirm-password": "abc1"})
    assert short.status_code == 400 and "at least 8 characters" in error_summary(short.text)
    common = await submit(client, "/account/change-password", password="password1", **{"confirm-password": "password1"})
    assert common.status_code == 400 and "stronger password" in error_summary(common.text)
    mismatch = await submit(client, "/account/change-password", password="a-new-password-77", **{"confirm-password": "other-77x"})
    assert mismatch.status_code == 400 and "same password" in error_summary(mismatch.text)
    same = await submit(client, "/account/change-password", password=citizen.password, **{"confirm-password": citizen.password})
    assert same.status_code == 400 and "already using" in error_summary(same.text)
    done = await submit(client, "/account/change-password", password="a-new-password-77", **{"confirm-password": "a-new-password-77"})
    assert done.headers["location"] == "/account/security?updated=password"
    user = await services.accounts.get(citizen.user_id)
    assert await services.accounts.check_password(user, "a-new-password-77")
    assert not await services.accounts.check_password(user, citizen.password)
    assert (await read_outbox(services, citizen.email, last=True))[0]["template"] == "password-changed"


async def test_change_phone_number_with_an_sms_code(client, services):
    citizen = await account_client(client, services)
    await reprompt(client, citizen, "/account/change-phone-number")
    bad = await submit(client, "/account/change-phone-number", phone="12")
    assert bad.status_code == 400 and "mobile phone number" in error_summary(bad.text)
    response = await submit(client, "/account/change-phone-number", phone="07911 123456")
    assert response.headers["location"] == "/account/check-your-phone"
    message = (await read_outbox(services, "+447911123456", last=True))[0]
    assert message["channel"] == "sms" and message["template"] == "change-phone-code"
    done = await submit(client, "/account/check-your-phone", code=message["personalisation"]["code"])
    assert done.headers["location"] == "/account/security?updated=phone"
    assert (await services.accounts.get(citizen.user_id)).phone_number == "+447911123456"


async def test_change_authenticator_app(client, services):
    citizen = await account_client(client, services)
    page = await reprompt(client, citizen, "/account/change-authenticator-app")
    assert 'src="data:image/svg+xml' in page.text
    import re

    secret = re.search(r'id="secret-key">([A-Z2-7 ]+)<', page.text).group(1).replace(" ", "")
    wrong = await submit(client, "/account/change-authenticator-app", code="12345")
    assert wrong.status_code == 400 and "only 6 digits" in error_summary(wrong.text)
    done = await submit(client, "/account/change-authenticator-app", code=pyotp.TOTP(secret).now())
    assert done.headers["location"] == "/account/security?updated=auth-app"
    assert await services.accounts.auth_app_secret(citizen.user_id) == secret


async def test_security_code_changes_are_blocked_after_a_password_reset(client, services):
    citizen = await account_client(client, services)
    await block_mfa_change(services, citizen.user_id)
    for path in ["/account/change-authenticator-app", "/account/change-phone-number", "/account/recovery-codes"]:
        response = await client.get(path)
        assert response.headers["location"] == "/account/cannot-change-security-codes", path
    page = await client.get("/account/cannot-change-security-codes")
    assert page.status_code == 200 and "48 hours" in page.text
    # Email and password are not security codes: still allowed.
    assert "enter-password" in (await client.get("/account/change-password")).headers["location"]


async def test_new_recovery_codes(client, services):
    citizen = await account_client(client, services)
    page = await reprompt(client, citizen, "/account/recovery-codes")
    assert "0 unused recovery codes" in page.text
    shown = await submit(client, "/account/recovery-codes")
    assert shown.status_code == 200 and shown.text.count("<code>") == 10
    security = await client.get("/account/security")
    assert "10 unused recovery codes" in security.text


async def test_the_security_page_lists_sign_in_details(client, services):
    citizen = await account_client(client, services)
    page = await client.get("/account/security")
    assert page.status_code == 200
    assert citizen.email in page.text and "Authenticator app" in page.text and "Passkeys" in page.text


async def test_add_a_backup_phone_then_make_it_the_default(client, services):
    from sqlalchemy import select

    from govsignin.accounts.models import MfaMethod

    citizen = await account_client(client, services)
    page = await reprompt(client, citizen, "/account/change-phone-number?backup=1")
    assert "Enter the mobile phone number for your backup" in page.text
    response = await client.post("/account/change-phone-number", data={"csrf_token": csrf_of(page.text), "phone": "07911 123456"})
    assert response.headers["location"] == "/account/check-your-phone"
    code = (await read_outbox(services, "+447911123456", last=True))[0]["personalisation"]["code"]
    done = await submit(client, "/account/check-your-phone", code=code)
    assert done.headers["location"] == "/account/security?updated=backup-added"
    security = await client.get("/account/security")
    assert "Add a backup: text message" not in security.text
    async with services.sessionmaker() as db:
        rows = {(m.kind, m.priority): m for m in (await db.execute(select(MfaMethod).where(MfaMethod.user_id == citizen.user_id))).scalars()}
    assert set(rows) == {("auth_app", "default"), ("sms", "backup")}
    sms_id = rows[("sms", "backup")].id
    switched = await submit(client, f"/account/switch-methods?id={sms_id}", id=str(sms_id))
    assert switched.headers["location"] == "/account/security?updated=switched"
    async with services.sessionmaker() as db:
        rows = {(m.kind, m.priority) for m in (await db.execute(select(MfaMethod).where(MfaMethod.user_id == citizen.user_id))).scalars()}
    assert rows == {("auth_app", "backup"), ("sms", "default")}
    backup_id = rows and next(m.id for m in (await security_methods(services, citizen.user_id)) if m.priority == "backup")
    page = await client.get(f"/account/remove-backup-method?id={backup_id}")
    forged = await client.post("/account/remove-backup-method", data={"csrf_token": csrf_of(page.text), "id": "0"})
    assert forged.headers["location"] == "/account/security"  # a forged id is ignored
    removed = await client.post("/account/remove-backup-method", data={"csrf_token": csrf_of(page.text), "id": str(backup_id)})
    assert removed.headers["location"] == "/account/security?updated=backup-removed"


async def test_add_a_backup_authenticator_app(client, services):
    citizen = await make_phone_citizen(client, services)
    page = await reprompt(client, citizen, "/account/change-authenticator-app?backup=1")
    assert "Set up a backup authenticator app" in page.text
    import re

    secret = re.search(r'id="secret-key">([A-Z2-7 ]+)<', page.text).group(1).replace(" ", "")
    done = await client.post("/account/change-authenticator-app", data={"csrf_token": csrf_of(page.text), "code": pyotp.TOTP(secret).now()})
    assert done.headers["location"] == "/account/security?updated=backup-added"
    page = await client.get("/account/security")
    assert "Add a backup: authenticator app" not in page.text


async def make_phone_citizen(client, services):
    """A citizen with an authenticator app as default and nothing else: add the backup app after
    moving the default to a phone (the API's view: an app cannot be a backup of itself)."""
    from sqlalchemy import delete

    from govsignin.accounts.models import MfaMethod

    citizen = await account_client(client, services)
    async with services.sessionmaker() as db, db.begin():
        await db.execute(delete(MfaMethod).where(MfaMethod.user_id == citizen.user_id))
        db.add(MfaMethod(user_id=citizen.user_id, kind="sms", priority="default", phone_number="+447911123456"))
    return citizen


async def security_methods(services, user_id):
    from govsignin.accounts.mfa import second_factor_methods

    return await second_factor_methods(services, user_id)

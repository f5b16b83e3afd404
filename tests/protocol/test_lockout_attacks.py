"""Lockouts under attack: concurrent guesses, switching pages, long campaigns, and strangers
trying to lock a citizen out (docs/security.md, "Lockouts")."""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlencode

import httpx

from govsignin.messaging.outbox import read_outbox
from tests.support.rp import TestRP, csrf_of, make_citizen, post_page


async def _to_password(client, rp, email: str) -> None:
    await client.get("/authorize?" + urlencode(rp.authorize_params()))
    await post_page(client, "/sign-in-or-create")
    response = await post_page(client, "/enter-email", email=email)
    assert response.headers["location"] == "/enter-password"


async def _to_second_factor(client, rp, citizen) -> None:
    await _to_password(client, rp, citizen.email)
    response = await post_page(client, "/enter-password", password=citizen.password)
    assert response.headers["location"] == "/enter-authenticator-app-code"


async def _to_reset_second_factor(client, services, rp, citizen) -> None:
    """A password reset as far as its authenticator-app page (the email code is right)."""
    await _to_password(client, rp, citizen.email)
    await client.get("/reset-password-request")
    response = await post_page(client, "/reset-password-request")
    assert response.headers["location"] == "/reset-password-check-email"
    code = (await read_outbox(services, citizen.email, last=True))[0]["personalisation"]["code"]
    response = await post_page(client, "/reset-password-check-email", code=code)
    assert response.headers["location"] == "/reset-password-2fa-auth-app"


def _wrong(code: str) -> str:
    return f"{(int(code) + 500_000) % 1_000_000:06d}"


@contextlib.asynccontextmanager
async def _browsers(app, settings, count: int):
    transport = httpx.ASGITransport(app=app)
    async with contextlib.AsyncExitStack() as stack:
        yield [await stack.enter_async_context(httpx.AsyncClient(transport=transport, base_url=settings.issuer_url()))
               for _ in range(count)]


async def test_thirty_concurrent_wrong_passwords_get_at_most_six_checks(app, settings, services, monkeypatch):
    """Each attempt is counted before argon2 runs, so 30 guesses sent at once cannot all be
    checked against a counter none of them has incremented yet."""
    rp = await TestRP.create(services)
    citizen = await make_citizen(services)
    passwords = services.accounts.passwords
    verified = 0
    real_verify = passwords.verify

    async def counting_verify(*args, **kwargs):
        nonlocal verified
        verified += 1
        return await real_verify(*args, **kwargs)

    async with _browsers(app, settings, 30) as browsers:
        tokens = []
        for browser in browsers:  # 30 journeys for one account, each at the password page
            await _to_password(browser, rp, citizen.email)
            tokens.append(csrf_of((await browser.get("/enter-password")).text))
        monkeypatch.setattr(passwords, "verify", counting_verify)
        answers = await asyncio.gather(*(
            browser.post("/enter-password", data={"csrf_token": token, "password": f"wrong-guess-{i}"})
            for i, (browser, token) in enumerate(zip(browsers, tokens))
        ))
    wrong = [a for a in answers if a.status_code == 400 and "Incorrect email address or password" in a.text]
    locked = [a for a in answers if a.headers.get("location") == "/account-locked"]
    assert verified <= 6
    assert len(wrong) + len(locked) == 30 and len(wrong) <= 5 and len(locked) >= 25


async def test_twelve_concurrent_wrong_app_codes_get_at_most_six_checks(app, settings, services, monkeypatch):
    rp = await TestRP.create(services)
    citizen = await make_citizen(services)
    accounts = services.accounts
    checked = 0
    real_check = accounts.check_auth_app_code

    async def counting_check(*args, **kwargs):
        nonlocal checked
        checked += 1
        await asyncio.sleep(0.01)  # as a slow database read would: the others run meanwhile
        return await real_check(*args, **kwargs)

    async with _browsers(app, settings, 12) as browsers:
        tokens = []
        for browser in browsers:  # 12 journeys for one account, each past the password
            await _to_second_factor(browser, rp, citizen)
            tokens.append(csrf_of((await browser.get("/enter-authenticator-app-code")).text))
        monkeypatch.setattr(accounts, "check_auth_app_code", counting_check)
        wrong = _wrong(citizen.code())
        answers = await asyncio.gather(*(
            browser.post("/enter-authenticator-app-code", data={"csrf_token": token, "code": wrong})
            for browser, token in zip(browsers, tokens)
        ))
    refused = [a for a in answers if a.status_code == 400]
    locked = [a for a in answers if a.headers.get("location") == "/security-code-invalid"]
    assert checked <= 6
    assert len(refused) <= 5 and len(refused) + len(locked) == 12


async def test_a_sign_in_code_block_holds_in_a_password_reset(client, services):
    """One code counter per account: the reset's authenticator-app page refuses even the right
    code while the block that six wrong codes at sign-in started is in force."""
    rp = await TestRP.create(services)
    citizen = await make_citizen(services)
    await _to_second_factor(client, rp, citizen)
    wrong = _wrong(citizen.code())
    for _ in range(5):
        assert (await post_page(client, "/enter-authenticator-app-code", code=wrong)).status_code == 400
    response = await post_page(client, "/enter-authenticator-app-code", code=wrong)
    assert response.headers["location"] == "/security-code-invalid"

    client.cookies.clear()
    await _to_reset_second_factor(client, services, rp, citizen)
    response = await post_page(client, "/reset-password-2fa-auth-app", code=citizen.code())
    assert response.headers["location"] == "/security-code-invalid"
    assert "try again in 2 hours" in (await client.get("/security-code-invalid")).text


async def test_wrong_codes_in_a_reset_count_against_sign_in(client, services):
    """The other way: guesses spread over the reset's page and the sign-in page share one cap."""
    rp = await TestRP.create(services)
    citizen = await make_citizen(services)
    await _to_reset_second_factor(client, services, rp, citizen)
    wrong = _wrong(citizen.code())
    for _ in range(3):
        assert (await post_page(client, "/reset-password-2fa-auth-app", code=wrong)).status_code == 400

    client.cookies.clear()
    await _to_second_factor(client, rp, citizen)
    for _ in range(2):
        assert (await post_page(client, "/enter-authenticator-app-code", code=wrong)).status_code == 400
    response = await post_page(client, "/enter-authenticator-app-code", code=wrong)
    assert response.headers["location"] == "/security-code-invalid"


async def test_wrong_codes_in_create_an_account_never_block_the_owners_reset(client, services):
    """A stranger starts "Create an account" with a citizen's email and enters six wrong codes:
    that journey is blocked, the citizen's own password reset code still works."""
    rp = await TestRP.create(services)
    victim = await make_citizen(services)
    await client.get("/authorize?" + urlencode(rp.authorize_params()))
    await post_page(client, "/sign-in-or-create", choice="create")
    response = await post_page(client, "/enter-email-create", email=victim.email)
    assert response.headers["location"] == "/check-your-email"
    answers = [await post_page(client, "/check-your-email", code="123456") for _ in range(6)]
    assert all(a.status_code == 400 for a in answers[:5])
    assert answers[5].headers["location"] == "/security-code-entered-too-many-times"

    client.cookies.clear()  # the citizen, in their own browser
    await _to_reset_second_factor(client, services, rp, victim)


async def test_a_strangers_wrong_reset_codes_block_only_their_own_journey(app, settings, services):
    rp = await TestRP.create(services)
    victim = await make_citizen(services)
    async with _browsers(app, settings, 2) as (stranger, owner):
        await _to_password(stranger, rp, victim.email)
        await stranger.get("/reset-password-request")
        await post_page(stranger, "/reset-password-request")
        for _ in range(5):
            assert (await post_page(stranger, "/reset-password-check-email", code="000000")).status_code == 400
        response = await post_page(stranger, "/reset-password-check-email", code="000000")
        assert response.headers["location"] == "/security-code-invalid-recovery"
        await _to_reset_second_factor(owner, services, rp, victim)  # the owner's reset goes on


async def _hours_pass(services, user_id: str, hours: float, kind: str = "password") -> None:
    """Move the account's `kind` counters `hours` towards their expiry (the database's clock
    stays; the rows' expiry moves)."""
    from sqlalchemy import update

    from govsignin.accounts.lockout import _key, _long_key, account
    from govsignin.store.models import SecurityState

    keys = [_key(kind, account(user_id)), _long_key(kind, account(user_id))]
    t = SecurityState.__table__
    async with services.engine.begin() as conn:
        await conn.execute(update(t).where(t.c.key.in_(keys)).values(expires_at=t.c.expires_at - hours * 3600))


async def test_consecutive_failures_block_sign_in_until_a_password_reset(settings, services):
    """NIST SP 800-63B's cap on consecutive failures (100 by default; 8 here): the 2-hour
    blocks end, the count does not, and at the cap only a password reset lets the owner in."""
    from govsignin.app import create_app
    from govsignin.services import build_services

    capped = settings.model_copy(update={"max_consecutive_failures": 8})
    own = build_services(capped)
    try:
        app = create_app(capped, own)
        rp = await TestRP.create(own)
        citizen = await make_citizen(own)
        async with _browsers(app, capped, 1) as (browser,):
            await _to_password(browser, rp, citizen.email)
            for attempt in range(6):
                response = await post_page(browser, "/enter-password", password=f"wrong-{attempt}-password")
            assert response.headers["location"] == "/account-locked"
            await _hours_pass(own, citizen.user_id, 2.01)  # the 2-hour block ends
            browser.cookies.clear()
            await _to_password(browser, rp, citizen.email)
            assert (await post_page(browser, "/enter-password", password="wrong-7-password")).status_code == 400
            response = await post_page(browser, "/enter-password", password="wrong-8-password")
            assert response.headers["location"] == "/account-locked"

            await _hours_pass(own, citizen.user_id, 2.01)  # a 2-hour block would be over; this one is not
            browser.cookies.clear()
            await browser.get("/authorize?" + urlencode(rp.authorize_params()))
            await post_page(browser, "/sign-in-or-create")
            response = await post_page(browser, "/enter-email", email=citizen.email)
            assert response.headers["location"] == "/account-locked"
            page = await browser.get("/account-locked")
            assert "until you reset your password" in page.text and "2 hours" not in page.text
            assert "nes i chi ailosod eich cyfrinair" in (await browser.get("/account-locked?lng=cy")).text
            await browser.get("/account-locked?lng=en")

            # The page's link: a password reset (email code and second factor) lifts it.
            assert (await browser.get("/reset-password-request")).status_code == 200
            response = await post_page(browser, "/reset-password-request")
            assert response.headers["location"] == "/reset-password-check-email"
            code = (await read_outbox(own, citizen.email, last=True))[0]["personalisation"]["code"]
            response = await post_page(browser, "/reset-password-check-email", code=code)
            response = await post_page(browser, "/reset-password-2fa-auth-app", code=citizen.code())
            new = {"password": "a-new-password-42", "confirm-password": "a-new-password-42"}
            response = await post_page(browser, "/reset-password", **new)
            assert response.headers["location"] == "/auth-code"
            browser.cookies.clear()
            await _to_password(browser, rp, citizen.email)
            response = await post_page(browser, "/enter-password", password="a-new-password-42")
            assert response.headers["location"] == "/enter-authenticator-app-code"
    finally:
        await own.close()


async def test_consecutive_wrong_codes_block_until_new_second_factors(settings, services):
    from govsignin.app import create_app
    from govsignin.services import build_services

    capped = settings.model_copy(update={"max_consecutive_failures": 8})
    own = build_services(capped)
    try:
        app = create_app(capped, own)
        rp = await TestRP.create(own)
        citizen = await make_citizen(own)
        wrong = _wrong(citizen.code())
        async with _browsers(app, capped, 1) as (browser,):
            await _to_second_factor(browser, rp, citizen)
            for _ in range(6):
                response = await post_page(browser, "/enter-authenticator-app-code", code=wrong)
            assert response.headers["location"] == "/security-code-invalid"
            await _hours_pass(own, citizen.user_id, 2.01, kind="code")
            browser.cookies.clear()
            await _to_second_factor(browser, rp, citizen)
            assert (await post_page(browser, "/enter-authenticator-app-code", code=wrong)).status_code == 400
            response = await post_page(browser, "/enter-authenticator-app-code", code=wrong)
            assert response.headers["location"] == "/security-code-invalid"

            await _hours_pass(own, citizen.user_id, 2.01, kind="code")
            browser.cookies.clear()
            await _to_second_factor(browser, rp, citizen)
            response = await post_page(browser, "/enter-authenticator-app-code", code=citizen.code())
            assert response.headers["location"] == "/security-code-invalid"  # even the right code
            page = await browser.get("/security-code-invalid")
            assert "until you change how you get security codes" in page.text and "2 hours" not in page.text
            assert (await browser.get("/cannot-use-security-codes")).status_code == 200  # the page's link
        assert await own.lockouts.held_until_recovery("code", citizen.user_id)
        await own.lockouts.lift("code", citizen.user_id)  # what new second factors do
        assert not await own.lockouts.held_until_recovery("code", citizen.user_id)
    finally:
        await own.close()


async def test_a_success_resets_the_consecutive_failure_count(settings, services):
    from govsignin.accounts.lockout import Lockouts, account

    lockouts = Lockouts(settings.model_copy(update={"max_consecutive_failures": 8}), services.security_state)
    citizen = await make_citizen(services)

    async def fail_once() -> bool:
        attempt = await lockouts.attempt("code", account(citizen.user_id))
        return attempt.blocked or await attempt.failed()

    for _ in range(5):
        assert not await fail_once()
    await (await lockouts.attempt("code", account(citizen.user_id))).succeeded()
    for _ in range(5):
        assert not await fail_once()  # 10 failures in all, but never 8 in a row

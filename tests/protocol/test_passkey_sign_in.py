"""Signing in with a passkey without telling anyone which accounts exist (in process).

The passkey is offered on /enter-email to everyone, with discoverable-credential options (no
allowCredentials), and the page after the email is the same whatever the email: an account with a
passkey, one without, or none. A software passkey (tests/support/soft_passkey.py) answers the
options as a browser would.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from sqlalchemy import delete, select

from govsignin.accounts.lockout import account
from govsignin.accounts.models import Passkey
from govsignin.audit.models import AuditEvent, events_of
from govsignin.web import metrics
from tests.support.rp import TestRP, csrf_of, make_citizen, new_email, post_page, redirect_params
from tests.support.soft_passkey import SoftPasskey, b64url

ERROR = "We could not sign you in with your passkey. Try again, or enter your email address"


async def at_email_page(client, rp, **params):
    response = await client.get("/authorize?" + urlencode(rp.authorize_params(**params)))
    assert response.headers["location"] == "/sign-in-or-create"
    response = await post_page(client, "/sign-in-or-create")
    assert response.headers["location"] == "/enter-email"
    return await client.get("/enter-email")


async def options_for(client) -> dict:
    page = await client.get("/enter-email")
    response = await client.post("/enter-email/passkey-options", data={"csrf_token": csrf_of(page.text)})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-store"
    return response.json()


async def post_credential(client, credential: str):
    page = await client.get("/enter-email")
    return await client.post("/enter-email", data={"csrf_token": csrf_of(page.text), "action": "passkey",
                                                "credential": credential})


def origin(settings) -> str:
    return settings.issuer_url().rstrip("/")


def error_summary(html: str) -> str:
    match = re.search(r'<div class="govuk-error-summary".*?</div>\s*</div>', html, re.S)
    assert match, "no error summary"
    return match.group(0)


def _normalised(html: str, email: str) -> str:
    html = html.replace(email, "EMAIL")
    html = re.sub(r'nonce="[^"]+"', 'nonce=""', html)
    return re.sub(r'name="csrf_token" value="[^"]+"', 'name="csrf_token" value=""', html)


async def test_the_page_after_the_email_is_the_same_with_a_passkey_without_one_and_for_no_account(app, services, settings):
    import httpx

    rp = await TestRP.create(services)
    with_passkey, without = await make_citizen(services), await make_citizen(services)
    await SoftPasskey().register(services, with_passkey.user_id)
    seen = []
    for email in (with_passkey.email, without.email, new_email()):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=settings.issuer_url()) as client:
            await at_email_page(client, rp)
            # webauthn=1 is what a WebAuthn-capable browser's email form used to carry.
            response = await post_page(client, "/enter-email", email=email, webauthn="1")
            following = await client.get(response.headers["location"])
            seen.append((response.status_code, response.headers["location"], following.status_code,
                         _normalised(following.text, email)))
    assert seen[0][:3] == (303, "/enter-password", 200)
    assert seen[0] == seen[1] == seen[2]
    assert "passkey" not in seen[0][3].lower()


async def test_the_email_page_offers_a_passkey_to_everyone_with_options_naming_no_credentials(client, services, settings):
    rp = await TestRP.create(services)
    citizen = await make_citizen(services)
    await SoftPasskey().register(services, citizen.user_id)
    page = await at_email_page(client, rp)
    assert 'id="passkey-sign-in" hidden' in page.text and 'autocomplete="username webauthn"' in page.text
    assert '<script type="module" src="/static/passkey-sign-in.js"></script>' in page.text  # external: CSP
    options = await options_for(client)
    assert options.get("allowCredentials", []) == []  # discoverable credentials: any passkey for this site
    assert options["userVerification"] == "required" and options["rpId"] == "localhost"
    assert len(options["challenge"]) >= 43

    # Still none after an account with a passkey has been named in this journey (back to the email page).
    await post_page(client, "/enter-email", email=citizen.email)
    again = await options_for(client)
    assert again.get("allowCredentials", []) == [] and again["challenge"] != options["challenge"]


async def test_options_only_while_the_journey_is_at_the_email_page(client, services):
    rp = await TestRP.create(services)
    no_journey = await client.post("/enter-email/passkey-options", data={"csrf_token": "x"})
    assert "application/json" not in no_journey.headers.get("content-type", "")
    page = await at_email_page(client, rp)
    forged = await client.post("/enter-email/passkey-options", data={"csrf_token": "not-the-token"})
    assert forged.status_code == 403
    assert (await client.get("/enter-email/passkey-options")).status_code == 405
    await post_page(client, "/enter-email", email=new_email())
    later = await client.post("/enter-email/passkey-options", data={"csrf_token": csrf_of(page.text)})
    assert later.status_code == 303 and later.headers["location"] == "/enter-password"


def _sign_ins(outcome: str) -> float:
    return metrics.SIGN_IN_ATTEMPTS.labels("passkey", outcome)._value.get()


async def test_a_passkey_at_the_email_page_signs_in_with_both_factors(client, services, settings):
    rp = await TestRP.create(services)
    citizen = await make_citizen(services)
    passkey = SoftPasskey()
    await passkey.register(services, citizen.user_id)
    await at_email_page(client, rp)
    before = _sign_ins("success")

    response = await post_credential(client, passkey.assertion(await options_for(client), origin(settings)))
    assert response.status_code == 303 and response.headers["location"] == "/auth-code"
    code = redirect_params(await client.get("/auth-code"))["code"]
    body = (await rp.token(client, code)).json()
    claims = (await rp.verify_id_token(client, body["id_token"]))["claims"]
    assert claims["vot"] == "Cl.Cm"
    info = (await client.get("/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"})).json()
    assert info["email"] == citizen.email
    assert _sign_ins("success") == before + 1
    async with services.sessionmaker() as db:
        stored = (await db.execute(select(Passkey).where(Passkey.user_id == citizen.user_id))).scalar_one()
        tags = set((await db.execute(select(AuditEvent.tag).where(events_of(citizen.user_id)))).scalars())
    assert stored.sign_count == 1 and stored.last_used_at is not None
    assert {"account:passkey:sign_in", "account:login:success"} <= tags, tags


async def test_unknown_removed_or_unverified_passkeys_get_one_error_and_no_hint(client, services, settings):
    rp = await TestRP.create(services)
    citizen = await make_citizen(services)
    removed = SoftPasskey()
    await removed.register(services, citizen.user_id)
    async with services.sessionmaker() as db, db.begin():
        await db.execute(delete(Passkey).where(Passkey.credential_id == b64url(removed.credential_id)))
    mine = SoftPasskey()
    await mine.register(services, citizen.user_id)
    await at_email_page(client, rp)
    before = _sign_ins("failure")

    attempts = {
        "unknown": lambda o: SoftPasskey().assertion(o, origin(settings)),
        "removed": lambda o: removed.assertion(o, origin(settings)),
        "no user verification": lambda o: mine.assertion(o, origin(settings), user_verified=False),
        "another user handle": lambda o: mine.assertion(o, origin(settings), user_handle=b"x" * 32),
        "another origin": lambda o: mine.assertion(o, "https://evil.example"),
        "not json": lambda o: "{not json",
        "empty (cancelled)": lambda o: "",
    }
    bodies = []
    for name, make in attempts.items():
        response = await post_credential(client, make(await options_for(client)))
        assert response.status_code == 400, name
        summary = error_summary(response.text)
        assert ERROR in summary and 'href="#passkey-button"' in summary, name
        assert citizen.email not in response.text, name
        bodies.append(_normalised(response.text, citizen.email))
    assert len(set(bodies)) == 1  # the same page whatever went wrong
    assert _sign_ins("failure") == before + len(attempts)
    async with services.sessionmaker() as db:
        assert (await db.execute(select(Passkey.sign_count).where(Passkey.user_id == citizen.user_id))).scalar_one() == 0


async def test_the_challenge_is_single_use_and_bound_to_its_journey(app, client, services, settings):
    import httpx

    rp = await TestRP.create(services)
    citizen = await make_citizen(services)
    passkey = SoftPasskey()
    await passkey.register(services, citizen.user_id)
    await at_email_page(client, rp)
    options = await options_for(client)

    # Another browser's journey cannot use this journey's challenge.
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=settings.issuer_url()) as other:
        await at_email_page(other, rp)
        await options_for(other)
        stolen = await post_credential(other, passkey.assertion(options, origin(settings)))
        assert stolen.status_code == 400 and ERROR in stolen.text

    replayable = passkey.assertion(options, origin(settings))
    assert (await post_credential(client, replayable)).headers["location"] == "/auth-code"
    await at_email_page(client, rp)  # a new journey in the same browser
    await options_for(client)
    replayed = await post_credential(client, replayable)
    assert replayed.status_code == 400 and ERROR in replayed.text


async def test_a_locked_account_gets_the_locked_page_even_with_its_passkey(client, services, settings):
    rp = await TestRP.create(services)
    citizen = await make_citizen(services)
    passkey = SoftPasskey()
    await passkey.register(services, citizen.user_id)
    while not await services.lockouts.fail("password", account(citizen.user_id)):
        pass
    await at_email_page(client, rp)
    response = await post_credential(client, passkey.assertion(await options_for(client), origin(settings)))
    assert response.headers["location"] == "/account-locked"
    await services.lockouts.clear("password", account(citizen.user_id))


async def test_reauthentication_with_someone_elses_passkey_is_login_required(client, services, settings):
    from tests.support.rp import code_for

    rp = await TestRP.create(services, alg="RS256")
    citizen, other = await make_citizen(services), await make_citizen(services)
    theirs = SoftPasskey()
    await theirs.register(services, other.user_id)
    code, _ = await code_for(client, rp, citizen)
    id_token = (await rp.token(client, code)).json()["id_token"]
    params = rp.authorize_params()
    request_object = rp.request_object(**{**params, "prompt": "login", "id_token_hint": id_token})
    query = {"response_type": "code", "scope": params["scope"], "client_id": rp.client_id, "request": request_object}
    assert (await client.get("/authorize?" + urlencode(query))).headers["location"] == "/enter-email"
    response = await post_credential(client, theirs.assertion(await options_for(client), origin(settings)))
    assert response.headers["location"] == "/auth-code"
    assert redirect_params(await client.get("/auth-code"))["error"] == "login_required"


async def test_a_journey_saved_at_a_page_this_release_does_not_have_starts_again(client, services):
    rp = await TestRP.create(services)
    citizen = await make_citizen(services)
    await at_email_page(client, rp)
    await post_page(client, "/enter-email", email=citizen.email)
    # As a deploy finds a journey that an older table had sent to a page since removed.
    session = await services.sessions.load(client.cookies.get(services.sessions.cookie_name))
    session.journey["state"] = "sign-in-passkey"
    await services.sessions.save_keeping_idle(session)
    response = await client.get("/enter-password")
    assert response.status_code == 200 and "You need to start again" in response.text

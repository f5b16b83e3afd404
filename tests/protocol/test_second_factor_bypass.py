"""Nobody signs in as someone else: every verified fact is bound to the account it was proven
for, so changing the account (or going back to the start) forgets it.

The attacker knows the victim's email and password, not their second factor. Each test is a
way that once gave the attacker a `Cl.Cm` code or session for the victim."""

from urllib.parse import urlencode

from tests.journeys.test_create_account import NEW_PASSWORD, code_sent_to, start
from tests.support.rp import TestRP, make_citizen, new_email, post_page, redirect_params


async def _victims_password_after(client, victim):
    """Sign in as the victim with the password alone, from wherever the journey is now."""
    response = await post_page(client, "/sign-in-or-create")
    assert response.headers["location"] == "/enter-email"
    response = await post_page(client, "/enter-email", email=victim.email)
    assert response.headers["location"] == "/enter-password"
    return await post_page(client, "/enter-password", password=victim.password)


async def _no_code_and_no_session_for(client, rp, services, victim):
    final = await client.get("/auth-code")
    assert "code" not in redirect_params(final) if final.status_code in (302, 303) else True
    assert final.status_code != 302 or not final.headers["location"].startswith(rp.redirect_uri)
    # Nor a signed-in session: a silent request gets no code.
    silent = await client.get("/authorize?" + urlencode(rp.authorize_params(prompt="none")))
    assert "code" not in redirect_params(silent), silent.headers["location"]
    account = await client.get("/account")
    assert victim.email not in account.text


async def test_an_unfinished_account_creation_does_not_lend_its_second_factor_to_the_victim(client, services):
    rp = await TestRP.create(services)
    victim = await make_citizen(services)
    await start(client, rp)
    mine = new_email()
    await post_page(client, "/enter-email-create", email=mine)
    await post_page(client, "/check-your-email", code=await code_sent_to(services, mine))
    await post_page(client, "/create-password", password=NEW_PASSWORD, **{"confirm-password": NEW_PASSWORD})
    await post_page(client, "/get-security-codes", choice="auth_app")
    setup = await client.get("/setup-authenticator-app")
    import re

    import pyotp

    secret = re.search(r"([A-Z2-7]{4}(?: [A-Z2-7]{4}){7})", setup.text).group(1).replace(" ", "")
    response = await post_page(client, "/setup-authenticator-app", code=pyotp.TOTP(secret).now())
    assert response.headers["location"] == "/account-created"
    # Don't press Continue: start again and sign in as the victim.
    back = await client.get("/sign-in-or-create")
    assert back.status_code == 200
    response = await _victims_password_after(client, victim)
    assert response.headers["location"] == "/enter-authenticator-app-code"  # the victim's factor is asked
    await _no_code_and_no_session_for(client, rp, services, victim)


async def test_going_back_to_the_email_page_after_your_own_second_factor_forgets_it(client, services):
    rp = await TestRP.create(services)
    attacker, victim = await make_citizen(services), await make_citizen(services)
    await client.get("/authorize?" + urlencode(rp.authorize_params()))
    await post_page(client, "/sign-in-or-create")
    await post_page(client, "/enter-email", email=attacker.email)
    await post_page(client, "/enter-password", password=attacker.password)
    response = await post_page(client, "/enter-authenticator-app-code", code=attacker.code())
    assert response.headers["location"] == "/auth-code"  # not followed
    again = await client.get("/enter-email")
    assert again.status_code == 200
    response = await post_page(client, "/enter-email", email=victim.email)
    assert response.headers["location"] == "/enter-password"
    response = await post_page(client, "/enter-password", password=victim.password)
    assert response.headers["location"] == "/enter-authenticator-app-code"
    await _no_code_and_no_session_for(client, rp, services, victim)


async def test_a_code_needs_the_second_factor_of_the_account_it_is_for(client, services):
    """The level is derived from bound facts only: a Cl.Cm request never gets a code on the
    password alone, even when the table is reached in an order it was not written for."""
    rp = await TestRP.create(services)
    victim = await make_citizen(services)
    await client.get("/authorize?" + urlencode(rp.authorize_params()))
    response = await _victims_password_after(client, victim)
    assert response.headers["location"] == "/enter-authenticator-app-code"
    final = await client.get("/auth-code")
    assert final.status_code == 303 and final.headers["location"] == "/enter-authenticator-app-code"


async def test_a_sign_in_that_passed_the_old_password_ends_when_the_owner_signs_out_everywhere(client, services):
    rp = await TestRP.create(services)
    victim = await make_citizen(services)
    await client.get("/authorize?" + urlencode(rp.authorize_params(vtr='["Cl"]')))
    await post_page(client, "/sign-in-or-create")
    await post_page(client, "/enter-email", email=victim.email)
    response = await post_page(client, "/enter-password", password=victim.password)
    assert response.headers["location"] == "/auth-code"  # stopped here
    await services.sessions.end_all_for_user(victim.user_id)  # the owner signs out of all devices
    final = await client.get("/auth-code")
    assert final.status_code == 200 and "You need to start again" in final.text

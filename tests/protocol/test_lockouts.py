"""One Login's lockouts: 6 wrong passwords or codes, then 2 hours (onelogin-contract.md §2)."""

from urllib.parse import urlencode

from tests.support.rp import TestRP, make_citizen, new_email, post_page


async def start(client, rp):
    await client.get("/authorize?" + urlencode(rp.authorize_params()))
    await post_page(client, "/sign-in-or-create")


async def test_six_wrong_passwords_block_sign_in_for_two_hours(client, services):
    rp = await TestRP.create(services)
    citizen = await make_citizen(services)
    await start(client, rp)
    await post_page(client, "/enter-email", email=citizen.email)
    for attempt in range(5):
        response = await post_page(client, "/enter-password", password=f"wrong-{attempt}-password")
        assert response.status_code == 400
        assert "Incorrect email address or password" in response.text
        assert 'class="govuk-error-summary' in response.text
    response = await post_page(client, "/enter-password", password="wrong-6-password")
    assert response.headers["location"] == "/account-locked"
    assert "try again in 2 hours" in (await client.get("/account-locked")).text

    # The block holds for a new journey, even with the right password, and survives in the store.
    await start(client, rp)
    response = await post_page(client, "/enter-email", email=citizen.email)
    assert response.headers["location"] == "/account-locked"
    assert await services.lockouts.is_blocked("password", f"account:{citizen.user_id}")


async def test_unknown_emails_behave_exactly_like_known_ones(client, services):
    rp = await TestRP.create(services)
    await start(client, rp)
    response = await post_page(client, "/enter-email", email=new_email())
    assert response.headers["location"] == "/enter-password"
    response = await post_page(client, "/enter-password", password="anything-at-all-1")
    assert response.status_code == 400 and "Incorrect email address or password" in response.text


async def test_six_wrong_codes_block_for_two_hours(client, services):
    rp = await TestRP.create(services)
    citizen = await make_citizen(services)
    await start(client, rp)
    await post_page(client, "/enter-email", email=citizen.email)
    await post_page(client, "/enter-password", password=citizen.password)
    wrong = "000000" if citizen.code() != "000000" else "111111"
    for _ in range(5):
        response = await post_page(client, "/enter-authenticator-app-code", code=wrong)
        assert response.status_code == 400
    response = await post_page(client, "/enter-authenticator-app-code", code=wrong)
    assert response.headers["location"] == "/security-code-invalid"
    assert await services.lockouts.is_blocked("code", f"account:{citizen.user_id}")


async def test_a_used_authenticator_code_cannot_be_replayed(services):
    citizen = await make_citizen(services)
    code = citizen.code()
    assert await services.accounts.check_auth_app_code(citizen.user_id, code)
    assert not await services.accounts.check_auth_app_code(citizen.user_id, code)

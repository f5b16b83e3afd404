"""/account: sign-in when needed, and the services used."""

from urllib.parse import urlencode

from tests.manage.support import account_client
from tests.support.rp import TestRP, code_for, make_citizen, post_page


async def test_an_unauthenticated_visit_signs_in_and_comes_back(client, services):
    citizen = await account_client(client, services)
    page = await client.get("/account")
    assert page.status_code == 200
    assert "Your GOV.UK account" in page.text and citizen.email in page.text
    assert "You have not used any services" in page.text


async def test_a_deep_link_comes_back_to_that_page(client, services):
    citizen = await make_citizen(services)
    response = await client.get("/account/activity-history")
    assert response.headers["location"] == "/sign-in-or-create"
    from tests.support.rp import sign_in

    final = await sign_in(client, citizen)
    assert final.headers["location"] == "/account/activity-history"


async def test_a_session_signed_in_at_cl_only_asks_for_the_second_factor(client, services):
    rp = await TestRP.create(services, name="Low service")
    citizen = await make_citizen(services)
    await code_for(client, rp, citizen, vtr='["Cl"]')
    response = await client.get("/account")
    assert response.headers["location"] == "/enter-authenticator-app-code"
    response = await post_page(client, "/enter-authenticator-app-code", code=citizen.code())
    assert response.headers["location"] == "/auth-code"
    assert (await client.get("/auth-code")).headers["location"] == "/account"
    page = await client.get("/account")
    assert "Low service" in page.text and "Last used" in page.text


async def test_services_used_are_listed_with_last_used(client, services):
    first = await TestRP.create(services, name="Check your State Pension")
    second = await TestRP.create(services, name="Apply for a fishing licence")
    citizen = await make_citizen(services)
    await code_for(client, first, citizen)
    response = await client.get("/authorize?" + urlencode(second.authorize_params()))
    assert "code=" in response.headers["location"]
    page = await client.get("/account")
    assert page.status_code == 200
    assert "Check your State Pension" in page.text and "Apply for a fishing licence" in page.text
    assert page.text.index("Apply for a fishing licence") < page.text.index("Check your State Pension")  # newest first


async def test_the_journey_for_the_account_does_not_become_a_code(client, services):
    await account_client(client, services)
    # The journey ended at /account; /auth-code now has nothing to finish.
    again = await client.get("/auth-code")
    assert again.status_code == 200 and "session-expired" not in again.headers.get("location", "")

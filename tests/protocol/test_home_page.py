"""The provider's home page says what it is and leads into "Your account" through the same
sign-in journey, landing on the account pages."""

import re

from tests.support.rp import make_citizen, post_page


async def test_the_home_page_signs_a_citizen_in_to_their_account(client, services):
    citizen = await make_citizen(services)
    home = await client.get("/")
    assert home.status_code == 200
    link = re.search(r'<a href="([^"]+)"[^>]*class="govuk-button govuk-button--start"', home.text)
    assert link and "Sign in to your account" in home.text
    response = await client.get(link.group(1))
    assert response.status_code == 303 and response.headers["location"] == "/sign-in-or-create"
    await post_page(client, "/sign-in-or-create")
    await post_page(client, "/enter-email", email=citizen.email)
    await post_page(client, "/enter-password", password=citizen.password)
    response = await post_page(client, "/enter-authenticator-app-code", code=citizen.code())
    assert response.headers["location"] == "/auth-code"
    response = await client.get("/auth-code")
    assert response.headers["location"] == "/account"
    account = await client.get("/account")
    assert account.status_code == 200 and citizen.email in account.text


async def test_the_home_page_in_welsh(client):
    home = await client.get("/", cookies={"lng": "cy"})
    assert "Mewngofnodi i’ch cyfrif" in home.text

"""The journey's pages cannot be reached out of order; stale tabs, double submits, expired
journeys and missing CSRF tokens each land somewhere sensible (never a 500)."""

from urllib.parse import urlencode

from tests.support.rp import TestRP, csrf_of, make_citizen, post_page


async def test_without_a_journey_pages_say_start_again(client):
    for path in ("/enter-email", "/enter-password", "/enter-authenticator-app-code", "/auth-code"):
        response = await client.get(path)
        assert response.status_code == 200 and "You need to start again" in response.text


async def test_jumping_ahead_goes_back_to_where_the_journey_is(client, services):
    rp = await TestRP.create(services)
    await client.get("/authorize?" + urlencode(rp.authorize_params()))
    for path in ("/enter-password", "/enter-authenticator-app-code", "/auth-code", "/account-locked"):
        response = await client.get(path)
        assert response.status_code == 303 and response.headers["location"] == "/sign-in-or-create", path


async def test_the_back_button_revisits_earlier_pages(client, services):
    rp = await TestRP.create(services)
    citizen = await make_citizen(services)
    await client.get("/authorize?" + urlencode(rp.authorize_params()))
    await post_page(client, "/sign-in-or-create")
    await post_page(client, "/enter-email", email=citizen.email)
    response = await client.get("/enter-email")  # back
    assert response.status_code == 200 and citizen.email in response.text
    response = await post_page(client, "/enter-email", email=citizen.email)
    assert response.headers["location"] == "/enter-password"


async def test_a_post_from_a_stale_tab_lands_on_the_current_page(client, services):
    rp = await TestRP.create(services)
    citizen = await make_citizen(services)
    await client.get("/authorize?" + urlencode(rp.authorize_params()))
    page = await client.get("/sign-in-or-create")
    token = csrf_of(page.text)
    await client.post("/sign-in-or-create", data={"csrf_token": token})
    await post_page(client, "/enter-email", email=citizen.email)
    again = await client.post("/sign-in-or-create", data={"csrf_token": token})  # double submit
    assert again.status_code == 303 and again.headers["location"] == "/enter-password"


async def test_posts_without_the_csrf_token_are_refused(client, services):
    rp = await TestRP.create(services)
    await client.get("/authorize?" + urlencode(rp.authorize_params()))
    response = await client.post("/sign-in-or-create", data={})
    assert response.status_code == 403 and "You need to start again" in response.text


async def test_form_errors_use_the_govuk_error_summary(client, services):
    rp = await TestRP.create(services)
    await client.get("/authorize?" + urlencode(rp.authorize_params()))
    await post_page(client, "/sign-in-or-create")
    response = await post_page(client, "/enter-email", email="")
    assert response.status_code == 400
    assert "Enter your email address" in response.text
    assert '<span class="govuk-visually-hidden">Error:</span>' in response.text
    assert "<title>Error:" in response.text
    response = await post_page(client, "/enter-email", email="not-an-email")
    assert "Enter an email address in the correct format" in response.text

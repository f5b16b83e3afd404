"""The development credential issuers' pages, served by a development provider, pass axe,
reflow at 320 px and reach their main action by keyboard: a tester walks them in a browser."""

from __future__ import annotations

import pytest

from govsignin.config import Settings
from tests.support.a11y import check_page
from tests.support.live import LiveServer

pytestmark = pytest.mark.browser

KENNETH = {"name": [{"nameParts": [{"type": "GivenName", "value": "Kenneth"}, {"type": "FamilyName", "value": "Decerqueira"}]}],
           "birthDate": [{"value": "1965-07-08"}]}


@pytest.fixture(scope="module")
def development(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("devissuers-browser")
    server = LiveServer(database_url=f"sqlite+aiosqlite:///{tmp / 'g.db'}",
                        extra_env={"GOVSIGNIN_ENV": "development", "GOVSIGNIN_DEV_ISSUERS_KEY_DIR": str(tmp / "keys")})
    server.start()
    yield server, Settings(env="development", database_url=server.database_url, issuer=server.url,
                           port=server.port, dev_issuers_key_dir=str(tmp / "keys"))
    server.stop()


@pytest.fixture(scope="module")
async def identity(development):
    from govsignin.devissuers.mount import dev_issuer_routes
    from govsignin.services import build_services

    services = build_services(development[1])
    dev_issuer_routes(development[1], services)  # the issuers' registrations, as the server has them
    yield services.identity
    await services.close()


async def open_issuer(page, identity, name):
    url = await identity.authorization_url(name, sub="urn:fdc:gov.uk:2022:a11y", state="s", journey_id="j", shared_claims=KENNETH)
    await page.goto(url)


async def submit(page):
    async with page.expect_navigation():
        await page.locator("main form button.govuk-button").first.click()


async def test_the_development_issuers_pages_are_accessible(development, identity, page):
    server, _ = development
    await page.route("**/identity/callback/**", lambda route: route.fulfill(status=200, body="callback"))
    await page.goto(f"{server.url}/dev/cri/")
    await check_page(page)

    await open_issuer(page, identity, "passport")
    await check_page(page)
    await submit(page)  # empty: the error summary
    assert await page.locator(".govuk-error-summary").count() == 1
    await check_page(page)

    await open_issuer(page, identity, "address")
    await page.fill("#postcode", "BA2 5AA")
    await submit(page)
    await check_page(page)  # choose the address

    await open_issuer(page, identity, "kbv")
    await check_page(page)

    await open_issuer(page, identity, "app")
    await page.check("#documentType")
    await page.fill("#documentNumber", "321654987")
    await submit(page)
    await check_page(page)  # confirm the details the chip shows

    await open_issuer(page, identity, "post-office")
    await page.check("#documentType")
    await page.fill("#documentNumber", "321654987")
    await submit(page)
    assert "16" in await page.inner_text("main")
    await check_page(page)  # the reference
    await page.goto(f"{server.url}/dev/cri/post-office/operator")
    await check_page(page)

    for name in ("bank-account", "nino", "driving-licence"):
        await open_issuer(page, identity, name)
        await check_page(page)

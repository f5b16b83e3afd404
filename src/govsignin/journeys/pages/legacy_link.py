"""/link-your-account: "Link your <service> account" (journeys/flows/legacy_link.py).

The service's legacy system comes from its registration, never from the request; the id from
the signed request object. Linking writes the legacy link table (migration/links.py) and is
audited; a record linked to another account is refused with an error summary, and the citizen
may go on without linking."""

from __future__ import annotations

from govsignin.audit.tags import EventTag
from govsignin.journeys.pages.common import Page, advance, expired, open_page
from govsignin.journeys.states import Event, State
from govsignin.migration.links import ANOTHER_ID, LINKED_NOW, TAKEN, link_account
from govsignin.web.i18n import N_

TEMPLATE = "journeys/link-your-account.html"
REFUSED = {
    TAKEN: N_("This account is already linked to another GOV.UK account"),
    ANOTHER_ID: N_("Your GOV.UK account is already linked to another account of this service"),
}


async def link_your_account(request):
    page = await open_page(request, State.LINK_ACCOUNT)
    if not isinstance(page, Page):
        return page
    services, journey = page.services, page.journey
    client = await services.registry.get(journey.request.get("client_id", ""))
    if client is None or not client.legacy_system:  # deregistered meanwhile
        return expired(request, services)
    if request.method == "GET":
        return page.render(request, TEMPLATE)
    if page.form.get("action") != "link":
        return await advance(page, Event.LINK_DECLINED)
    result = await link_account(services, system=client.legacy_system, legacy_id=journey.request["link_legacy_id"],
                                user_id=journey.user_id, email=journey.email or "")
    if result in REFUSED:
        return page.render(request, TEMPLATE, status=409, error={"field": "link", "text": REFUSED[result]})
    if result == LINKED_NOW:
        await services.audit.record(EventTag.LegacyAccountLinked, user_id=journey.user_id,
                                    client_id=client.client_id, request=request, legacy_system=client.legacy_system)
    return await advance(page, Event.LINK_CONFIRMED)  # linked now, or already by this account

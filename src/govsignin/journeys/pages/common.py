"""What every journey page shares: finding the journey, guarding order, CSRF, forms, redirects.

A page is shown only if the journey has reached it (or it is a revisitable earlier page);
otherwise the citizen is sent to where their journey actually is. A POST from a stale tab or
a double submit lands on the current page; an expired journey gets the "start again" page.
"""

from __future__ import annotations

from dataclasses import dataclass


from govsignin.crypto import constant_time_equal
from govsignin.journeys.journey import Journey
from govsignin.journeys.machine import State
from govsignin.oidc.params import ParameterError
from govsignin.web.forms import read_form
from govsignin.oidc.responses import Redirect



@dataclass
class Page:
    services: object
    session: object
    journey: Journey
    form: dict

    def render(self, request, template: str, status: int = 200, **context):
        return self.services.templates.render(
            request,
            template,
            status=status,
            csrf_token=self.session.csrf,
            client_name=self.journey.client_name,
            **context,
        )


def go(state: str) -> Redirect:
    return Redirect(f"/{state}", 303)


def expired(request, services, status: int = 200):
    return services.templates.render(request, "journeys/session-expired.html", status=status)


async def open_page(request, page: str) -> Page | object:
    """Return a Page, or the Response to send instead."""
    services = request.app.state.services
    session = await services.sessions.load(request.cookies.get(services.sessions.cookie_name))
    if session is None:
        return expired(request, services)
    journey = services.journeys.of(session)  # it lives in the session's record: no second read
    if journey is None:
        return expired(request, services)
    form: dict = {}
    if request.method == "POST":
        try:
            form = await read_form(request)
        except ParameterError:
            return expired(request, services, status=400)
        token = form.get("csrf_token", "")
        if not constant_time_equal(token, session.csrf):
            return expired(request, services, status=403)
        if journey.state != str(page):
            return go(journey.state)  # stale tab or double submit: show where they really are
    elif not journey.can_show(page):
        return go(journey.state)
    elif journey.state != str(page):
        journey.rewind_to(page)  # the back button
        await services.journeys.save(journey)
    return Page(services, session, journey, form)


async def advance(page: Page, event, store=None) -> Redirect:
    """`store`: a store transaction to save the journey in (with the caller's other writes)."""
    target = page.journey.fire(event)
    await page.services.journeys.save(page.journey, store=store)
    return go(target)

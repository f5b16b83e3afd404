"""What every journey page shares: finding the journey, guarding order, CSRF, forms, redirects.

A page is shown only if the journey has reached it (or it is a revisitable earlier page, or a
navigation link from where the journey is: machine.LINKS), and only while its precondition
holds (machine.REQUIRES); otherwise the citizen is sent to where their journey actually is, or
gets the "start again" page. A POST from a stale tab or a double submit lands on the current
page. Pages render and read forms; the table decides where the citizen goes.
"""

from __future__ import annotations

from dataclasses import dataclass


from govsignin.crypto import constant_time_equal
from govsignin.journeys.journey import Journey
from govsignin.journeys.machine import link_event, precondition_met
from govsignin.journeys.states import Event
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
        await services.sessions.confirm(session)  # a first form post: an ordinary session now
    elif (link := link_event(journey, page)) is not None:
        journey.fire(link)  # a navigation link shown on the current page
        await services.journeys.save(journey)
    elif not journey.can_show(page):
        return go(journey.state)
    elif journey.state != str(page):
        if not precondition_met(journey, page):  # e.g. back into a creation already written
            return go(journey.state)
        journey.rewind_to(page)  # the back button
        await services.journeys.save(journey)
    if not precondition_met(journey, page):
        return expired(request, services)
    return Page(services, session, journey, form)


async def advance(page: Page, event: Event, store=None, method: str | None = None) -> Redirect:
    """Fire `event` (binding what it proves to the journey's account; `method`: how a second
    factor was given) and go where the table says. `store`: a store transaction to save the
    journey in (with the caller's other writes)."""
    target = page.journey.fire(event, method=method)
    await page.services.journeys.save(page.journey, store=store)
    return go(target)

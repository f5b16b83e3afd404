"""Plain pages outside the journey: the home page and the signed-out page."""

from __future__ import annotations


async def home(request):
    return request.app.state.services.templates.render(request, "home.html")


async def signed_out(request):
    params = request.query_params
    return request.app.state.services.templates.render(
        request,
        "signed-out.html",
        error_code=(params.get("error_code") or "")[:64],
        error_description=(params.get("error_description") or "")[:200],
    )

"""Error pages: the protocol's one HTML page, 404/405, and 503 during outages (never a 500
with a trace). JSON endpoints answer JSON errors instead."""

from __future__ import annotations

import structlog
from starlette.responses import JSONResponse

from govsignin.db.outages import dependency_outage

log = structlog.get_logger(__name__)

JSON_PATHS = ("/token", "/userinfo", "/.well-known/", "/trustmark", "/healthz", "/readyz")


def protocol_error_page(request, description: str, status: int = 400):
    templates = request.app.state.services.templates
    return templates.render(request, "errors/protocol.html", status=status, description=description)


def _wants_json(request) -> bool:
    return request.scope.get("path", "").startswith(JSON_PATHS)


async def not_found(request, exc):
    if _wants_json(request):
        return JSONResponse({"error": "not_found"}, status_code=exc.status_code)
    templates = request.app.state.services.templates
    template = "errors/not-found.html" if exc.status_code == 404 else "errors/protocol.html"
    return templates.render(request, template, status=exc.status_code, description="This request is not supported")


def _unavailable(request, retry_after: str, description: str):
    """A 503 with Retry-After: JSON for a protocol or API caller, the page for a browser."""
    headers = {"Retry-After": retry_after, "Cache-Control": "no-store"}
    if _wants_json(request):
        return JSONResponse({"error": "temporarily_unavailable", "error_description": description},
                            status_code=503, headers=headers)
    response = request.app.state.services.templates.render(request, "errors/unavailable.html", status=503)
    response.headers.update(headers)
    return response


async def unavailable(request, exc):
    """The database or Redis is unreachable: 503 with Retry-After; nothing was half-written
    because every write is one transaction."""
    log.error("dependency_unavailable", path=request.scope.get("path", ""), error=type(exc).__name__)
    return _unavailable(request, "30", "The service is temporarily unavailable")


async def busy(request, exc):
    """This worker's password hashing is saturated (accounts/passwords.HashingBusy): a quick
    503 with a short Retry-After instead of a queue that grows without end."""
    log.warning("hashing_busy", path=request.scope.get("path", ""))
    return _unavailable(request, str(getattr(exc, "retry_after", 1)), "The service is busy; try again shortly")


async def dependency_error(request, exc):
    """DBAPIError, OSError and the pool's timeout (every connection busy for pool_timeout,
    30 s: overload or a stalled database): 503 when a dependency is down, else a real 500."""
    if dependency_outage(exc):
        return await unavailable(request, exc)
    return await server_error(request, exc)


async def server_error(request, exc):
    log.exception("unhandled_error", path=request.scope.get("path", ""), error=type(exc).__name__)
    if _wants_json(request):
        return JSONResponse({"error": "server_error"}, status_code=500, headers={"Cache-Control": "no-store"})
    templates = request.app.state.services.templates
    return templates.render(request, "errors/problem.html", status=500)

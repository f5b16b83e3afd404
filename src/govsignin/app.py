"""create_app(): settings → services → routes → middleware.

Plain Starlette: the protocol hot paths (authorize, token, userinfo, JWKS) pay for no
framework work they do not use.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from pathlib import Path

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from govsignin.config import Settings, check_production, get_settings
from govsignin.devissuers.mount import dev_issuer_routes
from govsignin.journeys.routes import journey_routes
from govsignin.manage.routes import manage_routes
from govsignin.oidc.authorize.endpoint import authorize
from govsignin.messaging.queue import DeliverAfterResponse, run_message_worker
from govsignin.oidc.backchannel import run_worker
from govsignin.oidc.discovery import static_json, discovery_document, jwks, trustmark
from govsignin.oidc.end_session import end_session
from govsignin.oidc.token.endpoint import token
from govsignin.oidc.userinfo import userinfo
from govsignin.accounts.passwords import HashingBusy
from govsignin.ratelimit import RateLimits, limit_authorize, limit_sign_in_posts
from govsignin.ratelimit import enabled as ratelimit_enabled
from govsignin.services import Services, build_services
from govsignin.web import errors, health, pages
from govsignin.web.headers import SecurityHeaders
from govsignin.web.logging import configure_logging
from govsignin.web.metrics import metrics_endpoint
from govsignin.web.observability import RequestObservability
from govsignin.web.routing import FixedPaths, IndexedRouter

PROJECT_ROOT = Path(__file__).resolve().parents[2]
GET, POST, BOTH = ["GET"], ["POST"], ["GET", "POST"]


def assets_dir(settings: Settings) -> Path:
    if settings.assets_dir:
        return Path(settings.assets_dir)
    return PROJECT_ROOT / "node_modules" / "govuk-frontend" / "dist" / "govuk"


def limit_journey_posts(journey_pages: list, settings: Settings) -> list:
    """Every journey page's POSTs count against the per-IP sign-in limit (ratelimit/), before
    the page does any work. GETs are not counted. With limits off (the default outside
    production; fixed for the app's life) the pages are not wrapped at all."""
    if not ratelimit_enabled(settings):
        return journey_pages
    return [
        Route(r.path, limit_sign_in_posts(r.endpoint), methods=list(r.methods or ()), name=r.name)
        if isinstance(r, Route) and r.methods and "POST" in r.methods else r
        for r in journey_pages
    ]


def routes(settings: Settings) -> list:
    assets = assets_dir(settings)
    return [
        Route("/", pages.home, methods=GET),
        Route("/.well-known/openid-configuration", static_json(discovery_document(settings), 86400), methods=GET),
        Route("/.well-known/jwks.json", jwks, methods=GET),
        Route("/.well-known/did.json", _did_json, methods=GET),
        Route("/trustmark", static_json(trustmark(settings), 86400), methods=GET),
        Route("/authorize", limit_authorize(authorize) if ratelimit_enabled(settings) else authorize, methods=BOTH),
        Route("/token", token, methods=POST),
        Route("/userinfo", userinfo, methods=BOTH),
        Route("/logout", end_session, methods=BOTH),
        Route("/signed-out", pages.signed_out, methods=GET),
        *limit_journey_posts(journey_routes(), settings),
        *manage_routes(),
        Route("/healthz", health.healthz, methods=GET),
        Route("/readyz", health.readyz, methods=GET),
        *([Route("/metrics", metrics_endpoint(settings.metrics_token), methods=GET)] if settings.metrics_enabled else []),
        Mount("/assets/fonts", StaticFiles(directory=assets / "assets" / "fonts", check_dir=False)),
        Mount("/assets/images", StaticFiles(directory=assets / "assets" / "images", check_dir=False)),
        Mount("/assets", StaticFiles(directory=assets, check_dir=False)),
        Mount("/static", StaticFiles(packages=[("govsignin", "static")])),
    ]


class GovSignIn(Starlette):
    """Starlette with the request layer (request id, log line, latency, security headers)
    outermost, around Starlette's own error middleware: so it sees the real status of a 500,
    and tags it too; FixedPaths inside it; and an IndexedRouter."""

    def __init__(self, *, routes, lifespan, security_headers: SecurityHeaders, **kwargs):
        super().__init__(routes=routes, lifespan=lifespan, **kwargs)
        self.router = IndexedRouter(routes, lifespan=lifespan)
        self.security_headers = security_headers

    def build_middleware_stack(self):
        routes = self.router.routes
        stack = RequestObservability(
            FixedPaths(super().build_middleware_stack(), routes), routes, self.security_headers
        )
        # Outermost: the messages a request queued go out after its response (messaging/queue.py).
        return DeliverAfterResponse(stack)


def freeze_startup_heap() -> None:
    """Move what start-up made (modules, routes, templates, keys: ~94,000 objects) out of the
    garbage collector's reach. A full collection otherwise walks all of them, a ~50 ms pause for
    every request in flight on the worker; after this it walks only what came later. Garbage
    made so far is collected first so that none of it is kept for good."""
    gc.collect()
    gc.freeze()


async def _did_json(request):
    """GET /.well-known/did.json (identity/service.did_json, imported on first use)."""
    from govsignin.identity.service import did_json

    return await did_json(request)


def create_app(
    settings: Settings | None = None, services: Services | None = None, *, serving: bool = False
) -> Starlette:
    """The application. `serving`: this process is a server worker (govsignin.asgi), whose heap
    is frozen after start-up (freeze_startup_heap); tests build many apps in one process and
    leave it."""
    settings = settings or get_settings()
    check_production(settings)
    configure_logging(settings)  # JSON logs for `govsignin serve` (each worker builds its app here)
    owned = services is None
    services = services or build_services(settings)
    ratelimits = RateLimits(settings, services.store)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        stop = asyncio.Event()
        worker = asyncio.create_task(run_worker(services, stop))
        message_worker = asyncio.create_task(run_message_worker(services, stop))
        if serving:
            freeze_startup_heap()
        try:
            yield
        finally:
            stop.set()
            services.wake_worker()
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(worker, 5)
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(message_worker, 5)
            if owned:
                await services.close()

    app = GovSignIn(
        routes=routes(settings) + dev_issuer_routes(settings, services),
        lifespan=lifespan,
        security_headers=SecurityHeaders(hsts=settings.issuer_url().startswith("https://")),
        exception_handlers={
            HTTPException: errors.not_found,
            HashingBusy: errors.busy,  # the argon2 queue is full: a quick 503
            DBAPIError: errors.dependency_error,  # 503 only for outages (db/outages.py)
            OSError: errors.dependency_error,
            PoolTimeout: errors.dependency_error,  # not a DBAPIError: would have been a 500
            ConnectionError: errors.unavailable,
            TimeoutError: errors.unavailable,
            Exception: errors.server_error,
        },
    )
    app.state.services = services
    app.state.ratelimits = ratelimits
    return app

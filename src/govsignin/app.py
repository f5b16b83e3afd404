"""create_app(): settings → services → routes → middleware.

Plain Starlette: the protocol hot paths (authorize, token, userinfo, JWKS) pay for no
framework work they do not use.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import inspect
from pathlib import Path

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import Request
from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Match, Mount, Route, Router
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


class IndexedRouter(Router):
    """Starlette's router, without walking the whole route list for the app's fixed paths.

    Starlette tries every route in order until one matches: ~1 us a route, and the journey
    pages sit 10 to 70 routes down the list. Here each fixed path (a Route without parameters)
    is looked up in a table of the routes that can match it, in their original order, found
    once by asking every route (`route.matches`); the same full/partial (405) rules then run on
    that short list, so the route chosen is the one Starlette would choose. Any other path
    takes Starlette's walk. The table is rebuilt when the route list changes length (routes
    appended after start-up, as some tests do).
    """

    _table: dict[str, list[BaseRoute]] = {}
    _table_for: tuple[int, int] = (0, -1)

    def _fixed_paths(self) -> dict[str, list[BaseRoute]]:
        key = (id(self.routes), len(self.routes))
        if self._table_for != key:
            table: dict[str, list[BaseRoute]] = {}
            if all(type(r) in (Route, Mount) for r in self.routes):  # Host routes match on headers
                for route in self.routes:
                    if type(route) is Route and not route.param_convertors and route.path not in table:
                        probe = {"type": "http", "path": route.path, "root_path": "", "method": "GET"}
                        table[route.path] = [r for r in self.routes if r.matches(probe)[0] is not Match.NONE]
            self._table, self._table_for = table, key
        return self._table

    async def app(self, scope, receive, send):
        if scope["type"] == "http":
            candidates = self._fixed_paths().get(get_route_path(scope))
            if candidates is not None:
                if "router" not in scope:
                    scope["router"] = self
                partial = None
                for route in candidates:
                    match, child_scope = route.matches(scope)
                    if match is Match.FULL:
                        scope["route"] = route
                        scope.update(child_scope)
                        await route.handle(scope, receive, send)
                        return
                    if match is Match.PARTIAL and partial is None:
                        partial, partial_scope = route, child_scope
                if partial is not None:
                    scope["route"] = partial
                    scope.update(partial_scope)
                    await partial.handle(scope, receive, send)
                    return
        await super().app(scope, receive, send)


class FixedPaths:
    """Requests for the app's fixed paths (every Route without parameters: the journey pages,
    /authorize, /token, /userinfo, discovery, JWKS...) go straight to their route, past
    Starlette's error and exception middleware and the router: ~25 us of CPU of a journey page's
    ~150 us. Everything else (Mounts, parameters, a method the route does not allow: 405) takes
    the full stack, `app`.

    What those layers did is done here, the same way: the route and its endpoint in the scope;
    exceptions through the app's own handlers (`scope["starlette.exception_handlers"]`, read by
    Starlette's request_response wrapper, and here for raw ASGI endpoints), by status for an
    HTTPException, else by the exception's classes in MRO order; any other exception gets the
    500 handler's page, if the response has not started, and is raised again for the server to
    log, as ServerErrorMiddleware does. tests/ops/test_fixed_paths.py compares both ways."""

    def __init__(self, app, routes):
        self.app = app
        self.routes = {r.path: r for r in routes if type(r) is Route and not r.param_convertors}
        # A route whose endpoint is an async function(request) -> Response (Starlette wraps it in
        # request_response, whose per-request closures, sender layer and exception lookup do
        # what __call__ does below): called directly. ASGI-app endpoints go through route.app.
        self.endpoints = {path: r.endpoint for path, r in self.routes.items() if _request_endpoint(r)}
        self.handlers = self.status_handlers = None
        self.server_error = None
        layer = app
        while layer is not None:  # Starlette's stack: ServerErrorMiddleware → ExceptionMiddleware → router
            if isinstance(layer, ExceptionMiddleware):
                self.handlers, self.status_handlers = layer._exception_handlers, layer._status_handlers
            if isinstance(layer, ServerErrorMiddleware):
                self.server_error = layer.handler
            layer = getattr(layer, "app", None)

    async def __call__(self, scope, receive, send):
        route = self.routes.get(scope["path"]) if scope["type"] == "http" and not scope.get("root_path") else None
        if route is None or self.handlers is None or scope["method"] not in route.methods:
            return await self.app(scope, receive, send)
        started = False

        async def send_and_note(message):
            nonlocal started
            started = True
            await send(message)

        scope["route"], scope["endpoint"], scope["path_params"] = route, route.endpoint, {}
        scope["starlette.exception_handlers"] = (self.handlers, self.status_handlers)
        endpoint = self.endpoints.get(route.path)
        request = None
        try:
            if endpoint is not None:
                request = Request(scope, receive, send_and_note)
                response = await endpoint(request)
                await response(scope, receive, send_and_note)
            else:
                await route.app(scope, receive, send_and_note)
        except Exception as exc:
            if started:
                raise
            handler = self._handler_for(exc)
            response = handler(request or Request(scope, receive), exc)
            if inspect.isawaitable(response):
                response = await response
            await response(scope, receive, send)
            if handler is self.server_error:
                raise
            exc.__traceback__ = None  # as Starlette does: a reused exception would pile up tracebacks

    def _handler_for(self, exc: Exception):
        if isinstance(exc, HTTPException) and exc.status_code in self.status_handlers:
            return self.status_handlers[exc.status_code]
        for cls in type(exc).__mro__:
            if cls in self.handlers:
                return self.handlers[cls]
        return self.server_error


def _request_endpoint(route: Route) -> bool:
    """route.app is Starlette's request_response wrapper and nothing more (a Route given
    `middleware=` keeps its route.app), around an async function of the request (a sync one
    would run in a thread). If Starlette ever names the wrapper otherwise, every route simply
    keeps route.app."""
    endpoint = route.endpoint
    while isinstance(endpoint, functools.partial):
        endpoint = endpoint.func
    wrapped = getattr(route.app, "__qualname__", "") == "request_response.<locals>.app"
    return wrapped and inspect.iscoroutinefunction(endpoint)


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

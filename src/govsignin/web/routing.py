"""Routing for the app's fixed paths: IndexedRouter (a table instead of Starlette's walk down
the route list) and FixedPaths (fixed-path requests straight to their route, past Starlette's
middleware). Both choose and answer exactly as Starlette would; tests/unit/test_router_index.py
and tests/ops/test_fixed_paths.py compare them with Starlette's own path."""

from __future__ import annotations

import functools
import inspect

from starlette._utils import get_route_path
from starlette.exceptions import HTTPException
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import Request
from starlette.routing import BaseRoute, Match, Mount, Route, Router


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

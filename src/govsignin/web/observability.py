"""Per request: a request id, one JSON log line, the latency histogram, and the security
headers (pure ASGI, one layer).

It wraps the whole application (outside Starlette's error middleware, see app.py), so it sees
the final status of every response, 500s included, and every response, 500s included, carries
X-Request-Id and the security headers (web/headers.py).

Cost per request is kept to a header scan, two perf_counter calls, dict lookups, one
`observe()`, one `inc()` and one log line: no BaseHTTPMiddleware (which would copy the body
through a task group), no regex on the path. The route *template* comes from the Route object
Starlette's router has already matched and left in the scope (`scope["route"]`), looked up by
identity in a table built once from the app's routes.
"""

from __future__ import annotations

import os
import random
from time import perf_counter

import structlog
from starlette.routing import Mount

from govsignin.web import metrics
from govsignin.web.headers import SecurityHeaders
from govsignin.web.logging import request_line

REQUEST_ID_HEADER = b"x-request-id"
MAX_REQUEST_ID = 64
_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.:")
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"  # no route: one label for every unknown URL, never the URL itself

log = structlog.get_logger("govsignin.request")


class _RequestIds:
    """Generated request ids: 128 random bits as 32 hex digits. They must be unique, not secret
    (they are echoed to the caller and written into every log line), so they come from a
    private Mersenne Twister seeded from the OS, not from a getrandom() system call per
    request. A forked child reseeds, so two workers never share a sequence."""

    def __init__(self):
        self._random = random.Random()
        os.register_at_fork(after_in_child=self._random.seed)

    def next(self) -> str:
        return f"{self._random.getrandbits(128):032x}"


request_ids = _RequestIds()


def valid_request_id(raw: bytes) -> str | None:
    """An incoming X-Request-Id is kept only if short and made of safe characters
    (letters, digits, - _ . :): it is echoed in a header and written into logs."""
    if 0 < len(raw) <= MAX_REQUEST_ID and _SAFE.issuperset(raw):
        return raw.decode("ascii")
    return None


def _request_id(scope) -> str:
    """The caller's X-Request-Id if it is acceptable, else a new one."""
    for name, value in scope["headers"]:
        if name == REQUEST_ID_HEADER:
            return valid_request_id(value) or request_ids.next()
    return request_ids.next()


def route_templates(routes) -> dict[int, str]:
    out = {}
    for route in routes:
        path = getattr(route, "path", None)
        if path is None:
            continue
        out[id(route)] = path.rstrip("/") + "/{path}" if isinstance(route, Mount) else path
    return out


class RequestObservability:
    def __init__(self, app, routes, security_headers: SecurityHeaders):
        self.app = app
        self.security_headers = security_headers
        self.templates = route_templates(routes)
        # The lane for static documents (discovery, JWKS, trustmark: endpoints with `ready`, and
        # `document` to await when `ready` gives None, oidc/discovery.py):
        # path -> (route, endpoint). Their responses are bytes made once, so the lane sends them
        # with the security headers added once per document instead of through the layers below:
        # the same response, a third of the CPU of the general path (docs/performance.md, "The
        # static documents' lane").
        self.documents = {
            r.path: (r, r.endpoint) for r in routes
            if hasattr(getattr(r, "endpoint", None), "ready") and not getattr(r, "param_convertors", None)
        }
        self._document_headers: dict[int, tuple] = {}  # id(headers) -> (headers, with the security headers)
        # (route, method) -> label children, resolved on first use and then reused: no
        # `.labels()` call per request, and no zero-filled series for routes never requested.
        self._children: dict[tuple, tuple] = {}

    async def _document(self, document, scope, send) -> bool:
        """Answer a static document; False (nothing sent) if it could not be produced, and the
        general path then answers, as it answers any error (a 503 during an outage)."""
        start = perf_counter()
        route, endpoint = document
        try:
            found = endpoint.ready(scope)  # no await in the common case
            body, headers = found if found is not None else await endpoint.document(scope)
        except Exception:  # noqa: BLE001 - the general path reports it
            return False
        cached = self._document_headers.get(id(headers))
        if cached is None or cached[0] is not headers:
            cached = self._document_headers[id(headers)] = (headers, self.security_headers.add(headers))
        request_id = _request_id(scope)
        scope["route"] = route
        await send({"type": "http.response.start", "status": 200,
                    "headers": [*cached[1], (b"x-request-id", request_id.encode("ascii"))]})
        await send({"type": "http.response.body", "body": body})
        self._record(scope, route, route.path, 200, request_id, perf_counter() - start)
        return True

    def _record(self, scope, route, template: str | None, status: int, request_id: str, elapsed: float) -> None:
        """The latency histogram, the request counter and the log line of one request."""
        histogram, label_route, label_method, by_status = self._child(
            route if template else None, scope["method"], template
        )
        histogram.observe(elapsed)
        counter = by_status.get(status)
        if counter is None:
            counter = by_status[status] = metrics.REQUESTS.labels(label_route, label_method, str(status))
        counter.inc()
        # The path only: query strings carry state, nonce and request objects.
        request_line(log, request_id, label_method, label_route, scope["path"][:200], status, round(elapsed * 1000, 2))

    def _child(self, route, method: str, template: str | None):
        key = (id(route) if route is not None else None, method)
        child = self._children.get(key)
        if child is None:
            label_method = method if method in METHODS else "other"
            label_route = template or UNMATCHED
            child = (
                metrics.REQUEST_DURATION.labels(label_route, label_method),
                label_route,
                label_method,
                {},  # status -> counter child
            )
            # Bounded: routes are the app's own, methods fold to METHODS + "other".
            if method in METHODS:
                self._children[key] = child
        return child

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        document = self.documents.get(scope["path"])
        if document is not None and scope["method"] in ("GET", "HEAD") and not scope.get("root_path"):
            if await self._document(document, scope, send):
                return
        start = perf_counter()
        request_id = _request_id(scope)
        id_header = (b"x-request-id", request_id.encode("ascii"))
        status = 500
        add_security_headers = self.security_headers.add

        async def send_with_id(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = add_security_headers(message.get("headers", ()), id_header)
            await send(message)

        tokens = structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            route = scope.get("route")
            template = self.templates.get(id(route)) if route is not None else None
            self._record(scope, route, template, status, request_id, perf_counter() - start)
            structlog.contextvars.reset_contextvars(**tokens)

"""Rate limits per IP, per account and per service, shared by every instance (docs/observability.md).

Built on the `limits` library: limit strings are parsed by `limits.parse_many`
("60/minute", "10/minute;50/hour"), and counting is `limits.aio.strategies.FixedWindowRateLimiter`,
honestly a fixed window (the first hit opens a window of the limit's length). Storage:
`StoreStorage`, a `limits` storage on govsignin's Store: Redis when GOVSIGNIN_REDIS_URL is set
(the store's one pipelined connection per worker, keys `gs:rl:*`), else the database every
instance shares. No counter lives in process memory, so N workers or N machines share limits.
(limits' own Redis storage, through redis-py, costs a sign-in ~1 ms of CPU more with the limits
on: docs/performance.md, "The Redis store".)

The limits:

| name | counts | default |
|---|---|---|
| `sign_in_ip` | POSTs to the sign-in pages, per client IP | 120/minute |
| `password_account` | password attempts, per account (email) | 10/minute |
| `token_client_ip` | authenticated POST /token, per client_id and IP | 3000/minute |
| `account_session` | POSTs to the account pages (/account/*), per browser session | 20/minute;200/hour |
| `account_ip` | POSTs to the account pages (/account/*), per client IP | 60/minute |
| `authorize_ip` | GET and POST /authorize, per client IP | 120/minute |

The password limit complements the lockout (6 wrong passwords → 2 hours), never replaces it:
the lockout counts failures, this counts attempts, and it is checked before argon2 runs.
All limits are on by default only with GOVSIGNIN_ENV=production (GOVSIGNIN_RATELIMIT_ENABLED
turns them on or off anywhere): test suites and benchmarks sign in far faster than people do.

The client IP is `request.client.host`: behind a load balancer, uvicorn must be told to trust
its X-Forwarded-For (FORWARDED_ALLOW_IPS), or every citizen shares the balancer's address.
An IPv6 client is counted by its /64 (`ip_key`): one home or phone gets a whole /64 and can
use a new address for every request, so a key per address would limit nothing.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time

from limits import parse_many
from limits.aio.strategies import FixedWindowRateLimiter
from starlette.responses import Response

from govsignin import records
from govsignin.ratelimit.storage import StoreStorage
from govsignin.web import metrics

LIMITS = ("sign_in_ip", "password_account", "token_client_ip", "account_session", "account_ip", "authorize_ip")
IPV6_PREFIX = 64


def _h(value: str) -> str:
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]


def enabled(settings) -> bool:
    if settings.ratelimit_enabled is not None:
        return settings.ratelimit_enabled
    return settings.env == "production"


class RateLimits:
    def __init__(self, settings, store):
        self.enabled = enabled(settings)
        self.rules = {
            "sign_in_ip": parse_many(settings.ratelimit_sign_in_per_ip) if settings.ratelimit_sign_in_per_ip else [],
            "password_account": parse_many(settings.ratelimit_password_per_account)
            if settings.ratelimit_password_per_account else [],
            "token_client_ip": parse_many(settings.ratelimit_token_per_client_ip)
            if settings.ratelimit_token_per_client_ip else [],
            "account_session": parse_many(settings.ratelimit_account_per_session)
            if settings.ratelimit_account_per_session else [],
            "account_ip": parse_many(settings.ratelimit_account_per_ip) if settings.ratelimit_account_per_ip else [],
            "authorize_ip": parse_many(settings.ratelimit_authorize_per_ip)
            if settings.ratelimit_authorize_per_ip else [],
        }
        self.storage = None
        if self.enabled:
            self.storage = StoreStorage(store)
            self.limiter = FixedWindowRateLimiter(self.storage)

    async def hit(self, limit: str, *identifiers: str) -> int | None:
        """Count one hit. None if allowed; else the seconds until the window ends (Retry-After)."""
        if not self.enabled:
            return None
        for item in self.rules[limit]:
            if not await self.limiter.hit(item, limit, *identifiers):
                reset = await self.storage.get_expiry(item.key_for(limit, *identifiers))
                metrics.rate_limited(limit)
                return max(1, min(math.ceil(reset - time.time()), item.get_expiry()))
        return None


def _limits(request) -> RateLimits | None:
    return getattr(request.app.state, "ratelimits", None)


def client_ip(request) -> str:
    """The client as every per-IP limit counts it: its IPv4 address, or the /64 of its IPv6
    address (`ip_key`). Anything keyed per IP takes it from here."""
    return ip_key(request.client.host) if request.client else "unknown"


def ip_key(host: str) -> str:
    """What a per-IP limit counts: an IPv4 address as it is (also when written as IPv4-mapped
    IPv6), an IPv6 address as its /64, anything else (no client) as it is."""
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return host
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/{IPV6_PREFIX}", strict=False))
    return str(address)


def too_many_requests_page(request, retry_after: int) -> Response:
    templates = request.app.state.services.templates
    response = templates.render(
        request, "errors/too-many-requests.html", status=429, minutes=max(1, math.ceil(retry_after / 60))
    )
    response.headers["Retry-After"] = str(retry_after)
    return response


def too_many_requests_json(retry_after: int) -> Response:
    # OAuth defines no rate-limit error for the token endpoint (RFC 6749 §5.2). This is HTTP
    # 429 (RFC 6585) with Retry-After, and the body reuses `temporarily_unavailable`: the
    # registered OAuth code for "try again later" (§4.1.2.1), already what /token answers here
    # during an outage (503). `invalid_request` would wrongly tell the service its request is
    # malformed. The code has not been spent (the limit is checked before it is redeemed), so
    # the service may retry with it, with a fresh client assertion, until it expires.
    # Built here, not through oidc/responses.py: rate limits sit below the protocol layer.
    return Response(
        records.dump_bytes(
            {"error": "temporarily_unavailable", "error_description": "Too many requests; try again later"}
        ),
        status_code=429,
        media_type="application/json",
        headers={"Cache-Control": "no-store", "Pragma": "no-cache", "Retry-After": str(retry_after)},
    )


def _limited(view, keys, *, posts_only: bool):
    """Wrap a page view: before any other work, count the request against each (limit, key)
    that `keys(request)` names, in order, and answer the 429 page at the first one exceeded."""

    async def limited_view(request):
        if not posts_only or request.scope["method"] == "POST":
            limits = _limits(request)
            if limits is not None and limits.enabled:
                for limit, key in keys(request):
                    retry = await limits.hit(limit, _h(key))
                    if retry is not None:
                        return too_many_requests_page(request, retry)
        return await view(request)

    limited_view.__name__ = getattr(view, "__name__", "view")
    return limited_view


def limit_sign_in_posts(view):
    """Wrap a sign-in page: its POSTs count against the per-IP limit before any other work."""
    return _limited(view, lambda request: [("sign_in_ip", client_ip(request))], posts_only=True)


def limit_account_posts(view):
    """Wrap an account page (manage/): its POSTs count per browser session (the cookie, hashed)
    and per client IP before any other work, so a signed-in session cannot hammer password
    re-prompts, code sends or factor changes, and many sessions from one address cannot either."""

    def keys(request):
        cookie = request.cookies.get(request.app.state.services.sessions.cookie_name) or ""
        return [("account_session", cookie or "no-session"), ("account_ip", client_ip(request))]

    return _limited(view, keys, posts_only=True)


def limit_authorize(view):
    """Wrap /authorize: every request (GET or POST, signed in or not) counts against the per-IP
    limit before any other work, so an anonymous flood cannot fill the store with pre-sign-in
    state. Over the limit: the 429 page, as the sign-in pages answer (a browser is on it)."""
    return _limited(view, lambda request: [("authorize_ip", client_ip(request))], posts_only=False)


async def password_limited(request, email: str) -> Response | None:
    """Per-account password attempts (enter-password): a 429 page, or None to go on."""
    limits = _limits(request)
    if limits is None or not limits.enabled or not email:
        return None
    retry = await limits.hit("password_account", _h(email))
    return too_many_requests_page(request, retry) if retry is not None else None


async def token_limited(request, client_id: str) -> Response | None:
    """Per service and IP on POST /token, after client authentication (so client_id is proven
    and the key space is bounded by registered services)."""
    if request is None:
        return None
    limits = _limits(request)
    if limits is None or not limits.enabled:
        return None
    retry = await limits.hit("token_client_ip", _h(client_id), _h(client_ip(request)))
    return too_many_requests_json(retry) if retry is not None else None

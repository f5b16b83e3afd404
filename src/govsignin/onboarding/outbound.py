"""Requests to URLs that services registered (JWKS URIs, back-channel logout URIs, and any later
ones): each with an overall deadline, a cap on the bytes read, no redirects, no proxy, and, in
production, never to a private, loopback or link-local address.

A registered URL names a host the service controls, and so does its DNS. Checking the name once
at registration is not enough: the name can be pointed at 169.254.169.254 or 10.0.0.5 later, or
answer differently for each lookup (DNS rebinding). So every request resolves the host, checks
every address, and connects to the address it checked (`_PinnedBackend`), keeping the hostname
for the Host header, TLS's SNI and certificate check. Development and test allow every address
(the tests' services run on localhost).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

USER_AGENT = "govsignin"


class OutboundRefused(Exception):
    """The URL may not be fetched: it resolves to an address production never connects to."""


class OutboundFailed(Exception):
    """The request did not get an answer: unreachable, too slow, or broken."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    truncated: bool  # the answer was longer than the cap; `body` holds the first bytes only


def address_allowed(address: str) -> bool:
    """Publicly routable only: no private (RFC 1918, ULA), loopback, link-local (cloud metadata
    at 169.254.169.254), shared (100.64/10), multicast, reserved or unspecified address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


async def _getaddrinfo(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


async def resolve(host: str, port: int, production: bool) -> list[str]:
    """The addresses to connect to, in the resolver's order, once every one is allowed."""
    try:
        addresses = await _getaddrinfo(host, port)
    except (OSError, UnicodeError) as exc:
        raise OutboundFailed(f"{host} does not resolve") from exc
    if not addresses:
        raise OutboundFailed(f"{host} does not resolve")
    if production:
        refused = [a for a in addresses if not address_allowed(a)]
        if refused:
            raise OutboundRefused(
                f"{host} resolves to {refused[0]}, a private, loopback or link-local address"
            )
    return addresses


def _host_and_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OutboundRefused(f"not an http(s) URL: {url!r}")
    return parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)


async def check_url(url: str, production: bool) -> None:
    """At registration: the URL's host resolves, and in production only to public addresses."""
    host, port = _host_and_port(url)
    await resolve(host, port, production)


def _pinned_transport(addresses: list[str]):
    import httpcore
    import httpx

    class _PinnedBackend(httpcore.AsyncNetworkBackend):
        """Connects to the checked addresses (the first that answers) whatever host the URL
        names; TLS still verifies the certificate for the URL's host (httpcore passes it as
        the server name)."""

        def __init__(self):
            self.backend = httpcore.AnyIOBackend()

        async def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
            for address in addresses:
                try:
                    return await self.backend.connect_tcp(address, port, timeout=timeout, local_address=local_address,
                                                          socket_options=socket_options)
                except httpcore.ConnectError:
                    if address == addresses[-1]:
                        raise
            raise httpcore.ConnectError("no address")

        async def connect_unix_socket(self, path, timeout=None, socket_options=None):
            raise httpcore.ConnectError("no unix sockets")

        async def sleep(self, seconds: float) -> None:
            await self.backend.sleep(seconds)

    transport = httpx.AsyncHTTPTransport(trust_env=False)
    # httpx builds its httpcore pool without a way to choose the network backend: the same
    # pool (verifying TLS context, HTTP/1.1), connecting through the pinned backend.
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(trust_env=False), network_backend=_PinnedBackend()
    )
    return transport


async def fetch(method: str, url: str, *, production: bool, deadline: float, max_bytes: int,
                data: dict | None = None) -> Answer:
    """One request to a registered URL, finished (resolved, connected, sent and read) within
    `deadline` seconds, reading at most `max_bytes` of the body. Redirects are not followed (they
    could lead anywhere); the body is read undecoded (`Accept-Encoding: identity`), so a small
    compressed answer cannot grow past the cap."""
    import httpx  # on first use: httpx (with click and rich for its CLI) is ~4 MiB per worker

    host, port = _host_and_port(url)
    try:
        async with asyncio.timeout(deadline):
            addresses = await resolve(host, port, production)
            async with httpx.AsyncClient(transport=_pinned_transport(addresses), timeout=deadline,
                                         follow_redirects=False, trust_env=False) as http:
                headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
                async with http.stream(method, url, data=data, headers=headers) as response:
                    body, truncated = bytearray(), False
                    async for chunk in response.aiter_raw():
                        body += chunk
                        if len(body) > max_bytes:
                            del body[max_bytes:]
                            truncated = True
                            break
                    return Answer(response.status_code, bytes(body), truncated)
    except TimeoutError as exc:
        raise OutboundFailed(f"no answer within {deadline:g} s") from exc
    except httpx.HTTPError as exc:
        raise OutboundFailed(type(exc).__name__) from exc

"""Security headers on every response.

Pages set their own CSP with a per-response nonce (templating.py). Everything else gets a
deny-all CSP. `frame-ancestors 'none'` everywhere; HSTS when the issuer is https.
"""

from __future__ import annotations


def page_csp(nonce: str) -> str:
    return (
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{nonce}'; "
        "style-src 'self'; img-src 'self' data:; font-src 'self'; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    )


class SecurityHeaders:
    """The headers every response gets. Not a middleware of its own: web/observability.py adds
    them in the one `send` wrapper every response already passes through (outside Starlette's
    error middleware, so 500 pages get them too)."""

    def __init__(self, hsts: bool):
        common = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"x-frame-options", b"DENY"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]
        if hsts:
            common.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
        self.common = common
        self.default_csp = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")

    def add(self, headers, *extra) -> list:
        """A new header list: the response's own, `extra`, the common headers, and the deny-all
        CSP unless the response set its own (pages do, with their nonce)."""
        out = [*headers, *extra, *self.common]
        for name, _ in headers:
            if name.lower() == b"content-security-policy":
                return out
        out.append(self.default_csp)
        return out

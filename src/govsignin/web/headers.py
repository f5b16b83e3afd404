"""Security headers on every response (pure ASGI, so the hot path pays almost nothing).

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
    def __init__(self, app, hsts: bool):
        self.app = app
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

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                headers.extend(self.common)
                if b"content-security-policy" not in names:
                    headers.append(self.default_csp)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)

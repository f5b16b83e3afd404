"""PKCE (RFC 7636):

- code_challenge_method is `S256` only (plain is refused, §4.2 and RFC 9700 §2.1.1);
- code_challenge is 43–128 unreserved characters (§4.1–4.2);
- a service registered with PKCEEnforced must send one.
"""

import re

from govsignin.oidc.errors import InvalidRequest

CHALLENGE = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")


async def check_pkce(ctx):
    challenge = ctx.params.get("code_challenge")
    method = ctx.params.get("code_challenge_method")
    if challenge is None:
        if method is not None:
            raise InvalidRequest("Request is missing code_challenge parameter")
        if ctx.client.require_pkce:
            raise InvalidRequest("Request is missing code_challenge parameter, but PKCE is enforced.")
        ctx.values["code_challenge"] = None
        return
    if method != "S256":
        raise InvalidRequest("Invalid value for code_challenge_method parameter.")
    if not CHALLENGE.match(challenge):
        raise InvalidRequest("Invalid value for code_challenge parameter.")
    ctx.values["code_challenge"] = challenge

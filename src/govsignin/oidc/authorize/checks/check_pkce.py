"""PKCE (RFC 7636), with One Login's answers (simulator: src/validators/code-challenge-validator.ts):

- code_challenge_method is required with a challenge, and `S256` only (plain is refused,
  §4.2 and RFC 9700 §2.1.1);
- code_challenge is 43–128 unreserved characters (§4.1–4.2); a method without a challenge is
  "Invalid value for code_challenge parameter.";
- a service registered with PKCEEnforced must send one.
"""

import re

from govsignin.oidc.errors import InvalidRequest, describe

CHALLENGE = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")


async def check_pkce(ctx):
    challenge = ctx.params.get("code_challenge")
    method = ctx.params.get("code_challenge_method")
    ctx.values["code_challenge"] = None
    if challenge is None:
        if method is not None:
            raise InvalidRequest(describe("code_challenge"))
        if ctx.client.require_pkce:
            raise InvalidRequest(describe("pkce_enforced"))
        return
    if method is None:
        raise InvalidRequest(describe("code_challenge_method_missing"))
    if method != "S256":
        raise InvalidRequest(describe("code_challenge_method"))
    if not CHALLENGE.match(challenge):
        raise InvalidRequest(describe("code_challenge"))
    ctx.values["code_challenge"] = challenge

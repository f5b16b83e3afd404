"""- scope includes `openid`, and every scope is one we know and the service may ask for; else
  `invalid_scope` "Invalid, unknown or malformed scope". (A query without scope or without
  `openid` is a parse error: parse_request.)"""

from govsignin.onboarding.claims import SUPPORTED_SCOPES
from govsignin.oidc.errors import InvalidScope, describe

MAX_SCOPES = 20


def scopes_allowed(client, scopes: list[str]) -> bool:
    return 0 < len(scopes) <= MAX_SCOPES and all(s in SUPPORTED_SCOPES and s in client.scopes for s in scopes)


async def check_scope(ctx):
    scopes = ctx.params.get("scope", "").split(" ")
    if "openid" not in scopes or not scopes_allowed(ctx.client, scopes):
        raise InvalidScope(describe("scope"))
    ctx.values["scope"] = list(dict.fromkeys(scopes))

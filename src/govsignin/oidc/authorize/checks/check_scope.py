"""- scope includes `openid`, and every scope is one we know and the service may ask for."""

from govsignin.oidc.claims import SUPPORTED_SCOPES
from govsignin.oidc.errors import InvalidScope


async def check_scope(ctx):
    scopes = ctx.params.get("scope", "").split()
    if "openid" not in scopes:
        raise InvalidScope("Invalid scope")
    if len(scopes) > 20 or any(s not in SUPPORTED_SCOPES or s not in ctx.client.scopes for s in scopes):
        raise InvalidScope("Invalid scope")
    ctx.values["scope"] = list(dict.fromkeys(scopes))

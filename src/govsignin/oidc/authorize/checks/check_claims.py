"""- `claims` (OIDC Core §5.5) has a `userinfo` member only, naming claims we know and the
  service is registered for; otherwise "Request contains invalid claims"."""

from govsignin.oidc import jsonsafe

from govsignin.oidc.claims import REQUESTABLE_CLAIMS
from govsignin.oidc.errors import InvalidRequest, describe

INVALID = describe("claims")


async def check_claims(ctx):
    raw = ctx.params.get("claims")
    if raw is None:
        ctx.values["claims"] = []
        return
    try:
        request = jsonsafe.loads(raw)
    except ValueError:
        raise InvalidRequest(INVALID)
    if not isinstance(request, dict) or set(request) - {"userinfo"}:
        raise InvalidRequest(INVALID)
    userinfo = request.get("userinfo") or {}
    if not isinstance(userinfo, dict):
        raise InvalidRequest(INVALID)
    names = list(userinfo)
    if any(n not in REQUESTABLE_CLAIMS or n not in ctx.client.claims for n in names):
        raise InvalidRequest(INVALID)
    ctx.values["claims"] = names

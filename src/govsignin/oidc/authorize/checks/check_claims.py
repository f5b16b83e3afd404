"""- `claims` (OIDC Core §5.5) has a `userinfo` member naming claims we know and the service is
  registered for, and an `id_token` member naming only the claims allowed there
  (`legacy_subject_id`, for the service that owns a legacy system); otherwise "Request contains
  invalid claims"."""

from govsignin.oidc import jsonsafe

from govsignin.onboarding.claims import ID_TOKEN_CLAIMS, REQUESTABLE_CLAIMS
from govsignin.oidc.errors import InvalidRequest, describe

INVALID = describe("claims")


async def check_claims(ctx):
    raw = ctx.params.get("claims")
    if raw is None:
        ctx.values["claims"] = []
        ctx.values["id_token_claims"] = []
        return
    try:
        request = jsonsafe.loads(raw)
    except ValueError:
        raise InvalidRequest(INVALID)
    if not isinstance(request, dict) or set(request) - {"userinfo", "id_token"}:
        raise InvalidRequest(INVALID)
    userinfo = request.get("userinfo") or {}
    id_token = request.get("id_token", {})
    if "id_token" in request and not (isinstance(id_token, dict) and id_token):  # it must name claims
        raise InvalidRequest(INVALID)
    if not isinstance(userinfo, dict):
        raise InvalidRequest(INVALID)
    names = list(userinfo)
    if any(n not in REQUESTABLE_CLAIMS or n not in ctx.client.claims for n in names):
        raise InvalidRequest(INVALID)
    if any(n not in ID_TOKEN_CLAIMS or n not in ctx.client.claims for n in id_token):
        raise InvalidRequest(INVALID)
    ctx.values["claims"] = names
    ctx.values["id_token_claims"] = list(id_token)

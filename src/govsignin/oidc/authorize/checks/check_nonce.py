"""- nonce is required unless the service is registered with PermitMissingNonce."""

from govsignin.oidc.errors import InvalidRequest, describe


async def check_nonce(ctx):
    nonce = ctx.params.get("nonce")
    if nonce is None and not ctx.client.permit_missing_nonce:
        raise InvalidRequest(describe("missing_nonce"))
    if nonce is not None and len(nonce) > 512:
        raise InvalidRequest(describe("nonce_too_long"))
    ctx.values["nonce"] = nonce

"""- nonce is required unless the service is registered with PermitMissingNonce."""

from govsignin.oidc.errors import InvalidRequest


async def check_nonce(ctx):
    nonce = ctx.params.get("nonce")
    if nonce is None and not ctx.client.permit_missing_nonce:
        raise InvalidRequest("Request is missing nonce parameter")
    if nonce is not None and len(nonce) > 512:
        raise InvalidRequest("Request nonce parameter is too long")
    ctx.values["nonce"] = nonce

"""- response_type must be `code` (authorization code flow only)."""

from govsignin.oidc.errors import UnsupportedResponseType


async def check_response_type(ctx):
    if ctx.params.get("response_type") != "code":
        raise UnsupportedResponseType("Unsupported response type")

"""- response_type must be `code` (authorization code flow only); `token` and `id_token` are
  known and refused with `unsupported_response_type` (anything else is a parse error)."""

from govsignin.oidc.errors import UnsupportedResponseType, describe


async def check_response_type(ctx):
    if ctx.params.get("response_type") != "code":
        raise UnsupportedResponseType(describe("response_type"))

"""- a deactivated service gets `unauthorized_client` "client deactivated"."""

from govsignin.oidc.errors import UnauthorizedClient, describe


async def check_client_active(ctx):
    if not ctx.client.is_active:
        raise UnauthorizedClient(describe("client_deactivated"))

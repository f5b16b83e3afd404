"""- a deactivated service gets `unauthorized_client` "client deactivated"."""

from govsignin.oidc.errors import UnauthorizedClient


async def check_client_active(ctx):
    if not ctx.client.is_active:
        raise UnauthorizedClient("client deactivated")

"""- redirect_uri exactly equals a registered URI (no prefix, case or port leniency)."""

from govsignin.oidc.errors import FatalRequest


async def check_redirect_uri(ctx):
    uri = ctx.params.get("redirect_uri")
    if uri is None or uri not in ctx.client.redirect_uris:
        raise FatalRequest("Invalid redirect URI")
    ctx.redirect_uri = uri

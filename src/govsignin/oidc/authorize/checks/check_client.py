"""- client_id is present and names a registered service (else the HTML page: no redirect yet);
- redirect_uri is present, in the query or (with JAR) in the request object."""

from govsignin.oidc.errors import FatalRequest


async def check_client(ctx):
    client_id = ctx.params.get("client_id")
    if not client_id or not (ctx.params.get("redirect_uri") or ctx.params.get("request")):
        raise FatalRequest("Request is missing parameters")
    if len(client_id) > 64:
        raise FatalRequest("Invalid request")
    client = await ctx.app.registry.get(client_id)
    if client is None:
        raise FatalRequest("Invalid request")
    ctx.client = client

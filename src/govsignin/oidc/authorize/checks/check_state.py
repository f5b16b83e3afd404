"""- state is required; without it the error goes back *without* state (One Login)."""

from govsignin.oidc.errors import InvalidRequest


async def check_state(ctx):
    state = ctx.params.get("state")
    if not state:
        ctx.state = None
        raise InvalidRequest("Request is missing state parameter")
    if len(state) > 1024:
        ctx.state = None
        raise InvalidRequest("Request state parameter is too long")
    ctx.state = state

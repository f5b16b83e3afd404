"""- state is required; without it the error goes back *without* state (One Login)."""

from govsignin.oidc.errors import InvalidRequest, describe


async def check_state(ctx):
    state = ctx.params.get("state")
    if not state:
        ctx.state = None
        raise InvalidRequest(describe("missing_state"))
    if len(state) > 1024:
        ctx.state = None
        raise InvalidRequest(describe("state_too_long"))
    ctx.state = state

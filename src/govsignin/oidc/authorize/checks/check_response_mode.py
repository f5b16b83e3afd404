"""- response_mode is `query` (default) or `fragment`; anything else is a 400 page (One Login)."""

from govsignin.oidc.errors import FatalRequest


async def check_response_mode(ctx):
    mode = ctx.params.get("response_mode", "query")
    if mode not in ("query", "fragment"):
        raise FatalRequest("Invalid response_mode")
    ctx.response_mode = mode
    # Only now is it safe to echo state back to the service.
    state = ctx.params.get("state")
    ctx.state = state if state and len(state) <= 1024 else ctx.state

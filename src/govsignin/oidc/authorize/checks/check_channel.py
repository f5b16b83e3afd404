"""- channel is `web` or `generic_app`; otherwise "Invalid value for channel parameter."."""

from govsignin.oidc.errors import InvalidRequest, describe


async def check_channel(ctx):
    channel = ctx.params.get("channel", "web")
    if channel not in ("web", "generic_app"):
        raise InvalidRequest(describe("channel"))
    ctx.values["channel"] = channel

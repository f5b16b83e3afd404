"""- channel is `web` or `generic_app`; otherwise "Invalid value for channel parameter."."""

from govsignin.oidc.errors import InvalidRequest


async def check_channel(ctx):
    channel = ctx.params.get("channel", "web")
    if channel not in ("web", "generic_app"):
        raise InvalidRequest("Invalid value for channel parameter.")
    ctx.values["channel"] = channel

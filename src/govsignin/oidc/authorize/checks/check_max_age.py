"""- max_age: a non-negative integer; honoured only for services with MaxAgeEnabled."""

from govsignin.oidc.errors import InvalidRequest

MAX = 10**9


async def check_max_age(ctx):
    raw = ctx.params.get("max_age")
    if raw is None:
        ctx.values["max_age"] = None
        return
    try:
        value = int(raw, 10)
    except ValueError:
        raise InvalidRequest("Invalid max_age parameter")
    if value < 0 or value > MAX or not raw.lstrip("-").isdigit():
        raise InvalidRequest("Invalid max_age parameter")
    ctx.values["max_age"] = value if ctx.client.max_age_enabled else None

"""- max_age: a non-negative integer; honoured only for services with MaxAgeEnabled."""

import re

from govsignin.oidc.errors import InvalidRequest

DIGITS = re.compile(r"^[0-9]{1,10}$")  # ASCII only: int() and isdigit() accept any script's digits

MAX = 10**9


async def check_max_age(ctx):
    raw = ctx.params.get("max_age")
    if raw is None:
        ctx.values["max_age"] = None
        return
    if not DIGITS.match(raw) or int(raw) > MAX:
        raise InvalidRequest("Invalid max_age parameter")
    value = int(raw)
    ctx.values["max_age"] = value if ctx.client.max_age_enabled else None

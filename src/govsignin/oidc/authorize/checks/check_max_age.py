"""- max_age, honoured only for services with MaxAgeEnabled, as One Login reads it:
  in a query, an integer (else a parse error) where -1 means none and below -1 is
  "Max age is negative in query params"; in a request object, "Max age could not be parsed
  to an integer" or "Max age is negative in request object"."""

import re

from govsignin.oidc.errors import InvalidRequest, describe

INTEGER = re.compile(r"^-?[0-9]{1,10}$")  # ASCII only: int() accepts any script's digits
MAX = 10**9


async def check_max_age(ctx):
    raw = ctx.params.get("max_age")
    ctx.values["max_age"] = None
    if raw is None:
        return
    if not INTEGER.match(raw) or int(raw) > MAX:
        raise InvalidRequest(describe("max_age_nan"))  # a query's is refused by parse_request
    value = int(raw)
    if ctx.from_request_object and value < 0:
        raise InvalidRequest(describe("max_age_object"))
    if value < -1:
        raise InvalidRequest(describe("max_age_query"))
    if value >= 0 and ctx.client.max_age_enabled:
        ctx.values["max_age"] = value

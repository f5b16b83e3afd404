"""- request_uri is not supported (discovery says request_uri_parameter_supported: false).
  Inside a request object it is `invalid_request` instead (check_request_object)."""

from govsignin.oidc.errors import RequestUriNotSupported, describe


async def check_request_uri(ctx):
    if "request_uri" in ctx.query:
        raise RequestUriNotSupported(describe("request_uri"))

"""- request_uri is not supported (discovery says request_uri_parameter_supported: false)."""

from govsignin.oidc.errors import RequestUriNotSupported


async def check_request_uri(ctx):
    if "request_uri" in ctx.params:
        raise RequestUriNotSupported("Request URI is not supported")

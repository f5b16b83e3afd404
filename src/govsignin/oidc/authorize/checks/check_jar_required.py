"""- a service registered with JarValidationRequired must send a signed request object."""

from govsignin.oidc.errors import AccessDenied, describe


async def check_jar_required(ctx):
    if ctx.client.jar_required and not ctx.from_request_object:
        raise AccessDenied(describe("jar_required"))

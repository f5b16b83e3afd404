"""- a service registered with JarValidationRequired must send a signed request object."""

from govsignin.oidc.errors import AccessDenied


async def check_jar_required(ctx):
    if ctx.client.jar_required and not ctx.from_request_object:
        raise AccessDenied("JAR required for client but request does not contain Request Object")

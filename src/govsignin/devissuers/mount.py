"""Serving the development issuers inside the provider, in development only, registered with
the provider as any configured issuer would be. Outside development nothing of devissuers/
beyond this module is imported."""

from __future__ import annotations

from starlette.routing import Mount

CLIENT_ID = "govsignin"


class DevIssuersRefused(RuntimeError):
    pass


def enabled(settings) -> bool:
    return settings.env == "development" and settings.dev_issuers


def build(settings, services):
    """The DevIssuers for this provider (refused outside development)."""
    if not enabled(settings):
        raise DevIssuersRefused(
            "The development credential issuers run only with GOVSIGNIN_ENV=development "
            "(and GOVSIGNIN_DEV_ISSUERS not off)."
        )
    from govsignin.devissuers.app import DevIssuers
    from govsignin.devissuers.contract import CoreRegistration

    core = CoreRegistration(
        client_id=CLIENT_ID, component_id=settings.issuer_url(),
        redirect_uri=lambda name: settings.endpoint(f"/identity/callback/{name}"),
        public_keys=services.identity.core.public_jwks,
    )
    return DevIssuers(settings, services.store, services.templates, core, services.identity.async_credentials.deliver)


def dev_issuer_routes(settings, services) -> list:
    if not enabled(settings):
        return []
    issuers = build(settings, services)
    services.identity.register(issuers.cri_configs())
    from govsignin.devissuers.app import PREFIX

    return [Mount(PREFIX, app=issuers.app())]

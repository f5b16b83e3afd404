"""`govsignin keys …`: signing keys."""

from __future__ import annotations

import typer

from govsignin.cli.common import CliError, JsonOpt, emit, run

keys_app = typer.Typer(no_args_is_help=True, help="Signing keys.")


@keys_app.command("rotate")
def keys_rotate(
    force: bool = typer.Option(False, "--force", help="Promote even if the next key was published recently."),
    identity: bool = typer.Option(False, "--identity", help="Rotate the core identity key (did.json), not the token keys."),
    as_json: JsonOpt = False,
):
    """Promote the published next key, retire the current one, and publish a new next key."""
    from govsignin.audit.tags import EventTag
    from govsignin.keys.service import KeyRotationTooSoon

    async def go(services):
        ring = services.identity.keys if identity else services.keys
        await ring.ensure_keys()
        try:
            report = await ring.rotate(force=force)
        except KeyRotationTooSoon as exc:
            raise CliError(str(exc)) from exc
        await services.audit.record(EventTag.KeysRotated, **report)
        return report

    emit(as_json, run(go))


@keys_app.command("list")
def keys_list(
    identity: bool = typer.Option(False, "--identity", help="The core identity keys (did.json), not the token keys."),
    as_json: JsonOpt = False,
):
    """Signing keys and their states (next, current, retiring)."""
    emit(as_json, run(lambda s: (s.identity.keys if identity else s.keys).list_keys()))

"""`govsignin dev-issuers …`: the development credential issuers from the command line
(contracts.md). Development only: every command refuses elsewhere."""

from __future__ import annotations

from typing import Annotated

import typer

dev_issuers_app = typer.Typer(no_args_is_help=True, help="Development only: the development credential issuers.")
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]


def _refuse_unless_development(settings) -> None:
    from govsignin.cli import common as cli
    from govsignin.devissuers.mount import enabled

    if not enabled(settings):
        cli.fail(
            "The development credential issuers run only with GOVSIGNIN_ENV=development and "
            "GOVSIGNIN_DEV_ISSUERS not off; they are never served in production."
        )


@dev_issuers_app.command("list")
def list_issuers(as_json: JsonOpt = False):
    """The development credential issuers and their URLs."""
    from govsignin.cli import common as cli
    from govsignin.config import get_settings
    from govsignin.devissuers.app import ISSUERS, PREFIX
    from govsignin.devissuers.keys import did_web

    settings = get_settings()
    _refuse_unless_development(settings)
    rows = []
    for issuer in ISSUERS:
        base = settings.endpoint(f"{PREFIX}/{issuer.name}")
        rows.append({"name": issuer.name, "title": issuer.title, "url": base + "/",
                     "authorize_url": base + "/authorize", "did": did_web(base)})
    cli.emit(as_json, rows, lambda data: [cli.err.print(f"{r['name']:16} {r['url']}") for r in data])


@dev_issuers_app.command("post-office-result")
def post_office_result(
    reference: str = typer.Option(..., "--reference", help="The reference the citizen was given."),
    outcome: str = typer.Option(..., "--outcome", help="pass or fail: the branch's result."),
    as_json: JsonOpt = False,
):
    """Record a Post Office branch's result for an in-person identity check."""
    from govsignin.cli import common as cli
    from govsignin.config import get_settings
    from govsignin.devissuers.app import UnknownReference
    from govsignin.devissuers.mount import build

    if outcome not in ("pass", "fail"):
        cli.fail(f"--outcome must be pass or fail, not {outcome!r}.")
    settings = get_settings()
    _refuse_unless_development(settings)

    async def record(services):
        try:
            return await build(settings, services).post_office_result(reference, outcome == "pass")
        except UnknownReference as exc:
            raise cli.CliError(str(exc)) from exc

    cli.emit(as_json, cli.run(record))

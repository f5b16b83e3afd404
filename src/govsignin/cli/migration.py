"""The migration commands: `accounts import`, `accounts import-report`,
`accounts erase-legacy-hashes` and `services legacy-links` (contracts.md, docs/migration.md).

Registered on the command line's accounts and services groups; the work is in migration/
(importer.py, progress.py and links.py).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from govsignin.cli.accounts import accounts_app
from govsignin.cli.common import BAD_INPUT_EXIT, CliError, JsonOpt, emit, fail, positive_days, run
from govsignin.cli.services import services_app

FORMATS = ("jsonl", "csv")


async def _checked_import(run_import, *args, **kwargs):
    from concurrent.futures.process import BrokenProcessPool

    try:
        return await run_import(*args, **kwargs)
    except BrokenProcessPool as exc:  # killed or out of memory: the committed batches stand
        raise CliError("A row-checking process stopped (killed, or out of memory). The batches already "
                       "written stand: run the same command again, with --workers 0 to check rows in one process.") from exc


def _format_of(path: Path, given: Optional[str]) -> str:
    if given is not None:
        if given not in FORMATS:
            sys.stderr.write(f"Error: --format {given!r} is not one of: {', '.join(FORMATS)}.\n")
            raise typer.Exit(BAD_INPUT_EXIT)
        return given
    return "csv" if path.suffix.lower() == ".csv" else "jsonl"


class _Progress:
    """A rich progress bar on a terminal (bytes of the file read: rate and time left), else nothing."""

    def __init__(self, stream, total: int, enabled: bool):
        self.stream, self.bar, self.task = stream, None, None
        if enabled:
            from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn, TransferSpeedColumn

            self.bar = Progress(TextColumn("Importing"), BarColumn(), TaskProgressColumn(), TransferSpeedColumn(),
                                TimeRemainingColumn(), console=Console(stderr=True), transient=True)
            self.task = self.bar.add_task("import", total=total)

    def __enter__(self):
        if self.bar:
            self.bar.start()
        return self

    def __exit__(self, *exc):
        if self.bar:
            self.bar.stop()

    def update(self) -> None:
        if self.bar:
            self.bar.update(self.task, completed=self.stream.tell())


@accounts_app.command("import")
def accounts_import(
    file: Path = typer.Argument(..., help="The legacy account file (JSON Lines or CSV, UTF-8)."),
    fmt: Optional[str] = typer.Option(None, "--format", help="jsonl or csv (default: from the file's extension)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check every row and report; write nothing."),
    rejects: Optional[Path] = typer.Option(None, "--rejects", help="Write rejected and unlinked rows here (JSON Lines), with reasons."),
    batch_size: int = typer.Option(2000, "--batch-size", min=1, max=10000, help="Rows per transaction."),
    workers: Optional[int] = typer.Option(None, "--workers", min=0, max=16, help="Processes checking rows (default: the cores but one, for files over 4 MiB; 0: none)."),
    as_json: JsonOpt = False,
):
    """Import legacy accounts with their password hashes (docs/migration.md). Re-running skips rows already imported."""
    from govsignin.audit.tags import EventTag
    from govsignin.migration.importer import run_import
    from govsignin.migration.parallel import default_workers

    fmt = _format_of(file, fmt)
    try:
        stream = file.open("rb")
        total = file.stat().st_size
    except OSError as exc:
        fail(f"Cannot read {file}: {exc.strerror or exc}.")
    try:
        rejects_out = rejects.open("wb") if rejects is not None else None
    except OSError as exc:
        fail(f"Cannot write the rejects file {rejects}: {exc.strerror or exc}.")
    started = time.monotonic()

    async def go(services):
        with stream, _Progress(stream, total, sys.stderr.isatty()) as bar:
            try:
                summary = await _checked_import(
                    run_import, services, stream, fmt, dry_run=dry_run, rejects_out=rejects_out,
                    batch_size=batch_size, progress=bar.update,
                    workers=default_workers(total) if workers is None else workers)
            finally:
                if rejects_out is not None:
                    rejects_out.close()
        if not dry_run:
            await services.audit.record(EventTag.LegacyAccountsImported, file=file.name, imported=summary.imported,
                                        skipped=summary.skipped, rejected=summary.rejected, unlinked=summary.unlinked)
        return summary.as_dict()

    result = run(go)
    result["seconds"] = round(time.monotonic() - started, 1)

    def show(r):
        said = "Would import" if r["dry_run"] else "Imported"
        Console().print(f"{said} {r['imported']} account(s); skipped {r['skipped']} already imported; "
                        f"rejected {r['rejected']}; left {r['unlinked']} unlinked (email collisions) in {r['seconds']} s.")
        if (r["rejected"] or r["unlinked"]) and rejects is not None:
            Console().print(f"Rows not imported, with reasons: {rejects}")
        elif r["rejected"] or r["unlinked"]:
            Console().print("Give --rejects FILE to see which rows and why.")

    emit(as_json, result, show)


@accounts_app.command("import-report")
def accounts_import_report(
    unlinked: bool = typer.Option(False, "--unlinked", help="Also list the rows left unlinked, with reasons."),
    as_json: JsonOpt = False,
):
    """Migration progress: imported, signed in, upgraded, pending (and erased, unlinked)."""
    from govsignin.migration.progress import import_report

    report = run(lambda s: import_report(s.engine, list_unlinked=unlinked))

    def show(r):
        Console().print(f"Imported {r['imported']}: signed in {r['signed_in']}, upgraded to argon2id {r['upgraded']}, "
                        f"pending {r['pending']}, old hash erased unused {r['erased']}. Left unlinked: {r['unlinked']}.")
        for u in r.get("unlinked_records", []):
            Console().print(f"  row {u['row']} {u['email']} {u['legacy_system'] or ''}:{u['legacy_id'] or ''}: {u['reason']}")

    emit(as_json, report, show)


@accounts_app.command("erase-legacy-hashes")
def accounts_erase_legacy_hashes(
    older_than: Optional[str] = typer.Option(None, "--older-than", metavar="DAYS", help="Default: GOVSIGNIN_LEGACY_HASH_RETENTION_DAYS."),
    as_json: JsonOpt = False,
):
    """Erase imported old password hashes never used within the retention period."""
    from govsignin.audit.tags import EventTag
    from govsignin.config import get_settings
    from govsignin.migration.progress import erase_unused_hashes

    days = positive_days(older_than) if older_than is not None else get_settings().legacy_hash_retention_days

    async def go(services):
        result = await erase_unused_hashes(services.engine, days)
        await services.audit.record(EventTag.LegacyHashesErased, erased=result["erased"], older_than_days=days)
        return result

    emit(as_json, run(go), lambda r: Console().print(f"Erased {r['erased']} old password hash(es) imported before {r['imported_before']}."))


@services_app.command("legacy-links")
def services_legacy_links(
    client_id: str = typer.Option(..., "--client-id", help="The service that owns the legacy system."),
    as_json: JsonOpt = False,
):
    """Stream the service's mapping, legacy id → pairwise sub, as JSON Lines on stdout (--json or not)."""
    import orjson

    from govsignin.migration.links import iter_links
    from govsignin.oidc.subject import subject_for

    async def go(services):
        client = await services.registry.get(client_id)
        if client is None:
            raise CliError(f"No service has client_id {client_id!r}: `govsignin services list` shows them.")
        if not client.legacy_system:
            raise CliError(f"The service {client.name!r} owns no legacy system (register it with --legacy-system NAME).")
        salt, out = services.settings.subject_salt, sys.stdout.buffer
        async for batch in iter_links(services.engine, client.legacy_system):
            out.write(b"".join(
                orjson.dumps({"legacy_id": legacy_id, "sub": subject_for(client, internal, salt)}) + b"\n"
                for legacy_id, internal in batch))
        out.flush()

    run(go)

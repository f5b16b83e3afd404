"""`govsignin audit …`: verify, export, checkpoint and expire the audit trail."""

from __future__ import annotations

import json
import sys
from typing import Optional

import typer
from rich.console import Console

from govsignin.cli.common import CliError, JsonOpt, emit, fail, positive_days, run

audit_app = typer.Typer(no_args_is_help=True, help="The audit trail: check its hash chain, export it for a SIEM, checkpoint and expire it.")

CHAIN_BROKEN_EXIT = 3  # distinct from 1 (could not run): the chain was read and is broken


@audit_app.command("verify")
def audit_verify(
    batch_size: int = typer.Option(2000, min=1, help="Events read per query."),
    as_json: JsonOpt = False,
):
    """Recompute the hash chain from the first event (or its checkpoint) to the head; exit 3 at the first break."""
    from govsignin.audit.append import ChainHeadMissing
    from govsignin.audit.verify import verify_chain

    async def go(services):
        try:
            return await verify_chain(services.engine, batch_size=batch_size)
        except ChainHeadMissing as exc:
            raise CliError(str(exc)) from exc

    report = run(go)

    def show(r):
        start = f" from the checkpoint at seq {r['from_checkpoint']['seq']}" if r["from_checkpoint"] else ""
        erased = f" ({r['erased']} erased)" if r["erased"] else ""
        Console().print(f"Audit chain intact: {r['events']} event(s){erased}{start}, head seq {r['head']['seq']} hash {r['head']['hash']}.")

    if report["ok"]:
        emit(as_json, report, show)
        return
    if as_json:
        emit(True, report)
    broken = report["broken"]
    sys.stderr.write(
        f"Error: the audit chain is broken at event id {broken['id']} (seq {broken['seq']}, {broken['reason']}): "
        f"{broken['message']}. Events before it verified; treat the trail from there as tampered.\n"
    )
    raise typer.Exit(CHAIN_BROKEN_EXIT)


@audit_app.command("export")
def audit_export(
    since: int = typer.Option(0, "--since", min=0, help="Only events after this seq (the last seq you received)."),
    since_time: Optional[str] = typer.Option(None, "--since-time", help="Only events recorded at or after this ISO 8601 time (UTC if no offset)."),
    batch_size: int = typer.Option(1000, min=1, help="Events read per query."),
    as_json: JsonOpt = False,
):
    """Stream events as NDJSON on stdout (one JSON object per line, in chain order), --json or not."""
    import datetime as dt

    from govsignin.audit.export import iter_events

    after_time = None
    if since_time is not None:
        try:
            after_time = dt.datetime.fromisoformat(since_time)
        except ValueError:
            fail(f"--since-time {since_time!r} is not an ISO 8601 time (e.g. 2026-11-21T09:00:00Z).")
        if after_time.tzinfo is None:
            after_time = after_time.replace(tzinfo=dt.UTC)

    async def go(services):
        out = sys.stdout
        try:
            async for batch in iter_events(services.engine, since_seq=since, since_time=after_time, batch_size=batch_size):
                out.write("".join(json.dumps(e, separators=(",", ":"), ensure_ascii=False) + "\n" for e in batch))
                out.flush()
        except BrokenPipeError:  # the reader went away (`| head`): stop quietly
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), out.fileno())

    run(go)


@audit_app.command("checkpoint")
def audit_checkpoint(as_json: JsonOpt = False):
    """Record a checkpoint (seq and hash) at the chain head; events up to it can later be expired."""
    from govsignin.audit.retention import RetentionRefused, record_checkpoint
    from govsignin.audit.append import ChainHeadMissing

    async def go(services):
        try:
            return await record_checkpoint(services.engine)
        except (ChainHeadMissing, RetentionRefused) as exc:
            raise CliError(str(exc)) from exc

    def show(r):
        said = "Checkpoint recorded" if r["new"] else "The head was already checkpointed"
        Console().print(f"{said}: seq {r['seq']} hash {r['hash']} ({r['created_at']}).")

    emit(as_json, run(go), show)


@audit_app.command("expire")
def audit_expire(
    older_than: Optional[str] = typer.Option(None, "--older-than", metavar="DAYS", help="Retention period in whole days (at least 1): expire events recorded before it."),
    as_json: JsonOpt = False,
):
    """Delete the oldest events up to a checkpoint, if all are older than the period (one transaction)."""
    from govsignin.audit.retention import RetentionRefused, expire
    from govsignin.audit.append import ChainHeadMissing

    days = positive_days(older_than)

    async def go(services):
        try:
            return await expire(services.engine, older_than_days=days)
        except (ChainHeadMissing, RetentionRefused) as exc:
            raise CliError(str(exc)) from exc

    emit(as_json, run(go), lambda r: Console().print(r["message"]))

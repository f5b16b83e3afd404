"""`govsignin outbox`: the messages that would have been sent, in development."""

from __future__ import annotations

from typing import Optional

import typer
from rich.console import Console

from govsignin.cli.common import JsonOpt, emit, run


def outbox(
    to: Optional[str] = typer.Option(None, help="Only messages to this address or number."),
    last: bool = typer.Option(False, "--last", help="Only the newest message."),
    as_json: JsonOpt = False,
):
    """In development, the emails and text messages that would have been sent, newest last."""
    from govsignin.messaging.outbox import read_outbox

    rows = run(lambda s: read_outbox(s, to, last))

    def show(rows):
        for r in rows:
            Console().print(f"[bold]{r['created_at']}[/bold] {r['channel']} to {r['to']} ({r['template']})\n  {r['body']}")

    emit(as_json, rows if not last else (rows[0] if rows else None), show)

"""What every benchmark does with its result: --output FILE, --json or the table, and the time."""

from __future__ import annotations

import json


def emit(result: dict, args, table, log) -> int:
    """Write `result` to `args.output` if given, print it as JSON (`args.json`) or as
    `table(result)`, log the elapsed time; the command's exit status."""
    if args.output:
        with open(args.output, "w") as f:
            json.dump(result, f, indent=2)
    print(json.dumps(result, indent=2) if args.json else table(result))
    log(f"done in {result['elapsed_s']} s")
    return 0

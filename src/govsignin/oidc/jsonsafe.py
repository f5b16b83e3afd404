"""json.loads for untrusted input: any failure (including nesting deep enough to exhaust the
recursion limit, which json raises as RecursionError) is a ValueError, so every caller's
`except ValueError` maps it to the right protocol error instead of a 500."""

from __future__ import annotations

import json


def loads(text: str | bytes):
    try:
        return json.loads(text)
    except RecursionError as exc:
        raise ValueError("JSON is nested too deeply") from exc

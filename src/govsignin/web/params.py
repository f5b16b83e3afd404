"""Parameter hygiene shared by every endpoint: size limits, duplicates, encoding.

RFC 6749 §3.1: "Request and response parameters MUST NOT be included more than once."
"""

from __future__ import annotations

from urllib.parse import parse_qsl

MAX_PARAM_LENGTH = 8192


class ParameterError(ValueError):
    pass


def parse_params(raw: str | bytes, *, max_total: int) -> dict[str, str]:
    """Decode a query string or form body into single values, refusing anything ambiguous."""
    if isinstance(raw, bytes):
        if len(raw) > max_total:
            raise ParameterError("Request is too large")
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ParameterError("Request is not valid UTF-8") from exc
    if len(raw) > max_total:
        raise ParameterError("Request is too large")
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, strict_parsing=False, errors="strict")
    except (UnicodeDecodeError, ValueError) as exc:
        raise ParameterError("Request parameters are not valid") from exc
    params: dict[str, str] = {}
    for name, value in pairs:
        if name in params:
            raise ParameterError(f"Duplicate parameter: {name[:40]}")
        if "\x00" in name or "\x00" in value:
            raise ParameterError("Request parameters are not valid")
        params[name] = value
    # Blank values count as absent (RFC 6749 §3.1).
    return {k: v for k, v in params.items() if v != ""}

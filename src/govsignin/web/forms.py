"""Reading a browser form: bounded size, url-encoded only, duplicates refused.

An empty body reads as {} so that the CSRF check (not a parse error) refuses it.
"""

from __future__ import annotations

from govsignin.web.params import ParameterError, parse_params

MAX_FORM = 16384


async def read_form(request, limit: int = MAX_FORM) -> dict:
    ctype = request.headers.get("content-type", "").split(";")[0].strip()
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise ParameterError("form too large")
    if not body:
        return {}
    if ctype != "application/x-www-form-urlencoded":
        raise ParameterError("not a form")
    return parse_params(body, max_total=limit)

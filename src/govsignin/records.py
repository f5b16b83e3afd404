"""JSON for the records govsignin writes and reads back itself (browser sessions with their
journey, authorization codes, access tokens) and for its protocol JSON responses: orjson.

A sign-in reads and writes the session record about twenty times; the standard library's json cost
~15 us a round trip of it, orjson ~3 (docs/performance.md, "The Redis store"). The output is the
same JSON (compact, dict keys that are not strings written as strings, as json.dumps does), except
that characters outside ASCII are written as UTF-8 rather than \\u escapes: both are the same JSON.
Untrusted input (request objects, client JWKS) is parsed elsewhere (oidc/jsonsafe.py), and the audit
chain keeps its own canonical form (audit/chain.py): its hashes depend on every byte.
"""

from __future__ import annotations

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS


def dumps(value) -> str:
    return orjson.dumps(value, option=_OPTIONS).decode()


def dump_bytes(value) -> bytes:
    return orjson.dumps(value, option=_OPTIONS)


loads = orjson.loads

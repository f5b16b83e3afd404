"""/healthz (the process is alive) and /readyz (the database and the store answer, and a Redis
store will not evict keys)."""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from starlette.responses import JSONResponse

NO_STORE = {"Cache-Control": "no-store"}


UNVERIFIED = "unverified"


async def _eviction(store) -> str:
    """Lockouts, sessions, codes and replay caches live in Redis: with any policy but
    `noeviction`, Redis under memory pressure would silently delete them (lifting a lockout,
    forgetting a used jti). Where CONFIG is disabled the instance stays ready, and says the
    operator must check the setting (docs/operations.md)."""
    try:
        async with asyncio.timeout(2):
            policy = await store.eviction_policy()
    except Exception as exc:
        return f"unavailable: {type(exc).__name__}"
    if policy is None:
        return (f"{UNVERIFIED}: CONFIG GET maxmemory-policy is not allowed on this Redis; "
                "the operator must check that maxmemory-policy is noeviction")
    if policy != "noeviction":
        return f"refused: maxmemory-policy is {policy}; it must be noeviction, or Redis may evict security state"
    return "ok"


async def healthz(request):
    return JSONResponse({"status": "ok"}, headers=NO_STORE)


async def readyz(request):
    services = request.app.state.services
    checks = {}
    try:
        async with asyncio.timeout(2):
            async with services.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # any failure means not ready; the type says which
        checks["database"] = f"unavailable: {type(exc).__name__}"
    try:
        async with asyncio.timeout(2):
            await services.store.ping()
        checks["store"] = "ok"
    except Exception as exc:
        checks["store"] = f"unavailable: {type(exc).__name__}"
    if hasattr(services.store, "eviction_policy") and checks["store"] == "ok":
        checks["store_eviction"] = await _eviction(services.store)
    ready = all(v == "ok" or v.startswith(UNVERIFIED) for v in checks.values())
    # Like every 503 during an outage, say when to ask again.
    headers = NO_STORE if ready else {**NO_STORE, "Retry-After": "5"}
    return JSONResponse({"status": "ready" if ready else "unavailable", "checks": checks},
                        status_code=200 if ready else 503, headers=headers)

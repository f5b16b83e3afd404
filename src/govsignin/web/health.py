"""/healthz (the process is alive) and /readyz (the database and the store answer)."""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from starlette.responses import JSONResponse

NO_STORE = {"Cache-Control": "no-store"}


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
    ready = all(v == "ok" for v in checks.values())
    # Like every 503 during an outage, say when to ask again.
    headers = NO_STORE if ready else {**NO_STORE, "Retry-After": "5"}
    return JSONResponse({"status": "ready" if ready else "unavailable", "checks": checks},
                        status_code=200 if ready else 503, headers=headers)

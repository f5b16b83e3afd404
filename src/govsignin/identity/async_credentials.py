"""Credentials that arrive after the journey left the issuer (the Post Office's result), held
for the citizen until their next visit collects them: One Login's SQS queue of asynchronous
VCs (capabilities-research.md §1.1, `process-async-cri-credential`), here in the shared store.
Every VC is still verified (cri_client.verify_credential) when it is collected."""

from __future__ import annotations

from govsignin.records import dumps, loads

KEEP_SECONDS = 30 * 86400


class AsyncCredentials:
    def __init__(self, store):
        self.store = store

    @staticmethod
    def _key(sub: str, cri: str) -> str:
        return f"identity:async:{cri}:{sub}"

    async def deliver(self, sub: str, cri: str, jwt: str) -> None:
        key = self._key(sub, cri)
        raw = await self.store.get(key)
        waiting = loads(raw) if raw else []
        await self.store.set(key, dumps([*waiting, jwt]), KEEP_SECONDS)

    async def collect(self, sub: str, cri: str) -> list[str]:
        raw = await self.store.pop(self._key(sub, cri))
        return loads(raw) if raw else []

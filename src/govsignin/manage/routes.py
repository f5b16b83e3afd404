"""Routes of the signed-in account pages (manage/)."""

from __future__ import annotations


def manage_routes() -> list:
    return []

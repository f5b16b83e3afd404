"""A server worker freezes its start-up heap (app.freeze_startup_heap), so a full garbage
collection walks only what came after start-up instead of every module, route and template
(a ~50 ms pause for the requests in flight); apps built by tests leave the heap alone."""

from __future__ import annotations

import gc
import time

import pytest

from govsignin.app import create_app


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()  # the test process builds many apps: never keep one frozen


async def test_a_serving_worker_freezes_its_start_up_heap(settings, services, unfrozen):
    app = create_app(settings, services, serving=True)
    assert gc.get_freeze_count() == 0
    async with app.router.lifespan_context(app):
        frozen = gc.get_freeze_count()
        assert frozen > 10_000  # the loaded modules, the app, its routes and services
        start = time.process_time()
        gc.collect()
        walked_after = time.process_time() - start
        gc.unfreeze()
        start = time.process_time()
        gc.collect()
        walked_all = time.process_time() - start
        assert walked_after < walked_all  # the full collection skipped the frozen objects


async def test_an_app_built_in_a_test_leaves_the_heap_alone(settings, services, unfrozen):
    app = create_app(settings, services)
    async with app.router.lifespan_context(app):
        assert gc.get_freeze_count() == 0


def test_the_served_application_is_a_serving_worker(monkeypatch):
    """govsignin.asgi (what uvicorn imports in each worker) builds its app with serving=True."""
    import importlib
    import sys

    seen = {}

    def fake_create_app(*args, **kwargs):
        seen.update(kwargs)
        return object()

    monkeypatch.setattr("govsignin.app.create_app", fake_create_app)
    monkeypatch.delitem(sys.modules, "govsignin.asgi", raising=False)
    importlib.import_module("govsignin.asgi")
    assert seen == {"serving": True}

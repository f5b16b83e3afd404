"""IndexedRouter (web/routing.py) picks, for every request, the route Starlette's own walk would pick."""

from __future__ import annotations

from starlette.routing import Match, Route, Router

from govsignin.app import routes
from govsignin.web.routing import IndexedRouter
from govsignin.config import Settings


def starlette_choice(router_routes, scope):
    partial = None
    for route in router_routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return route, Match.FULL
        if match is Match.PARTIAL and partial is None:
            partial = route
    return (partial, Match.PARTIAL) if partial is not None else (None, Match.NONE)


def test_every_fixed_path_and_method_resolves_as_starlette_would():
    app_routes = routes(Settings(env="test"))
    router = IndexedRouter(app_routes)
    table = router._fixed_paths()
    assert "/token" in table and "/.well-known/jwks.json" in table
    paths = {r.path for r in app_routes if isinstance(r, Route)} | {"/nope", "/assets/x.css", "/token/"}
    for path in paths:
        for method in ("GET", "POST", "HEAD", "PUT", "DELETE"):
            scope = {"type": "http", "path": path, "root_path": "", "method": method}
            expected = starlette_choice(app_routes, scope)
            candidates = table.get(path)
            got = starlette_choice(candidates, scope) if candidates is not None else expected
            assert got == expected, (path, method)


def test_the_table_follows_routes_added_later():
    async def a(request):
        return None

    router = IndexedRouter([Route("/x", a)])
    assert list(router._fixed_paths()) == ["/x"]
    router.routes.append(Route("/y", a))
    assert list(router._fixed_paths()) == ["/x", "/y"]
    assert isinstance(router, Router)

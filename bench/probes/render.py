"""CPU per render of the sign-in pages, in process: `Templates.render` alone, no server.

    .venv/bin/python -m bench.probes.render        # 4 sign-in pages x en/cy, 5 runs of 2000 renders
    .venv/bin/python -m bench.probes.render --runs 9 --renders 5000
    .venv/bin/python -m bench.probes.render --profile     # cProfile of the enter-email page, top 25

Each line is the median over runs of CPU µs (`time.process_time`) per `Templates.render` call,
with the same template and context the journey gives each GET (CSRF token, client name, email),
including building the HTMLResponse with its CSP header. The noise of the shared machine is in
the min-max spread; compare medians.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from starlette.requests import Request

from govsignin.config import Settings
from govsignin.web.templating import Templates

CSRF = "x" * 43
PAGES = {
    "/sign-in-or-create": ("journeys/sign-in-or-create.html", {"csrf_token": CSRF, "client_name": "Example service"}),
    "/enter-email": ("journeys/enter-email.html", {"csrf_token": CSRF, "client_name": "Example service", "email": ""}),
    "/enter-password": (
        "journeys/enter-password.html",
        {"csrf_token": CSRF, "client_name": "Example service", "email": "someone@example.com"},
    ),
    "/enter-authenticator-app-code": (
        "journeys/enter-authenticator-app-code.html", {"csrf_token": CSRF, "client_name": "Example service"}
    ),
}


def request(path: str, lang: str) -> Request:
    headers = [(b"host", b"127.0.0.1"), (b"cookie", f"lng={lang}".encode())]
    return Request({"type": "http", "method": "GET", "path": path, "query_string": b"", "headers": headers})


def per_render_us(templates: Templates, path: str, lang: str, renders: int) -> float:
    template, context = PAGES[path]
    req = request(path, lang)
    templates.render(req, template, **context)  # compiled and cached before the clock starts
    start = time.process_time()
    for _ in range(renders):
        templates.render(req, template, **context)
    return 1e6 * (time.process_time() - start) / renders


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.probes.render", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--renders", type=int, default=2000)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    templates = Templates(Settings())
    if args.profile:
        import cProfile
        import pstats

        profile = cProfile.Profile()
        profile.runcall(per_render_us, templates, "/enter-email", "en", args.renders)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
        return 0
    print(f"CPU µs per Templates.render, median of {args.runs} runs x {args.renders} renders (min-max):")
    medians = []
    for path in PAGES:
        for lang in ("en", "cy"):
            runs = [per_render_us(templates, path, lang, args.renders) for _ in range(args.runs)]
            medians.append(statistics.median(runs))
            print(f"  GET {path:32s} {lang}  {medians[-1]:8.1f}  ({min(runs):.1f}-{max(runs):.1f})")
    print(f"  {'mean of the medians':41s} {statistics.mean(medians):8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Serve one demo service: ``python -m demo.service pension --issuer ... --client-id ... --key ...``.

``demo.run`` starts both services this way; run it by hand to point a service at another provider.
"""

from __future__ import annotations

import argparse

import uvicorn

from demo.rp import create_app
from demo.services import SERVICES


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m demo.service", description=__doc__)
    parser.add_argument("service", choices=sorted(SERVICES))
    parser.add_argument("--issuer", required=True, help="the provider's issuer, e.g. http://localhost:8000")
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--key", required=True, help="PEM private key whose public half was registered")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, help="default: the service's own port (8001 or 8002)")
    parser.add_argument("--base-url", help="where browsers reach this service (default http://localhost:PORT)")
    args = parser.parse_args(argv)

    spec = SERVICES[args.service]
    port = args.port or spec.port
    app = create_app(
        spec,
        issuer=args.issuer,
        client_id=args.client_id,
        private_key_path=args.key,
        base_url=args.base_url or f"http://localhost:{port}",
    )
    uvicorn.run(app, host=args.host, port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()

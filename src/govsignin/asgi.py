"""The ASGI application for uvicorn workers: `govsignin.asgi:app`."""

from govsignin.app import create_app

app = create_app(serving=True)

"""How the API is served: one place, so that a benchmark serves a baseline app the same way."""

from __future__ import annotations

import uvicorn
from litestar.types import ASGIApp

# uvicorn drains in-flight requests on SIGTERM for at most this long.
GRACEFUL_SHUTDOWN_SECONDS = 20


def serve(app: ASGIApp, *, host: str, port: int) -> None:
    """Serve `app` on host:port until SIGTERM, with the production server settings."""
    uvicorn.run(
        app,
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        workers=1,
        log_config=None,
        # A line per request would be most of the API's logging work; the load balancer's
        # access logs and /metrics (counts and latency by route and status) keep that record.
        access_log=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )

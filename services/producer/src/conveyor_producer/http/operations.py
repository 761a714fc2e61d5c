"""The operations routes, outside the API and its token: liveness and readiness."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from litestar import get
from litestar.di import NamedDependency

from conveyor_producer.http.problems import documented_problems
from conveyor_producer.http.readiness import ReadinessService

# The name the readiness route takes its ReadinessService under.
READINESS = "readiness"


@get("/health", sync_to_thread=False, summary="Liveness", tags=["operations"])
def health() -> dict[str, str]:
    return {"status": "ok"}


@get("/ready", summary="Readiness", tags=["operations"], responses=documented_problems(503))
async def ready(readiness: NamedDependency[ReadinessService]) -> dict[str, Any]:
    # Not on the request handlers' threads: requests stuck on a slow dependency hold those.
    checks = await anyio.to_thread.run_sync(readiness.report, limiter=readiness.threads)
    return {"status": "ready", "checks": checks}

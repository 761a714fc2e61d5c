"""`python -m conveyor_producer`: serve the API with uvicorn until SIGTERM."""

from __future__ import annotations

from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor

from conveyor_aws import clients
from conveyor_aws.tracing import start_tracing
from conveyor_common.log import configure_logging
from conveyor_common.settings import load
from conveyor_producer.app import real_app
from conveyor_producer.http.server import serve
from conveyor_producer.settings import ProducerSettings


def main() -> None:
    settings = load(ProducerSettings)
    configure_logging("producer", settings)
    # Before the app: its pool's connections and its AWS clients are then traced.
    start_tracing("producer", settings, instrumentors=[PsycopgInstrumentor()])
    # Before the adapters are built: their AWS clients take this profile.
    clients.configure(clients.API_PROFILE.overridden_by(settings))
    serve(real_app(settings), host=settings.host, port=settings.port)


if __name__ == "__main__":
    main()

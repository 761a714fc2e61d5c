"""`python -m conveyor_notifier`: consume the notifier queue until stopped."""

from __future__ import annotations

from conveyor_aws import clients
from conveyor_aws.broker.liveness_recorder import LivenessRecorder
from conveyor_aws.broker.worker import run_worker
from conveyor_aws.metrics.queues import QueueCollector, broker_queues
from conveyor_aws.metrics.server import serve_metrics
from conveyor_aws.tracing import start_tracing
from conveyor_common.log import configure_logging
from conveyor_common.settings import load
from conveyor_notifier.settings import NotifierSettings
from conveyor_notifier.worker import SERVICE, build_broker


def main() -> None:
    settings = load(NotifierSettings)
    configure_logging(SERVICE, settings)
    start_tracing(SERVICE, settings)
    clients.configure(clients.WORKER_PROFILE.overridden_by(settings))
    broker = build_broker(settings, liveness=LivenessRecorder(settings.liveness_path(SERVICE)))
    serve_metrics(settings, QueueCollector(broker_queues(broker)))
    run_worker(
        broker,
        threads=settings.worker_threads,
        queues=[settings.notifier_queue],
    )


if __name__ == "__main__":
    main()

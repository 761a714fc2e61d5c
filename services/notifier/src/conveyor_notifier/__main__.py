"""`python -m conveyor_notifier`: consume the notifier queue until stopped."""

from __future__ import annotations

from conveyor_aws import clients
from conveyor_aws.broker.liveness_recorder import LivenessRecorder
from conveyor_aws.broker.worker import run_worker
from conveyor_common.log import configure_logging
from conveyor_common.settings import load
from conveyor_notifier.settings import NotifierSettings
from conveyor_notifier.worker import build_broker

SERVICE = "notifier"


def main() -> None:
    settings = load(NotifierSettings)
    configure_logging(SERVICE, settings)
    clients.configure(clients.WORKER_PROFILE.overridden_by(settings))
    run_worker(
        build_broker(settings, liveness=LivenessRecorder(settings.liveness_path(SERVICE))),
        threads=settings.worker_threads,
        queues=[settings.notifier_queue],
    )


if __name__ == "__main__":
    main()

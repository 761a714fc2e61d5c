"""The workers' queues, named as the workers name them: PROCESSOR_QUEUE and
NOTIFIER_QUEUE from the environment, else the default names."""

from __future__ import annotations

import os

from conveyor_aws.resources import SERVICE_EVENTS, ResourceNames


def worker_queues() -> list[str]:
    names = ResourceNames()
    return [
        os.environ.get(f"{service.upper()}_QUEUE") or names.queue(service)
        for service in SERVICE_EVENTS
    ]

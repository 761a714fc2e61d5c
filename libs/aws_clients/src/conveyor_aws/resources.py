"""Names and settings of the AWS resources, in one place.

infra/terraform declares the same resources for real AWS; bootstrap creates
them on an emulator.
"""

from __future__ import annotations

import msgspec

# Which event types each service's queue subscribes to (SNS filter policies).
SERVICE_EVENTS: dict[str, tuple[str, ...]] = {
    "processor": ("OrderSubmitted", "ExportRequested", "FileUploaded"),
    "notifier": (
        "OrderSubmitted",
        "ExportCompleted",
        "ExportFailed",
        "FileProcessed",
        "FileFailed",
    ),
}

QUEUE_VISIBILITY_TIMEOUT_SECONDS = 300
QUEUE_RETENTION_SECONDS = 4 * 24 * 3600
DLQ_RETENTION_SECONDS = 14 * 24 * 3600
# Receives before SQS moves a message to the DLQ: undecodable bodies end there.
MAX_RECEIVE_COUNT = 3
EXPORT_OBJECT_EXPIRY_DAYS = 30


class ResourceNames(msgspec.Struct, frozen=True, kw_only=True):
    prefix: str = "conveyor"
    bucket: str = "conveyor-exports"
    sender: str = "no-reply@conveyor.example.com"

    @property
    def topic(self) -> str:
        return f"{self.prefix}-events"

    @property
    def table(self) -> str:
        return f"{self.prefix}-state"

    def queue(self, service: str) -> str:
        return f"{self.prefix}-{service}"

    def dead_letter_queue(self, service: str) -> str:
        return f"{self.queue(service)}-dlq"

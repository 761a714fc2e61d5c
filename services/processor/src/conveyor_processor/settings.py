"""What the processor reads from the environment."""

from __future__ import annotations

from conveyor_common.settings import AwsConfig, DatabaseConfig, PublisherConfig, WorkerConfig


class ProcessorSettings(AwsConfig, DatabaseConfig, PublisherConfig, WorkerConfig):
    processor_queue: str

"""What the processor reads from the environment."""

from __future__ import annotations

from pathlib import Path

from pydantic import AnyHttpUrl, Field, field_validator
from pydantic_core import PydanticCustomError

from conveyor_aws.broker.liveness import LivenessConfig
from conveyor_aws.metrics.server import MetricsConfig
from conveyor_aws.s3_stream import DEFAULT_PART_SIZE_BYTES, MIN_PART_SIZE_BYTES
from conveyor_aws.tracing import TracingConfig
from conveyor_common.settings import AwsConfig, DatabaseConfig, PublisherConfig, WorkerConfig
from conveyor_processor.exports.temp_dir import default_root


class ProcessorSettings(
    AwsConfig,
    DatabaseConfig,
    PublisherConfig,
    WorkerConfig,
    LivenessConfig,
    MetricsConfig,
    TracingConfig,
):
    processor_queue: str
    exports_bucket: str
    # The API's address as the people it e-mails reach it: their links to exports and
    # error reports lead through it (conveyor_common.links). A path is kept, for an API
    # behind a proxy that strips it; a query or fragment would end up inside each link.
    public_api_url: AnyHttpUrl
    # A worker that stops renewing its claim this long is presumed dead.
    export_lease_seconds: int = Field(default=60, ge=10)
    import_lease_seconds: int = Field(default=60, ge=10)
    export_part_size_bytes: int = Field(default=DEFAULT_PART_SIZE_BYTES, ge=MIN_PART_SIZE_BYTES)
    # Where each processor process owns a directory for the XLSX and PDF writers'
    # temporary files, and removes those of dead processes at start (exports/temp_dir.py).
    export_temp_dir: Path = Field(default_factory=default_root)

    @field_validator("public_api_url")
    @classmethod
    def _base_address(cls, url: AnyHttpUrl) -> AnyHttpUrl:
        if url.query is not None or url.fragment is not None:
            raise PydanticCustomError("base_address", "must have no query or fragment")
        return url

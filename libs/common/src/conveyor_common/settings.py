"""Settings read from the environment and checked once, at start-up.

Each service declares the settings it needs by subclassing the groups below;
`load` turns a wrong or missing variable into one clear line and exit code 2.
"""

from __future__ import annotations

import sys
from typing import Literal, TypeVar

from pydantic import AnyHttpUrl, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

EXIT_CONFIG_ERROR = 2


class BaseConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_json: bool = True


class AwsConfig(BaseConfig):
    aws_region: str = "us-east-1"
    aws_endpoint_url: AnyHttpUrl | None = None
    state_table: str
    # Unset, each takes the value of the service's client profile (conveyor_aws.clients).
    aws_connect_timeout_seconds: float | None = Field(default=None, gt=0)
    aws_read_timeout_seconds: float | None = Field(default=None, gt=0)
    # Attempts per AWS call in all, the first included.
    aws_max_attempts: int | None = Field(default=None, ge=1)


class DatabaseConfig(BaseConfig):
    database_url: str


class PublisherConfig(BaseConfig):
    events_topic_arn: str


class WorkerConfig(BaseConfig):
    worker_threads: int = 4
    # Seconds a received message stays hidden; the heartbeat renews it for long jobs.
    visibility_timeout_seconds: int = 300


SettingsT = TypeVar("SettingsT", bound=BaseSettings)


def load(settings_cls: type[SettingsT]) -> SettingsT:
    """Build the settings or stop the process naming the offending variable."""
    try:
        return settings_cls()
    except ValidationError as exc:
        first = exc.errors()[0]
        variable = str(first["loc"][0]).upper() if first["loc"] else "?"
        problem = "is not set" if first["type"] == "missing" else first["msg"]
        print(f"configuration error: {variable} {problem}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG_ERROR) from None

"""The producer's settings, read from the environment once at start-up."""

from __future__ import annotations

from pydantic import AnyHttpUrl, Field, SecretStr

from conveyor_common.imports.model import (
    DEFAULT_MAX_PRESIGNED_BYTES,
    DEFAULT_MAX_UPLOAD_BYTES,
    DEFAULT_PRESIGNED_GRACE_SECONDS,
    DEFAULT_PRESIGNED_POST_SECONDS,
    MAX_PRESIGNED_POST_SECONDS,
)
from conveyor_common.settings import AwsConfig, DatabaseConfig, PublisherConfig
from conveyor_producer.http.aws_budget import REQUEST_AWS_BUDGET_SECONDS

ONE_MEBIBYTE = 1024 * 1024


class ProducerSettings(AwsConfig, DatabaseConfig, PublisherConfig):
    jwt_secret: SecretStr
    jwt_audience: str | None = None
    # When set, tokens are RS256 and verified against this key set instead of the secret.
    jwks_url: AnyHttpUrl | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    max_request_body_bytes: int = ONE_MEBIBYTE
    # Where the processor stores export files; the API presigns download links into it.
    exports_bucket: str
    # The private bucket uploaded files go to (conveyor_aws.resources.UPLOADS_BUCKET).
    uploads_bucket: str
    # POST /api/v1/files/upload streams files up to this; larger ones take the presigned path.
    max_upload_bytes: int = Field(default=DEFAULT_MAX_UPLOAD_BYTES, gt=0)
    # The presigned path's ceiling.
    max_presigned_bytes: int = Field(default=DEFAULT_MAX_PRESIGNED_BYTES, gt=0)
    # How long a presigned POST is accepted, and how much longer `complete` waits for an
    # upload still on its way at that deadline; then an upload never completed has ended.
    presigned_post_seconds: int = Field(
        default=DEFAULT_PRESIGNED_POST_SECONDS, gt=0, le=MAX_PRESIGNED_POST_SECONDS
    )
    presigned_grace_seconds: int = Field(default=DEFAULT_PRESIGNED_GRACE_SECONDS, ge=0)
    # All the AWS calls of one request together wait at most this long.
    aws_request_budget_seconds: float = Field(default=REQUEST_AWS_BUDGET_SECONDS, gt=0)

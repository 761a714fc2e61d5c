"""The producer's settings, read from the environment once at start-up."""

from __future__ import annotations

from pydantic import AnyHttpUrl, Field, SecretStr, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from conveyor_aws.tracing import TracingConfig
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
DEFAULT_KEY_SET_REFETCH_COOLDOWN_SECONDS = 30.0


class ProducerSettings(AwsConfig, DatabaseConfig, PublisherConfig, TracingConfig):
    # When set, tokens are RS256 or ES256 and verified against this key set only: the
    # secret is then not used, and an HS256 token is refused.
    jwks_url: AnyHttpUrl | None = None
    # HS256 tokens are verified with this; needed only without JWKS_URL. Declared after
    # JWKS_URL so that its check sees whether a key set is configured.
    jwt_secret: SecretStr | None = Field(default=None, validate_default=True)
    # Checked when set: a token must carry this `aud` (and `iss`).
    jwt_audience: str | None = Field(default=None, min_length=1)
    jwt_issuer: str | None = Field(default=None, min_length=1)
    # A token naming an unknown key refetches the key set at most once per this many
    # seconds, so a flood of made-up `kid`s cannot hammer the JWKS endpoint.
    jwks_refetch_cooldown_seconds: float = Field(
        default=DEFAULT_KEY_SET_REFETCH_COOLDOWN_SECONDS, ge=0
    )
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

    @field_validator("jwt_secret")
    @classmethod
    def _secret_or_key_set(cls, secret: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        """Tokens must be verifiable: by the secret, or by the key set."""
        if info.data.get("jwks_url") is None and not (secret and secret.get_secret_value()):
            raise PydanticCustomError("secret_or_key_set", "is needed when JWKS_URL is not set")
        return secret

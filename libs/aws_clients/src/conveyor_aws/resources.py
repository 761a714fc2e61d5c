"""Names and settings of the AWS resources, in one place.

infra/terraform (envs/aws, envs/local) declares the same resources; bootstrap creates
them on an emulator. The routing of events to services is not repeated there:
both read routing.json (see conveyor_aws.routing).
"""

from __future__ import annotations

import msgspec

from conveyor_aws.routing import packaged_routing

# Which event types each service's queue subscribes to (SNS filter policies), from
# routing.json, which Terraform reads too; checked when this module is imported.
SERVICE_EVENTS: dict[str, tuple[str, ...]] = dict(packaged_routing().consumers)

QUEUE_VISIBILITY_TIMEOUT_SECONDS = 300
QUEUE_RETENTION_SECONDS = 4 * 24 * 3600
DLQ_RETENTION_SECONDS = 14 * 24 * 3600
# Receives before SQS moves a message to the DLQ. Workers park what they cannot handle
# themselves, with the reason; this is the backstop for a message that never gets
# that far (e.g. one that kills its worker every time). Retries are new messages,
# so they never add up to it.
MAX_RECEIVE_COUNT = 3

# CORS on the uploads bucket, so that a browser page can POST a file to the presigned
# form (infra/terraform/modules/storage declares the same rule). Only the origins named in
# the settings get one: with none, the bucket has no CORS rule and only non-browser
# clients can use the presigned form.
UPLOADS_CORS_METHODS = ("POST",)
UPLOADS_CORS_HEADERS = ("*",)
# The response headers a page may read: S3 answers a POST with the object's ETag.
UPLOADS_CORS_EXPOSED_HEADERS = ("ETag",)
UPLOADS_CORS_MAX_AGE_SECONDS = 3000
# The bootstrap's environment variable: origins separated by commas.
UPLOADS_CORS_ORIGINS_VARIABLE = "UPLOADS_CORS_ORIGINS"


class ResourceNames(msgspec.Struct, frozen=True, kw_only=True):
    prefix: str = "conveyor"
    bucket: str = "conveyor-exports"
    # Private: uploaded files of orders and their error reports (the files feature).
    uploads_bucket: str = "conveyor-uploads"
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

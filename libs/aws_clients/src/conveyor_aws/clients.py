"""Lazily created, shared boto3 clients with explicit timeouts and retry budgets.

botocore reads AWS_ENDPOINT_URL (and AWS_ENDPOINT_URL_<SERVICE>) by itself, so
the same code talks to AWS, moto server or LocalStack with no branch here.
Clients are thread-safe once built; building them is not, hence the lock.

No client waits botocore's default 60 s for an answer. Each process picks a
profile at start-up (`configure`): the API waits briefly and retries once, since
its callers are waiting and can retry themselves after a 503; workers wait
longer, retry more, and give SQS long polls and S3 part uploads the time they
need. A caller can also bound a sequence of calls together (`deadline`).
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from collections.abc import Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError

from conveyor_common.settings import AwsConfig

if TYPE_CHECKING:
    from botocore.awsrequest import AWSPreparedRequest
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_ses import SESClient
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient

# Enough pooled connections for a busy API worker's thread pool.
MAX_POOL_CONNECTIONS = 64
DEFAULT_REGION = "us-east-1"

# The API: a caller is waiting, and a 503 with Retry-After is better than a hung request.
API_CONNECT_TIMEOUT_SECONDS = 1.0
API_READ_TIMEOUT_SECONDS = 2.0
API_MAX_ATTEMPTS = 2
# Workers: nobody waits on them, so they ride out a short outage instead of failing a job.
WORKER_CONNECT_TIMEOUT_SECONDS = 5.0
WORKER_READ_TIMEOUT_SECONDS = 10.0
WORKER_MAX_ATTEMPTS = 4
# dramatiq-sqs long-polls ReceiveMessage for up to 20 s (WaitTimeSeconds): an empty
# queue answers only then, so the read timeout must outlast the poll.
SQS_LONG_POLL_SECONDS = 20
SQS_READ_TIMEOUT_SECONDS = SQS_LONG_POLL_SECONDS + 10
# S3 answers an UploadPart (8 MiB by default) once it has stored the whole part.
S3_PART_UPLOAD_READ_TIMEOUT_SECONDS = 60.0
# Readiness probes: one short attempt; a probe reports, it does not retry.
PROBE_CONNECT_TIMEOUT_SECONDS = 1.0
PROBE_READ_TIMEOUT_SECONDS = 1.0
PROBE_MAX_ATTEMPTS = 1

# An attempt with less time than this left before a deadline is not started.
MIN_ATTEMPT_SECONDS = 0.1
# botocore's standard retry mode sleeps up to 2 ** (attempts so far - 1) s, capped at this.
MAX_BACK_OFF_SECONDS = 20.0


@dataclasses.dataclass(frozen=True, kw_only=True)
class ClientProfile:
    """How long a process's AWS clients wait, and how often they try."""

    name: str
    connect_timeout_seconds: float
    read_timeout_seconds: float
    # Attempts in all, the first included (botocore's total_max_attempts; its
    # `max_attempts` counts retries only).
    max_attempts: int
    # Services whose answers take longer by nature: their read timeout is at least this.
    min_read_timeout_seconds: Mapping[str, float] = dataclasses.field(default_factory=dict)

    def read_timeout_for(self, service: str) -> float:
        return max(self.read_timeout_seconds, self.min_read_timeout_seconds.get(service, 0.0))

    def config(self, service: str) -> Config:
        """The botocore configuration of this profile's client for `service`."""
        extra: dict[str, Any] = {}
        if service == "s3":
            # botocore presigns with SigV2 unless told; S3 refuses SigV2 links to
            # KMS-encrypted objects, which every export and error report is.
            extra["signature_version"] = "s3v4"
        if service == "s3" and os.environ.get("AWS_ENDPOINT_URL"):
            # Emulators serve buckets by path, not by virtual host.
            extra["s3"] = {"addressing_style": "path"}
        return Config(
            connect_timeout=self.connect_timeout_seconds,
            read_timeout=self.read_timeout_for(service),
            retries={"mode": "standard", "total_max_attempts": self.max_attempts},
            max_pool_connections=MAX_POOL_CONNECTIONS,
            **extra,
        )

    def overridden_by(self, settings: AwsConfig) -> ClientProfile:
        """This profile with what AWS_CONNECT_TIMEOUT_SECONDS, AWS_READ_TIMEOUT_SECONDS
        and AWS_MAX_ATTEMPTS set; unset ones keep the profile's values."""
        return dataclasses.replace(
            self,
            connect_timeout_seconds=settings.aws_connect_timeout_seconds
            or self.connect_timeout_seconds,
            read_timeout_seconds=settings.aws_read_timeout_seconds or self.read_timeout_seconds,
            max_attempts=settings.aws_max_attempts or self.max_attempts,
        )


API_PROFILE = ClientProfile(
    name="api",
    connect_timeout_seconds=API_CONNECT_TIMEOUT_SECONDS,
    read_timeout_seconds=API_READ_TIMEOUT_SECONDS,
    max_attempts=API_MAX_ATTEMPTS,
)
WORKER_PROFILE = ClientProfile(
    name="worker",
    connect_timeout_seconds=WORKER_CONNECT_TIMEOUT_SECONDS,
    read_timeout_seconds=WORKER_READ_TIMEOUT_SECONDS,
    max_attempts=WORKER_MAX_ATTEMPTS,
    min_read_timeout_seconds={
        "sqs": SQS_READ_TIMEOUT_SECONDS,
        "s3": S3_PART_UPLOAD_READ_TIMEOUT_SECONDS,
    },
)
PROBE_PROFILE = ClientProfile(
    name="probe",
    connect_timeout_seconds=PROBE_CONNECT_TIMEOUT_SECONDS,
    read_timeout_seconds=PROBE_READ_TIMEOUT_SECONDS,
    max_attempts=PROBE_MAX_ATTEMPTS,
)

_lock = threading.Lock()
# The shared clients, by service name: built once each, under the lock.
_clients: dict[str, Any] = {}
# Until a service chooses, e.g. in tools and tests: generous, but bounded.
_profile = WORKER_PROFILE


@dataclasses.dataclass
class _Deadline:
    """A time budget for AWS calls that starts with the first of them."""

    seconds: float
    # Monotonic time by which the calls end however late the first one came, if any.
    latest_end: float | None
    ends_at: float | None = None

    def remaining(self) -> float:
        now = time.monotonic()
        if self.ends_at is None:
            self.ends_at = now + self.seconds
            if self.latest_end is not None:
                self.ends_at = min(self.ends_at, self.latest_end)
        return self.ends_at - now


# The current request's (or other unit of work's) budget; a handler thread runs in a
# copy of the request's context, which shares this object.
_deadline: ContextVar[_Deadline | None] = ContextVar("conveyor_aws_deadline", default=None)


class DeadlineExceeded(BotoCoreError):
    """The caller's time for AWS calls is spent; the call was not (re)tried."""

    fmt = "{operation} was not attempted: the time allowed for AWS calls is spent"


def configure(profile: ClientProfile) -> None:
    """Use `profile` for every client built from now on (call it at start-up)."""
    global _profile
    with _lock:
        _profile = profile
    reset()


def config(service: str) -> Config:
    """The current profile's configuration for `service`, for clients made elsewhere
    (dramatiq-sqs builds its own boto3 resource)."""
    return _profile.config(service)


def region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION


def build(service: str, profile: ClientProfile) -> Any:
    """A new client for `service` with `profile`'s timeouts, honouring `deadline`."""
    config = profile.config(service)
    client = boto3.session.Session().client(  # type: ignore[call-overload]
        service, region_name=region(), config=config
    )
    client.meta.events.register("before-send", _fit_into_deadline)
    client.meta.events.register("needs-retry", _stop_at_deadline)
    return client


class deadline:  # noqa: N801 (used as a function: `with deadline(3.0):`)
    """AWS calls made inside, in this thread or context, share `seconds` of waiting,
    counted from the first of them; with `within`, they also end at most `within`
    seconds from now, however late the first one starts.

    Counting from the first call keeps work that is not AWS's (a database query, a
    busy CPU) from spending the budget, while `within` bounds the whole.
    Each attempt's read timeout is cut to the time left. A failed attempt is
    retried only if the back-off cannot outlast the deadline (else its error is
    raised at once), and no attempt starts once the time is spent
    (DeadlineExceeded, a BotoCoreError). A connect timeout is not cut, so a call
    can end up to one connect timeout after the deadline. Nested, the inner
    deadline applies.
    """

    # A class rather than a generator: the API enters one for every request.
    __slots__ = ("_latest_end", "_seconds", "_token")

    def __init__(self, seconds: float, *, within: float | None = None) -> None:
        self._seconds = seconds
        self._latest_end = time.monotonic() + within if within is not None else None

    def __enter__(self) -> None:
        self._token = _deadline.set(_Deadline(self._seconds, self._latest_end))

    def __exit__(self, *_: object) -> None:
        _deadline.reset(self._token)


def time_left() -> float | None:
    """Seconds left before the current deadline, None outside any. The first call
    starts the deadline's clock."""
    current = _deadline.get()
    return None if current is None else current.remaining()


def _fit_into_deadline(request: AWSPreparedRequest, event_name: str, **_: Any) -> None:
    """botocore's before-send hook, run before each attempt."""
    remaining = time_left()
    if remaining is None:
        return
    if remaining < MIN_ATTEMPT_SECONDS:
        raise DeadlineExceeded(operation=event_name.rsplit(".", 1)[-1])
    # botocore applies a read_timeout in the request context to this attempt alone
    # (the type stubs do not know the context yet).
    context: dict[str, Any] | None = getattr(request, "context", None)
    if context is not None:
        configured: float = context["client_config"].read_timeout
        context["read_timeout"] = min(configured, remaining)


def _stop_at_deadline(attempts: int, caught_exception: Exception | None, **_: Any) -> None:
    """botocore's needs-retry hook, run after each attempt, before any back-off sleep."""
    remaining = time_left()
    if caught_exception is None or remaining is None:
        return
    longest_back_off = min(2.0 ** (attempts - 1), MAX_BACK_OFF_SECONDS)
    if remaining < longest_back_off + MIN_ATTEMPT_SECONDS:
        # A retry might not start before the deadline: fail now, not after the back-off.
        raise caught_exception


def _client(service: str) -> Any:
    """The one shared client for `service`. Threads arriving together at a cold start
    wait for a single build: botocore takes a second or more to load a service model."""
    client = _clients.get(service)
    if client is None:
        with _lock:
            client = _clients.get(service)
            if client is None:
                client = _clients[service] = build(service, _profile)
    return client


def sns() -> SNSClient:
    client: SNSClient = _client("sns")
    return client


def sqs() -> SQSClient:
    client: SQSClient = _client("sqs")
    return client


def s3() -> S3Client:
    client: S3Client = _client("s3")
    return client


def dynamodb() -> DynamoDBClient:
    client: DynamoDBClient = _client("dynamodb")
    return client


def ses() -> SESClient:
    client: SESClient = _client("ses")
    return client


def reset() -> None:
    """Forget every client, e.g. after the endpoint changed in a test."""
    with _lock:
        _clients.clear()

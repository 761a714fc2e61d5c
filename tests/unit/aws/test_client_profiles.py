"""Client profiles: every AWS client waits and retries a bounded, configured amount."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import BotoCoreError, ReadTimeoutError
from dramatiq_sqs.broker import MAX_WAIT_TIME_SECONDS

from conveyor_aws import clients
from conveyor_aws.broker.envelope_broker import EnvelopeBroker
from conveyor_common.settings import AwsConfig


class Captured(Exception):
    """Stops a call right before it would go out on the wire."""


@pytest.fixture(autouse=True)
def offline_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Credentials to sign with and a region; no request leaves the process."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_MAX_ATTEMPTS", raising=False)
    yield
    # Back to the profile a process has until a service chooses one.
    clients.configure(clients.WORKER_PROFILE)


def waits(config: Any) -> tuple[float, float, dict[str, Any]]:
    """Connect and read timeouts and retry settings of a botocore Config (untyped in the stubs)."""
    return config.connect_timeout, config.read_timeout, config.retries


def standard_retries(attempts: int) -> dict[str, Any]:
    return {"mode": "standard", "total_max_attempts": attempts}


@pytest.mark.parametrize("service", ["dynamodb", "sns", "s3"])
def test_the_api_profile_waits_briefly_and_tries_twice(service: str) -> None:
    client = clients.build(service, clients.API_PROFILE)

    assert waits(client.meta.config) == (1.0, 2.0, standard_retries(2))
    assert (clients.API_CONNECT_TIMEOUT_SECONDS, clients.API_READ_TIMEOUT_SECONDS) == (1.0, 2.0)


def test_the_shared_clients_follow_the_configured_profile() -> None:
    clients.configure(clients.API_PROFILE)
    api_client = clients.dynamodb()

    clients.configure(clients.WORKER_PROFILE)
    worker_client = clients.dynamodb()

    assert waits(api_client.meta.config)[1] == clients.API_READ_TIMEOUT_SECONDS
    assert waits(worker_client.meta.config)[1] == clients.WORKER_READ_TIMEOUT_SECONDS
    assert worker_client is not api_client


def test_the_worker_profile_waits_longer_and_tries_more() -> None:
    config = clients.WORKER_PROFILE.config("dynamodb")

    assert waits(config) == (5.0, 10.0, standard_retries(4))


def test_worker_sqs_calls_outlast_a_long_poll_and_s3_calls_a_part_upload() -> None:
    _, sqs_read_timeout, _ = waits(clients.WORKER_PROFILE.config("sqs"))
    _, s3_read_timeout, _ = waits(clients.WORKER_PROFILE.config("s3"))

    assert clients.SQS_LONG_POLL_SECONDS == MAX_WAIT_TIME_SECONDS
    assert sqs_read_timeout == clients.SQS_READ_TIMEOUT_SECONDS > MAX_WAIT_TIME_SECONDS
    assert s3_read_timeout == clients.S3_PART_UPLOAD_READ_TIMEOUT_SECONDS == 60.0


def test_the_brokers_own_sqs_resource_gets_the_worker_profile() -> None:
    clients.configure(clients.WORKER_PROFILE)

    broker = EnvelopeBroker(service="test", visibility_timeout_seconds=30)

    assert waits(broker.sqs.meta.client.meta.config) == (
        clients.WORKER_CONNECT_TIMEOUT_SECONDS,
        clients.SQS_READ_TIMEOUT_SECONDS,
        standard_retries(clients.WORKER_MAX_ATTEMPTS),
    )


def test_settings_override_the_profile_but_not_the_long_poll_floor() -> None:
    settings = AwsConfig(
        state_table="t",
        aws_connect_timeout_seconds=0.5,
        aws_read_timeout_seconds=3,
        aws_max_attempts=6,
    )

    profile = clients.WORKER_PROFILE.overridden_by(settings)

    assert waits(profile.config("dynamodb")) == (0.5, 3, standard_retries(6))
    assert waits(profile.config("sqs"))[1] == clients.SQS_READ_TIMEOUT_SECONDS


def test_unset_settings_keep_the_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STATE_TABLE", "t")
    monkeypatch.setenv("AWS_READ_TIMEOUT_SECONDS", "1.5")

    profile = clients.API_PROFILE.overridden_by(AwsConfig())

    assert profile.read_timeout_seconds == 1.5
    assert profile.connect_timeout_seconds == clients.API_CONNECT_TIMEOUT_SECONDS
    assert profile.max_attempts == clients.API_MAX_ATTEMPTS


def capture_attempts(client: Any, *, failure: Exception | None = None) -> list[dict[str, Any]]:
    """The request context of each attempt the client makes, which then fails unsent
    (with `failure` if given, as if the wire had failed)."""
    seen: list[dict[str, Any]] = []

    def stop(request: Any, **_: Any) -> None:
        seen.append(dict(request.context))
        raise failure or Captured

    client.meta.events.register_last("before-send", stop)
    return seen


def test_without_a_deadline_an_attempt_waits_as_configured() -> None:
    client = clients.build("dynamodb", clients.API_PROFILE)
    attempts = capture_attempts(client)

    with pytest.raises(Captured):
        client.describe_table(TableName="t")

    assert "read_timeout" not in attempts[0]


def test_within_a_deadline_an_attempt_waits_at_most_for_the_time_left() -> None:
    client = clients.build("dynamodb", clients.API_PROFILE)
    attempts = capture_attempts(client)

    with clients.deadline(0.5), pytest.raises(Captured):
        client.describe_table(TableName="t")

    assert 0 < attempts[0]["read_timeout"] <= 0.5


def test_a_deadline_never_lengthens_the_configured_wait() -> None:
    client = clients.build("dynamodb", clients.API_PROFILE)
    attempts = capture_attempts(client)

    with clients.deadline(60), pytest.raises(Captured):
        client.describe_table(TableName="t")

    assert attempts[0]["read_timeout"] == clients.API_READ_TIMEOUT_SECONDS


def test_once_the_deadline_is_spent_no_attempt_is_made() -> None:
    client = clients.build("dynamodb", clients.API_PROFILE)
    attempts = capture_attempts(client)

    with clients.deadline(0), pytest.raises(clients.DeadlineExceeded) as refused:
        client.put_item(TableName="t", Item={"pk": {"S": "a"}})

    assert attempts == []
    # A BotoCoreError, so every caller that handles AWS failures handles it too.
    assert isinstance(refused.value, BotoCoreError)
    assert "PutItem" in str(refused.value)


def test_an_inner_deadline_replaces_the_outer_one_until_it_ends() -> None:
    with clients.deadline(0):
        with clients.deadline(30):
            inner = clients.time_left()
        outer = clients.time_left()
    assert inner is not None
    assert inner > 1
    assert outer is not None
    assert outer <= 0
    assert clients.time_left() is None


def test_a_timed_out_attempt_is_retried_when_time_allows() -> None:
    client = clients.build("dynamodb", clients.API_PROFILE)
    attempts = capture_attempts(client, failure=ReadTimeoutError(endpoint_url="http://aws"))

    with clients.deadline(30), pytest.raises(ReadTimeoutError):
        client.get_item(TableName="t", Key={"pk": {"S": "a"}})

    assert len(attempts) == clients.API_MAX_ATTEMPTS


def test_no_retry_is_started_that_its_back_off_could_carry_past_the_deadline() -> None:
    client = clients.build("dynamodb", clients.API_PROFILE)
    attempts = capture_attempts(client, failure=ReadTimeoutError(endpoint_url="http://aws"))

    # the first back-off may last up to 1 s
    with clients.deadline(0.9), pytest.raises(ReadTimeoutError):
        client.get_item(TableName="t", Key={"pk": {"S": "a"}})

    assert len(attempts) == 1


def test_a_deadline_counts_from_the_first_call_not_from_its_start() -> None:
    with clients.deadline(1.0):
        time.sleep(0.3)  # work that is not AWS's: a query, a busy CPU
        first = clients.time_left()
        assert first is not None
        assert first > 0.9
        time.sleep(0.2)
        later = clients.time_left()
        assert later is not None
        assert later <= first - 0.2


def test_within_bounds_a_deadline_whose_first_call_comes_late() -> None:
    with clients.deadline(3.0, within=0.5):
        time.sleep(0.3)
        left = clients.time_left()
        assert left is not None
        assert left <= 0.2


@pytest.mark.parametrize("endpoint", [None, "http://127.0.0.1:5000"])
@pytest.mark.parametrize("profile", [clients.API_PROFILE, clients.WORKER_PROFILE])
def test_s3_links_are_presigned_with_sigv4(
    monkeypatch: pytest.MonkeyPatch, profile: clients.ClientProfile, endpoint: str | None
) -> None:
    # S3 refuses SigV2 links to KMS-encrypted objects: exports and error reports are.
    if endpoint:
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    client = clients.build("s3", profile)

    url = client.generate_presigned_url(
        "get_object", Params={"Bucket": "b", "Key": "exports/t/x.csv"}, ExpiresIn=7 * 24 * 3600
    )
    post = client.generate_presigned_post("b", "uploads/t/f/x.csv", ExpiresIn=600)

    assert "X-Amz-Algorithm=AWS4-HMAC-SHA256" in url
    assert "AWSAccessKeyId=" not in url
    assert post["fields"]["x-amz-algorithm"] == "AWS4-HMAC-SHA256"

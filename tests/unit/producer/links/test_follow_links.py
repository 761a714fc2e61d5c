"""GET /links/{token}: an e-mail's link redirects to a URL signed when it is followed,
until the link lapses; nothing else is found, and no bearer token is asked for."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError
from litestar.testing import TestClient
from tests.unit.producer.conftest import EXPORTS_BUCKET, FakeClock, FakeStore

from conveyor_aws.lasting_links import LinkRecords
from conveyor_common.links import (
    LINKS_PATH,
    REDIRECT_URL_SECONDS,
    LastingLink,
    is_token,
    new_token,
)

KEY = "exports/acme/e1/q1.csv"


def issued(store: FakeStore, clock: FakeClock, *, bucket: str = EXPORTS_BUCKET) -> str:
    link = LastingLink(bucket=bucket, key=KEY, expires_at=clock() + timedelta(days=7))
    return LinkRecords(store).add(link)


def test_a_link_redirects_to_a_freshly_signed_url_without_a_bearer_token(
    client: TestClient[Any], store: FakeStore, clock: FakeClock
) -> None:
    token = issued(store, clock)
    clock.advance(timedelta(days=6, hours=23))

    answer = client.get(f"{LINKS_PATH}/{token}", follow_redirects=False)

    assert answer.status_code == 303
    expected = f"https://{EXPORTS_BUCKET}.example/{KEY}?expires={REDIRECT_URL_SECONDS}"
    assert answer.headers["location"] == expected
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["referrer-policy"] == "no-referrer"


def test_a_state_store_outage_is_503_with_retry_after(
    client: TestClient[Any], store: FakeStore, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = issued(store, clock)

    def unreachable(pk: str, sk: str) -> None:
        raise EndpointConnectionError(endpoint_url="http://dynamodb")

    monkeypatch.setattr(store, "get", unreachable)

    answer = client.get(f"{LINKS_PATH}/{token}", follow_redirects=False)

    assert answer.status_code == 503
    assert "retry-after" in answer.headers


def test_a_lapsed_link_is_gone(client: TestClient[Any], store: FakeStore, clock: FakeClock) -> None:
    token = issued(store, clock)
    clock.advance(timedelta(days=7))

    answer = client.get(f"{LINKS_PATH}/{token}", follow_redirects=False)

    assert answer.status_code == 410
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"].endswith("/link-expired")


@pytest.mark.parametrize(
    "token",
    [new_token(), "short", "x" * 43 + "=", "..%2F..%2Fadmin", "a" * 2000, "%00" * 43],
)
def test_anything_else_is_not_found(client: TestClient[Any], token: str) -> None:
    answer = client.get(f"{LINKS_PATH}/{token}", follow_redirects=False)

    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"


def test_a_record_leading_outside_the_apis_buckets_is_not_followed(
    client: TestClient[Any], store: FakeStore, clock: FakeClock
) -> None:
    token = issued(store, clock, bucket="someone-elses-bucket")
    answer = client.get(f"{LINKS_PATH}/{token}", follow_redirects=False)

    assert answer.status_code == 404
    assert answer.json()["type"].endswith("/link-not-found")


def test_only_a_tokens_exact_shape_is_looked_up() -> None:
    token = new_token()
    assert is_token(token)
    for near in (token + "\n", token[:-1], token + "A", token[:-1] + "=", token[:-1] + "é"):
        assert not is_token(near), repr(near)

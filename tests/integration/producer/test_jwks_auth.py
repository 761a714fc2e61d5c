"""The producer with JWKS_URL: tokens checked against a key set this test serves on loopback.

A token that passes authentication reads an order that does not exist (404); one that
does not is a 401 problem. The app is the real one, over moto and PostgreSQL.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from litestar.testing import TestClient
from tests.integration.producer.key_set import (
    AUDIENCE,
    ISSUER,
    KeySetServer,
    SigningKey,
    claims,
)

from conveyor_devstack.ports import LOOPBACK, free_port
from conveyor_producer.app import real_app
from conveyor_producer.settings import ProducerSettings

pytestmark = pytest.mark.integration

ORDERS = "/api/v1/orders"
# Short, so that the rotation test can wait it out; production keeps the default.
REFETCH_COOLDOWN_SECONDS = 2.0
INVALID_TOKEN_CHALLENGE = 'Bearer error="invalid_token"'


def jwks_settings(aws: dict[str, str], database_url: str, jwks_url: str) -> ProducerSettings:
    """No JWT_SECRET: the key set alone verifies tokens."""
    return ProducerSettings(
        aws_endpoint_url=aws["AWS_ENDPOINT_URL"],
        state_table=aws["STATE_TABLE"],
        events_topic_arn=aws["EVENTS_TOPIC_ARN"],
        database_url=database_url,
        jwks_url=jwks_url,
        jwt_audience=AUDIENCE,
        jwt_issuer=ISSUER,
        jwks_refetch_cooldown_seconds=REFETCH_COOLDOWN_SECONDS,
    )


def read_order(client: TestClient[Any], token: str) -> httpx.Response:
    return client.get(f"{ORDERS}/{uuid4()}", headers={"Authorization": f"Bearer {token}"})


def assert_accepted(response: httpx.Response) -> None:
    # past authentication, the order is simply not there
    assert response.status_code == 404, response.text


def assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == INVALID_TOKEN_CHALLENGE
    problem = response.json()
    assert problem["status"] == 401
    assert problem["title"] == "Unauthorized"
    assert problem["detail"].startswith("invalid bearer token: ")
    assert problem["correlationId"]


@pytest.fixture(scope="module")
def rsa_key() -> SigningKey:
    return SigningKey.rsa("rsa-2026-01")


@pytest.fixture(scope="module")
def ec_key() -> SigningKey:
    return SigningKey.ec("ec-2026-01")


@pytest.fixture(scope="module")
def stranger() -> SigningKey:
    """A key the identity provider never published."""
    return SigningKey.rsa("stranger")


@pytest.fixture(scope="module")
def published(
    rsa_key: SigningKey, ec_key: SigningKey, aws_env: dict[str, str], migrated_database: str
) -> Iterator[tuple[KeySetServer, TestClient[Any]]]:
    """One app for the tests that only read the key set, which never changes here."""
    with KeySetServer() as key_set:
        key_set.publish(rsa_key, ec_key)
        app = real_app(jwks_settings(aws_env, migrated_database, key_set.url))
        with TestClient(app) as client:
            yield key_set, client


@pytest.fixture
def key_set() -> Iterator[KeySetServer]:
    with KeySetServer() as server:
        yield server


@pytest.fixture
def client_of(aws: dict[str, str], db: str) -> Iterator[Callable[[str], TestClient[Any]]]:
    """A fresh app (so a fresh key-set cache) for a JWKS URL."""
    clients: list[TestClient[Any]] = []

    def start(jwks_url: str) -> TestClient[Any]:
        client = TestClient(real_app(jwks_settings(aws, db, jwks_url)))
        clients.append(client.__enter__())
        return client

    yield start
    for client in clients:
        client.__exit__(None, None, None)


def test_tokens_signed_by_published_rs256_and_es256_keys_are_accepted(
    published: tuple[KeySetServer, TestClient[Any]], rsa_key: SigningKey, ec_key: SigningKey
) -> None:
    key_set, client = published

    assert_accepted(read_order(client, rsa_key.sign(claims())))
    assert_accepted(read_order(client, ec_key.sign(claims())))

    # both keys came in the one cached document
    assert key_set.fetches == 1


def test_a_rotated_in_key_is_fetched_on_first_use_at_most_once_per_cooldown(
    key_set: KeySetServer, client_of: Callable[[str], TestClient[Any]]
) -> None:
    # given an app that has fetched the key set with the old key
    old, new = SigningKey.rsa("rsa-old"), SigningKey.rsa("rsa-new")
    key_set.publish(old)
    client = client_of(key_set.url)
    assert_accepted(read_order(client, old.sign(claims())))
    cooldown_ends = time.monotonic() + REFETCH_COOLDOWN_SECONDS
    assert key_set.fetches == 1

    # when the provider rotates to a new key, which signs a token at once
    key_set.publish(new)

    # then within the cooldown neither it nor a flood of made-up key ids causes a fetch
    assert_refused(read_order(client, new.sign(claims())))
    for attempt in range(5):
        assert_refused(read_order(client, new.sign(claims(), kid=f"made-up-{attempt}")))
    assert key_set.fetches == 1
    assert time.monotonic() < cooldown_ends, "the requests outlasted the cooldown"

    # and once it is over, the unknown key id refetches the set: the new key is trusted
    time.sleep(max(0.0, cooldown_ends - time.monotonic()) + 0.1)
    assert_accepted(read_order(client, new.sign(claims())))
    assert key_set.fetches == 2

    # and the withdrawn key is not, with no further fetch
    assert_refused(read_order(client, old.sign(claims())))
    assert key_set.fetches == 2


def hs256_signed_with(secret: bytes, payload: dict[str, Any], *, kid: str) -> str:
    """An HS256 token made by hand: PyJWT refuses to use a public key as an HMAC secret."""

    def part(value: bytes) -> str:
        return base64.urlsafe_b64encode(value).rstrip(b"=").decode()

    header = {"alg": "HS256", "typ": "JWT", "kid": kid}
    signing_input = ".".join(part(json.dumps(value).encode()) for value in (header, payload))
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{part(signature)}"


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def test_tokens_of_another_algorithm_are_refused_before_any_fetch(
    key_set: KeySetServer, client_of: Callable[[str], TestClient[Any]], rsa_key: SigningKey
) -> None:
    key_set.publish(rsa_key)
    client = client_of(key_set.url)
    payload = {**claims(), "iat": epoch(datetime.now(UTC)), "exp": epoch(datetime.now(UTC)) + 300}
    public_pem = rsa_key.private_key.public_key().public_bytes(
        Encoding.PEM, PublicFormat.SubjectPublicKeyInfo
    )

    for token in (
        # HS256, as with JWT_SECRET: refused whatever secret signed it
        jwt.encode(claims(), "a-shared-secret-of-32-bytes-or-more", headers={"kid": rsa_key.kid}),
        # the key-confusion attack: HMAC keyed with the published public key
        hs256_signed_with(public_pem, payload, kid=rsa_key.kid),
        jwt.encode(claims(), "", algorithm="none", headers={"kid": rsa_key.kid}),
        # a token naming no key at all
        jwt.encode(claims(), rsa_key.private_key, algorithm="RS256"),
    ):
        assert_refused(read_order(client, token))

    assert key_set.fetches == 0


@dataclass(frozen=True)
class Keys:
    rsa: SigningKey
    ec: SigningKey
    stranger: SigningKey


AN_HOUR_AGO = timedelta(hours=-1)
FAILING_TOKENS: dict[str, Callable[[Keys], str]] = {
    "wrong audience": lambda keys: keys.rsa.sign(claims(aud="another-api")),
    "no audience": lambda keys: keys.rsa.sign(claims(aud=None)),
    "wrong issuer": lambda keys: keys.rsa.sign(claims(iss="https://evil.example/")),
    "no issuer": lambda keys: keys.rsa.sign(claims(iss=None)),
    "expired": lambda keys: keys.rsa.sign(claims(exp=datetime.now(UTC) + AN_HOUR_AGO)),
    "unknown key": lambda keys: keys.stranger.sign(claims()),
    "forged under a published kid": lambda keys: keys.stranger.sign(claims(), kid=keys.rsa.kid),
    "ES256 naming the RSA key": lambda keys: keys.ec.sign(claims(), kid=keys.rsa.kid),
    "no tenant": lambda keys: keys.rsa.sign(claims(tenant=None)),
}


@pytest.mark.parametrize("failing", FAILING_TOKENS)
def test_tokens_failing_a_check_are_401_problems(
    published: tuple[KeySetServer, TestClient[Any]],
    rsa_key: SigningKey,
    ec_key: SigningKey,
    stranger: SigningKey,
    failing: str,
) -> None:
    _, client = published
    token = FAILING_TOKENS[failing](Keys(rsa=rsa_key, ec=ec_key, stranger=stranger))

    response = read_order(client, token)

    assert_refused(response)


def test_an_unreachable_key_set_is_a_503_problem(
    client_of: Callable[[str], TestClient[Any]], rsa_key: SigningKey
) -> None:
    # given a JWKS URL nothing listens on
    client = client_of(f"http://{LOOPBACK}:{free_port()}/.well-known/jwks.json")

    response = read_order(client, rsa_key.sign(claims()))

    # then no token can be checked: the service is unavailable, the caller not at fault
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("dependency-unavailable")


@pytest.mark.parametrize("body", [b"<html>maintenance</html>", b'{"keys": []}'])
def test_a_key_set_that_is_not_one_is_a_503_problem(
    key_set: KeySetServer,
    client_of: Callable[[str], TestClient[Any]],
    rsa_key: SigningKey,
    body: bytes,
) -> None:
    # given an endpoint answering something other than a usable key set
    key_set.raw_body = body
    client = client_of(key_set.url)

    response = read_order(client, rsa_key.sign(claims()))

    assert response.status_code == 503
    assert response.json()["type"].endswith("dependency-unavailable")

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from litestar import Litestar, Request, Router, get
from litestar.middleware import DefineMiddleware
from litestar.testing import TestClient
from tests.unit.producer.conftest import SECRET, TENANT, bearer, order_body

from conveyor_producer.http.auth import (
    BearerAuthMiddleware,
    InvalidToken,
    TokenVerifier,
    principal_of,
    requires_role,
)
from conveyor_producer.http.problems import exception_handlers
from conveyor_producer.principal import Principal
from conveyor_producer.token import issue_token, main

ORDERS = "/api/v1/orders"
OTHER_SECRET = "some-other-secret-of-32-bytes-or-more"


def claims(**overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    base: dict[str, Any] = {
        "sub": "alice",
        "tenant": TENANT,
        "roles": ["clerk"],
        "exp": now + timedelta(minutes=5),
    }
    base.update(overrides)
    return {key: value for key, value in base.items() if value is not None}


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Basic YWxpY2U6c2VjcmV0",
        "Bearer",
        "Bearer not-a-jwt",
        f"Bearer {jwt.encode(claims(), OTHER_SECRET, algorithm='HS256')}",
        f"Bearer {jwt.encode(claims(exp=datetime.now(UTC) - timedelta(hours=1)), SECRET)}",
        f"Bearer {jwt.encode(claims(tenant=None), SECRET)}",
        f"Bearer {jwt.encode(claims(tenant=''), SECRET)}",
        f"Bearer {jwt.encode(claims(roles='admin'), SECRET)}",
        f"Bearer {jwt.encode(claims(roles=None), SECRET)}",
        f"Bearer {jwt.encode(claims(exp=None), SECRET)}",
        f"Bearer {jwt.encode(claims(sub=None), SECRET)}",
        f"Bearer {jwt.encode(claims(), '', algorithm='none')}",
    ],
)
def test_requests_without_a_valid_token_get_401_with_a_bearer_challenge(
    client: TestClient[Any], authorization: str | None
) -> None:
    # given a request whose Authorization header is missing, malformed or untrusted
    headers = {"Authorization": authorization} if authorization is not None else {}

    # when it submits an order
    response = client.post(ORDERS, json=order_body(), headers=headers)

    # then it is refused with a problem body and a challenge
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["status"] == 401


def test_reading_an_order_needs_a_token_too(client: TestClient[Any]) -> None:
    response = client.get(f"{ORDERS}/00000000-0000-0000-0000-000000000000")

    assert response.status_code == 401


def test_verifier_exposes_the_principal_of_a_valid_token() -> None:
    # given a token for bob at globex with two roles
    token = issue_token(SECRET, sub="bob", tenant="globex", roles=["admin", "clerk"])

    # when it is verified
    principal = TokenVerifier(secret=SECRET).verify(token)

    # then every claim is carried over
    assert principal == Principal(sub="bob", tenant="globex", roles=("admin", "clerk"))


def test_verifier_checks_the_audience_when_one_is_configured() -> None:
    verifier = TokenVerifier(secret=SECRET, audience="conveyor")

    accepted = verifier.verify(issue_token(SECRET, sub="a", tenant="t", audience="conveyor"))
    with pytest.raises(InvalidToken):
        verifier.verify(issue_token(SECRET, sub="a", tenant="t", audience="elsewhere"))
    with pytest.raises(InvalidToken):
        verifier.verify(issue_token(SECRET, sub="a", tenant="t"))

    assert accepted.sub == "a"


@get("/admin-only", guards=[requires_role("admin")], sync_to_thread=False)
def admin_only(request: Request[Principal, str, Any]) -> dict[str, str]:
    return {"sub": principal_of(request).sub}


@pytest.fixture
def guarded_client() -> Any:
    app = Litestar(
        route_handlers=[
            Router(
                path="/",
                route_handlers=[admin_only],
                middleware=[
                    DefineMiddleware(BearerAuthMiddleware, verifier=TokenVerifier(secret=SECRET))
                ],
            )
        ],
        exception_handlers=exception_handlers(),
    )
    with TestClient(app) as test_client:
        yield test_client


def test_role_guard_refuses_callers_without_the_role_with_403(guarded_client: Any) -> None:
    response = guarded_client.get("/admin-only", headers=bearer(roles=("clerk",)))

    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert "admin" in response.json()["detail"]


def test_role_guard_lets_callers_with_the_role_through(guarded_client: Any) -> None:
    response = guarded_client.get("/admin-only", headers=bearer(roles=("admin",), sub="root"))

    assert response.status_code == 200
    assert response.json() == {"sub": "root"}


def test_token_cli_prints_a_token_signed_with_the_secret(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # given JWT_SECRET in the environment
    monkeypatch.setenv("JWT_SECRET", SECRET)

    # when the CLI issues a token for alice at acme with two roles
    main(["--sub", "alice", "--tenant", "acme", "--roles", "admin,clerk", "--ttl", "60"])

    # then the printed token verifies to that principal
    token = capsys.readouterr().out.strip()
    principal = TokenVerifier(secret=SECRET).verify(token)
    assert principal == Principal(sub="alice", tenant="acme", roles=("admin", "clerk"))


def test_token_cli_puts_the_email_in_the_token(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("JWT_SECRET", SECRET)

    main(["--sub", "alice", "--tenant", "acme", "--email", "alice@example.com"])

    principal = TokenVerifier(secret=SECRET).verify(capsys.readouterr().out.strip())
    assert principal.email == "alice@example.com"


def test_a_token_without_an_email_claim_has_no_email() -> None:
    token = issue_token(SECRET, sub="bob", tenant="globex")

    assert TokenVerifier(secret=SECRET).verify(token).email is None

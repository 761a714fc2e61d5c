"""Bearer-token authentication: the Principal a request is made by.

Tokens are HS256 signed with JWT_SECRET, or RS256 checked against JWKS_URL when
that is set. Every `/api/v1` route sits behind `BearerAuthMiddleware`; roles are
checked per route with `requires_role`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import anyio.to_thread
import jwt
import msgspec
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware.authentication import (
    AbstractAuthenticationMiddleware,
    AuthenticationResult,
)
from litestar.types import ASGIApp, Scopes

from conveyor_common.text import EMAIL_LENGTH, refuse_control_characters
from conveyor_producer.principal import Principal
from conveyor_producer.settings import ProducerSettings

SHARED_SECRET_ALGORITHM = "HS256"  # noqa: S105 (an algorithm name)
KEY_SET_ALGORITHMS = ("RS256",)
# Tolerated clock difference between the token issuer and this service.
CLOCK_SKEW_SECONDS = 30
# Key-set responses are cached; a rotated key is picked up within this time.
KEY_SET_CACHE_SECONDS = 300
KEY_SET_TIMEOUT_SECONDS = 5
BEARER_CHALLENGE = "Bearer"
INVALID_TOKEN_CHALLENGE = 'Bearer error="invalid_token"'  # noqa: S105 (RFC 6750 challenge)

NonEmpty = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
# Only its length is checked here: conveyor_common.text.to_email_address applies the
# e-mail rule when the address is used (as an export's default recipient).
EmailClaim = Annotated[str, msgspec.Meta(min_length=3, max_length=EMAIL_LENGTH)]


class _Claims(msgspec.Struct, kw_only=True):
    sub: NonEmpty
    tenant: NonEmpty
    roles: list[NonEmpty]
    exp: int
    email: EmailClaim | None = None


class InvalidToken(ValueError):
    """The token is missing a claim, expired, or not signed by a trusted key."""


class KeySetUnavailable(RuntimeError):
    """The JWKS endpoint could not be reached, so no token can be checked right now."""


class TokenVerifier:
    def __init__(
        self,
        *,
        secret: str | None = None,
        jwks_url: str | None = None,
        audience: str | None = None,
    ) -> None:
        if not secret and not jwks_url:
            raise ValueError("a secret or a JWKS URL is needed to verify tokens")
        self._secret = secret
        self._audience = audience
        self._jwks = (
            jwt.PyJWKClient(
                jwks_url, lifespan=KEY_SET_CACHE_SECONDS, timeout=KEY_SET_TIMEOUT_SECONDS
            )
            if jwks_url
            else None
        )

    @property
    def blocking(self) -> bool:
        """Verification may fetch the key set over the network."""
        return self._jwks is not None

    def verify(self, token: str) -> Principal:
        try:
            key, algorithms = self._key_for(token)
            payload: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                audience=self._audience,
                leeway=CLOCK_SKEW_SECONDS,
                options={
                    "require": ["exp", "sub"],
                    "verify_aud": self._audience is not None,
                },
            )
        except jwt.PyJWKClientConnectionError as exc:
            raise KeySetUnavailable(str(exc)) from exc
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
        try:
            claims = msgspec.convert(payload, _Claims)
        except msgspec.ValidationError as exc:
            raise InvalidToken(f"invalid claims: {exc}") from exc
        _check_text(claims)
        return Principal(
            sub=claims.sub, tenant=claims.tenant, roles=tuple(claims.roles), email=claims.email
        )

    def _key_for(self, token: str) -> tuple[Any, list[str]]:
        if self._jwks is not None:
            return self._jwks.get_signing_key_from_jwt(token).key, list(KEY_SET_ALGORITHMS)
        return self._secret, [SHARED_SECRET_ALGORITHM]


def _check_text(claims: _Claims) -> None:
    """The subject and tenant are stored (PostgreSQL, DynamoDB, S3 keys) as they are."""
    named = [("sub", claims.sub), ("tenant", claims.tenant)]
    named += [(f"roles[{index}]", role) for index, role in enumerate(claims.roles)]
    for field, value in named:
        problem = refuse_control_characters(field, value)
        if problem is not None:
            raise InvalidToken(f"invalid claims: {problem.field} {problem.message}")


def verifier_from_settings(settings: ProducerSettings) -> TokenVerifier:
    return TokenVerifier(
        secret=settings.jwt_secret.get_secret_value(),
        jwks_url=str(settings.jwks_url) if settings.jwks_url else None,
        audience=settings.jwt_audience,
    )


def bearer_token(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer <token>` header value."""
    if not authorization:
        raise NotAuthorizedException(
            "missing bearer token", headers={"WWW-Authenticate": BEARER_CHALLENGE}
        )
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthorizedException(
            "the Authorization header must be 'Bearer <token>'",
            headers={"WWW-Authenticate": BEARER_CHALLENGE},
        )
    return token.strip()


class BearerAuthMiddleware(AbstractAuthenticationMiddleware):
    def __init__(
        self, app: ASGIApp, *, verifier: TokenVerifier, scopes: Scopes | None = None
    ) -> None:
        super().__init__(app, scopes=scopes)
        self._verifier = verifier

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        token = bearer_token(connection.headers.get("authorization"))
        try:
            if self._verifier.blocking:
                principal = await anyio.to_thread.run_sync(self._verifier.verify, token)
            else:
                principal = self._verifier.verify(token)
        except InvalidToken as exc:
            raise NotAuthorizedException(
                f"invalid bearer token: {exc}",
                headers={"WWW-Authenticate": INVALID_TOKEN_CHALLENGE},
            ) from exc
        return AuthenticationResult(user=principal, auth=token)


Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]


def requires_role(*roles: str) -> Guard:
    """A route guard letting through callers holding any of `roles`; others get 403."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        principal = principal_of(connection)
        if not any(principal.has_role(role) for role in roles):
            raise PermissionDeniedException(f"requires role {' or '.join(roles)}")

    return guard


def principal_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """The authenticated caller; only routes behind BearerAuthMiddleware have one."""
    user = connection.scope.get("user")
    if not isinstance(user, Principal):
        raise NotAuthorizedException(
            "missing bearer token", headers={"WWW-Authenticate": BEARER_CHALLENGE}
        )
    return user

"""Bearer-token authentication: the Principal a request is made by.

Tokens are checked one of two ways, never both: HS256 with JWT_SECRET, or, when
JWKS_URL is set, RS256 or ES256 against the key set published there (an HS256
token is then refused, whatever the secret). The audience and the issuer are
checked when they are configured. Every `/api/v1` route sits behind
`BearerAuthMiddleware`; roles are checked per route with `requires_role`.
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
from conveyor_producer.http.verified_tokens import VerifiedTokens
from conveyor_producer.principal import Principal
from conveyor_producer.settings import DEFAULT_KEY_SET_REFETCH_COOLDOWN_SECONDS, ProducerSettings

SHARED_SECRET_ALGORITHM = "HS256"  # noqa: S105 (an algorithm name)
# Asymmetric only: anyone can read a key set, so a symmetric key in it would let anyone sign.
KEY_SET_ALGORITHMS = frozenset({"RS256", "ES256"})
# Tolerated clock difference between the token issuer and this service.
CLOCK_SKEW_SECONDS = 30
# Key-set responses are cached this long; a token naming a key the cached set lacks
# refetches it sooner (at most once per refetch cooldown).
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
    """The JWKS endpoint could not be reached or sent no usable key set, so no token
    can be checked right now (a 503, not the caller's fault)."""


class KeySet:
    """The signing keys published at a JWKS URL.

    PyJWKClient caches the set for KEY_SET_CACHE_SECONDS and, when a token names a
    `kid` the cached set lacks, fetches it again at once, so a rotated-in key is
    picked up on its first use. That forced refetch happens at most once per
    `refetch_cooldown_seconds` after any successful fetch: within the cooldown an
    unknown `kid` is refused without a request, so a flood of made-up ones costs the
    endpoint one fetch per cooldown. Fetches are serialised by the client's lock.
    """

    def __init__(self, url: str, *, refetch_cooldown_seconds: float) -> None:
        self._client = jwt.PyJWKClient(
            url,
            lifespan=KEY_SET_CACHE_SECONDS,
            timeout=KEY_SET_TIMEOUT_SECONDS,
            cooldown_duration=refetch_cooldown_seconds,
        )

    def key_for(self, token: str) -> tuple[Any, list[str]]:
        """The key that signed `token` and the one algorithm it may be checked with."""
        header = jwt.get_unverified_header(token)
        algorithm, kid = header.get("alg"), header.get("kid")
        # Refused before the key set is consulted: neither may cause a fetch.
        if algorithm not in KEY_SET_ALGORITHMS:
            allowed = " or ".join(sorted(KEY_SET_ALGORITHMS))
            raise jwt.InvalidAlgorithmError(f"the token must be signed with {allowed}")
        if not isinstance(kid, str) or not kid:
            raise jwt.InvalidTokenError("the token names no key (kid)")
        try:
            key = self._client.get_signing_key(kid)
        # Unreachable, no usable keys, or a body that is not JSON (a ValueError).
        except (jwt.PyJWKClientConnectionError, jwt.PyJWKSetError, ValueError) as exc:
            raise KeySetUnavailable(f"the JWKS endpoint failed: {exc}") from exc
        # The key decides the algorithm: an RSA key never checks an ES256 signature.
        if key.algorithm_name != algorithm:
            raise jwt.InvalidAlgorithmError(f"key {kid!r} does not sign {algorithm}")
        return key.key, [algorithm]


class TokenVerifier:
    """Checks a token's signature, expiry, audience and issuer, then its claims."""

    def __init__(
        self,
        *,
        secret: str | None = None,
        jwks_url: str | None = None,
        audience: str | None = None,
        issuer: str | None = None,
        refetch_cooldown_seconds: float = DEFAULT_KEY_SET_REFETCH_COOLDOWN_SECONDS,
        verified: VerifiedTokens | None = None,
    ) -> None:
        if bool(secret) == bool(jwks_url):
            raise ValueError("either a secret or a JWKS URL (not both) verifies tokens")
        self._secret = secret
        self._audience = audience
        self._issuer = issuer
        self._required = ["exp", "sub"] + (["iss"] if issuer is not None else [])
        self._key_set = (
            KeySet(jwks_url, refetch_cooldown_seconds=refetch_cooldown_seconds)
            if jwks_url
            else None
        )
        # A verified token is taken again no longer than a fetched key set is trusted.
        self._verified = (
            verified
            if verified is not None
            else VerifiedTokens(max_age_seconds=KEY_SET_CACHE_SECONDS)
        )

    def __deepcopy__(self, memo: dict[int, Any]) -> TokenVerifier:
        # Litestar deep-copies a router's middleware arguments when it registers the
        # router. The verifier is shared, not copied: a copy would start with an empty
        # key-set cache, and PyJWKClient's lock cannot be copied at all.
        return self

    @property
    def blocking(self) -> bool:
        """Verification may fetch the key set over the network."""
        return self._key_set is not None

    def already_verified(self, token: str) -> Principal | None:
        """The Principal of a token that passed every check and has not expired since."""
        return self._verified.get(token)

    def verify(self, token: str) -> Principal:
        known = self._verified.get(token)
        if known is not None:
            return known
        principal, expires = self._check(token)
        self._verified.put(token, principal, valid_until=expires + CLOCK_SKEW_SECONDS)
        return principal

    def _check(self, token: str) -> tuple[Principal, int]:
        """Every check of a token: its Principal and its `exp`."""
        try:
            key, algorithms = self._key_for(token)
            payload: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                audience=self._audience,
                issuer=self._issuer,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": self._required, "verify_aud": self._audience is not None},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
        try:
            claims = msgspec.convert(payload, _Claims)
        except msgspec.ValidationError as exc:
            raise InvalidToken(f"invalid claims: {exc}") from exc
        _check_text(claims)
        principal = Principal(
            sub=claims.sub, tenant=claims.tenant, roles=tuple(claims.roles), email=claims.email
        )
        return principal, claims.exp

    def _key_for(self, token: str) -> tuple[Any, list[str]]:
        if self._key_set is not None:
            return self._key_set.key_for(token)
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
    """With JWKS_URL the secret plays no part (it may still be set for the token CLI)."""
    key_set = str(settings.jwks_url) if settings.jwks_url else None
    secret = settings.jwt_secret.get_secret_value() if settings.jwt_secret else None
    return TokenVerifier(
        secret=None if key_set else secret,
        jwks_url=key_set,
        audience=settings.jwt_audience,
        issuer=settings.jwt_issuer,
        refetch_cooldown_seconds=settings.jwks_refetch_cooldown_seconds,
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
        # A token seen before needs no check, so no worker thread either.
        known = self._verifier.already_verified(token)
        if known is not None:
            return AuthenticationResult(user=known, auth=token)
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

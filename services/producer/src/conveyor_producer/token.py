"""Development bearer tokens signed with JWT_SECRET (HS256, so only for an API without
JWKS_URL), carrying JWT_AUDIENCE and JWT_ISSUER when they are set.

`conveyor token` (tools/cli) is the command that prints one; this module's own entry
point keeps the older name working, with the same options:

python -m conveyor_producer.token --sub alice --tenant acme --roles admin --ttl 3600 \
    --email alice@example.com
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import timedelta

import jwt
from pydantic import SecretStr

from conveyor_common.clock import utc_now
from conveyor_common.settings import BaseConfig, load
from conveyor_producer.http.auth import SHARED_SECRET_ALGORITHM

DEFAULT_TTL_SECONDS = 3600


class TokenSettings(BaseConfig):
    jwt_secret: SecretStr
    jwt_audience: str | None = None
    jwt_issuer: str | None = None


def issue_token(
    secret: str,
    *,
    sub: str,
    tenant: str,
    roles: Sequence[str] = (),
    ttl_seconds: int = DEFAULT_TTL_SECONDS,
    audience: str | None = None,
    issuer: str | None = None,
    email: str | None = None,
) -> str:
    issued_at = utc_now()
    claims: dict[str, object] = {
        "sub": sub,
        "tenant": tenant,
        "roles": list(roles),
        "iat": issued_at,
        "exp": issued_at + timedelta(seconds=ttl_seconds),
    }
    if audience:
        claims["aud"] = audience
    if issuer:
        claims["iss"] = issuer
    if email:
        claims["email"] = email
    return jwt.encode(claims, secret, algorithm=SHARED_SECRET_ALGORITHM)


def split_roles(values: Sequence[str]) -> list[str]:
    """Role names given space or comma separated, in one value or several."""
    return [role for value in values for role in value.split(",") if role]


def development_token(
    *,
    sub: str,
    tenant: str,
    roles: Sequence[str] = (),
    ttl_seconds: int = DEFAULT_TTL_SECONDS,
    email: str | None = None,
) -> str:
    """A token signed with JWT_SECRET, for JWT_AUDIENCE and from JWT_ISSUER if they are
    set, as the API checks it."""
    settings = load(TokenSettings)
    return issue_token(
        settings.jwt_secret.get_secret_value(),
        sub=sub,
        tenant=tenant,
        roles=roles,
        ttl_seconds=ttl_seconds,
        audience=settings.jwt_audience,
        issuer=settings.jwt_issuer,
        email=email,
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Print a development bearer token.")
    parser.add_argument("--sub", required=True)
    parser.add_argument("--tenant", required=True)
    parser.add_argument(
        "--roles", nargs="*", default=[], help="role names, space or comma separated"
    )
    parser.add_argument("--ttl", type=int, default=DEFAULT_TTL_SECONDS, help="seconds")
    parser.add_argument("--email", help="the caller's address, where exports are announced")
    args = parser.parse_args(argv)
    print(
        development_token(
            sub=args.sub,
            tenant=args.tenant,
            roles=split_roles(args.roles),
            ttl_seconds=args.ttl,
            email=args.email,
        )
    )


if __name__ == "__main__":
    main()

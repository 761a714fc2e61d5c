"""Prints a development bearer token signed with JWT_SECRET (HS256, so only for an API
without JWKS_URL), carrying JWT_AUDIENCE and JWT_ISSUER when they are set.

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
    settings = load(TokenSettings)
    roles = [role for value in args.roles for role in value.split(",") if role]
    print(
        issue_token(
            settings.jwt_secret.get_secret_value(),
            sub=args.sub,
            tenant=args.tenant,
            roles=roles,
            ttl_seconds=args.ttl,
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            email=args.email,
        )
    )


if __name__ == "__main__":
    main()

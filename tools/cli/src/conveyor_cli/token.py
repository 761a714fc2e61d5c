"""`conveyor token`: a development bearer token, signed with JWT_SECRET as the API
checks it (conveyor_producer.token, whose `python -m` entry point still works)."""

from __future__ import annotations

import click

from conveyor_cli import output
from conveyor_producer.token import DEFAULT_TTL_SECONDS, development_token, split_roles


@click.command(name="token")
@click.option("--sub", required=True, help="The caller's id.")
@click.option("--tenant", required=True)
@click.option("--roles", multiple=True, help="Role names, comma separated or the option repeated.")
@click.option("--ttl", type=click.IntRange(min=1), default=DEFAULT_TTL_SECONDS, show_default=True)
@click.option("--email", help="The caller's address, where exports and imports are announced.")
@output.json_option
def token_command(
    sub: str, tenant: str, roles: tuple[str, ...], ttl: int, email: str | None, as_json: bool
) -> None:
    """Print a development token (JWT_SECRET, JWT_AUDIENCE from the environment).

    Human output is the token alone, for `export CONVEYOR_TOKEN=$(conveyor token ...)`.
    """
    role_names = split_roles(roles)
    minted = development_token(
        sub=sub, tenant=tenant, roles=role_names, ttl_seconds=ttl, email=email
    )
    if not as_json:
        click.echo(minted)
        return
    document = {
        "token": minted,
        "sub": sub,
        "tenant": tenant,
        "roles": role_names,
        "email": email,
        "expiresInSeconds": ttl,
    }
    click.echo(output.as_json(document))

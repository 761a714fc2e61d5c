"""`conveyor token`: a development bearer token, signed with JWT_SECRET as the API
checks it (conveyor_producer.token, whose `python -m` entry point still works)."""

from __future__ import annotations

import click

from conveyor_cli import output


@click.command(name="token")
@click.option("--sub", required=True, help="The caller's id.")
@click.option("--tenant", required=True)
@click.option("--roles", multiple=True, help="Role names, comma separated or the option repeated.")
@click.option("--ttl", type=click.IntRange(min=1), help="Seconds; default: an hour.")
@click.option("--email", help="The caller's address, where exports and imports are announced.")
@output.json_option
def token_command(
    sub: str, tenant: str, roles: tuple[str, ...], ttl: int | None, email: str | None, as_json: bool
) -> None:
    """Print a development token (JWT_SECRET, JWT_AUDIENCE from the environment).

    Human output is the token alone, for `export CONVEYOR_TOKEN=$(conveyor token ...)`.
    """
    # Imported here: the producer's auth brings Litestar, which no other command needs.
    from conveyor_producer.token import DEFAULT_TTL_SECONDS, development_token, split_roles

    role_names = split_roles(roles)
    ttl_seconds = ttl or DEFAULT_TTL_SECONDS
    minted = development_token(
        sub=sub, tenant=tenant, roles=role_names, ttl_seconds=ttl_seconds, email=email
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
        "expiresInSeconds": ttl_seconds,
    }
    click.echo(output.as_json(document))

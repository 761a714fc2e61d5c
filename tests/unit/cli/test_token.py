"""`conveyor token`: a development token, signed as the API checks it."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from conveyor_cli.main import cli
from conveyor_producer.http.auth import TokenVerifier
from conveyor_producer.principal import Principal

SECRET = "cli-test-secret-long-enough-for-hs256"


def test_the_token_command_prints_a_token_the_api_accepts(monkeypatch: pytest.MonkeyPatch) -> None:
    # given JWT_SECRET in the environment
    monkeypatch.setenv("JWT_SECRET", SECRET)

    # when a token is minted with roles given both ways
    result = CliRunner().invoke(
        cli,
        ["token", "--sub", "alice", "--tenant", "acme", "--roles", "admin,clerk", "--roles", "x"],
    )

    # then the output is the token alone, and it verifies to that principal
    assert result.exit_code == 0, result.output
    principal = TokenVerifier(secret=SECRET).verify(result.stdout.strip())
    assert principal == Principal(sub="alice", tenant="acme", roles=("admin", "clerk", "x"))


def test_the_token_command_has_a_json_form(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JWT_SECRET", SECRET)

    result = CliRunner().invoke(
        cli,
        ["token", "--sub", "bob", "--tenant", "t", "--email", "bob@example.com", "--json"],
    )

    document = json.loads(result.stdout)
    assert {key: document[key] for key in ("sub", "tenant", "roles", "email")} == {
        "sub": "bob",
        "tenant": "t",
        "roles": [],
        "email": "bob@example.com",
    }
    assert TokenVerifier(secret=SECRET).verify(document["token"]).email == "bob@example.com"


def test_the_token_command_names_a_missing_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JWT_SECRET", raising=False)

    result = CliRunner().invoke(cli, ["token", "--sub", "a", "--tenant", "t"])

    assert result.exit_code != 0
    assert "JWT_SECRET is not set" in result.stderr

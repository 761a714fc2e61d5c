"""Which tokens the producer trusts, as its settings say: a secret, or a key set, not both."""

from __future__ import annotations

import copy

import pytest
from tests.unit.producer.conftest import SECRET

from conveyor_common.settings import EXIT_CONFIG_ERROR, load
from conveyor_producer.http.auth import InvalidToken, TokenVerifier, verifier_from_settings
from conveyor_producer.settings import DEFAULT_KEY_SET_REFETCH_COOLDOWN_SECONDS, ProducerSettings
from conveyor_producer.token import issue_token, main

# Nothing listens there: a test that reaches it would fail with a 503-type error.
UNUSED_JWKS_URL = "http://127.0.0.1:1/.well-known/jwks.json"
ISSUER = "https://idp.example.test/"
REQUIRED = {
    "STATE_TABLE": "conveyor-state",
    "EVENTS_TOPIC_ARN": "arn:aws:sns:us-east-1:000000000000:conveyor-events",
    "DATABASE_URL": "postgresql://unused@127.0.0.1:1/unused",
    "EXPORTS_BUCKET": "conveyor-exports",
    "UPLOADS_BUCKET": "conveyor-uploads",
}
AUTH_VARIABLES = (
    "JWT_SECRET",
    "JWKS_URL",
    "JWT_AUDIENCE",
    "JWT_ISSUER",
    "JWKS_REFETCH_COOLDOWN_SECONDS",
)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """The producer's required variables, and none of the auth ones."""
    for name in AUTH_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in REQUIRED.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def refusal(capsys: pytest.CaptureFixture[str]) -> str:
    """The line `load` stops the process with."""
    with pytest.raises(SystemExit) as stopped:
        load(ProducerSettings)
    assert stopped.value.code == EXIT_CONFIG_ERROR
    return capsys.readouterr().err.strip()


@pytest.mark.parametrize("secret", [None, ""])
def test_without_a_secret_or_a_key_set_start_up_stops_naming_jwt_secret(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], secret: str | None
) -> None:
    if secret is not None:
        env.setenv("JWT_SECRET", secret)

    assert refusal(capsys) == ("configuration error: JWT_SECRET is needed when JWKS_URL is not set")


def test_a_key_set_alone_is_enough(env: pytest.MonkeyPatch) -> None:
    env.setenv("JWKS_URL", UNUSED_JWKS_URL)

    settings = load(ProducerSettings)

    assert settings.jwt_secret is None
    assert settings.jwks_refetch_cooldown_seconds == DEFAULT_KEY_SET_REFETCH_COOLDOWN_SECONDS
    assert verifier_from_settings(settings).blocking


def test_a_secret_alone_verifies_hs256_tokens(env: pytest.MonkeyPatch) -> None:
    env.setenv("JWT_SECRET", SECRET)

    verifier = verifier_from_settings(load(ProducerSettings))

    assert not verifier.blocking
    assert verifier.verify(issue_token(SECRET, sub="ada", tenant="acme")).sub == "ada"


def test_with_a_key_set_a_token_signed_with_the_secret_is_refused(
    env: pytest.MonkeyPatch,
) -> None:
    # given both: the secret stays for the token CLI, the API trusts the key set only
    env.setenv("JWT_SECRET", SECRET)
    env.setenv("JWKS_URL", UNUSED_JWKS_URL)
    verifier = verifier_from_settings(load(ProducerSettings))

    # then an HS256 token is refused, before the key set is even fetched
    with pytest.raises(InvalidToken, match="must be signed with ES256 or RS256"):
        verifier.verify(issue_token(SECRET, sub="ada", tenant="acme"))


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("JWT_AUDIENCE", ""),
        ("JWT_ISSUER", ""),
        ("JWKS_REFETCH_COOLDOWN_SECONDS", "-1"),
        ("JWKS_URL", "file:///etc/jwks.json"),
    ],
)
def test_a_malformed_auth_setting_stops_start_up_naming_it(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], variable: str, value: str
) -> None:
    env.setenv("JWT_SECRET", SECRET)
    env.setenv(variable, value)

    assert refusal(capsys).startswith(f"configuration error: {variable} ")


@pytest.mark.parametrize(
    ("secret", "jwks_url"),
    [(None, None), (SECRET, UNUSED_JWKS_URL)],
    ids=["neither", "both"],
)
def test_a_verifier_takes_exactly_one_source_of_keys(
    secret: str | None, jwks_url: str | None
) -> None:
    with pytest.raises(ValueError, match="not both"):
        TokenVerifier(secret=secret, jwks_url=jwks_url)


def test_the_issuer_is_checked_when_set() -> None:
    verifier = TokenVerifier(secret=SECRET, issuer=ISSUER)

    accepted = verifier.verify(issue_token(SECRET, sub="ada", tenant="acme", issuer=ISSUER))
    with pytest.raises(InvalidToken, match="issuer"):
        verifier.verify(issue_token(SECRET, sub="ada", tenant="acme", issuer="https://evil/"))
    with pytest.raises(InvalidToken, match="iss"):
        verifier.verify(issue_token(SECRET, sub="ada", tenant="acme"))

    assert accepted.sub == "ada"


def test_token_cli_puts_the_configured_issuer_in_the_token(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("JWT_SECRET", SECRET)
    monkeypatch.setenv("JWT_ISSUER", ISSUER)

    main(["--sub", "ada", "--tenant", "acme"])

    token = capsys.readouterr().out.strip()
    assert TokenVerifier(secret=SECRET, issuer=ISSUER).verify(token).sub == "ada"


def test_copies_of_a_verifier_share_it_and_its_key_set_cache() -> None:
    # Litestar deep-copies middleware arguments; PyJWKClient's lock cannot be copied.
    verifier = TokenVerifier(jwks_url=UNUSED_JWKS_URL)

    assert copy.deepcopy(verifier) is verifier

"""Verified tokens are taken again until they expire, never longer, and never if refused."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.unit.producer.conftest import SECRET

from conveyor_producer.http.auth import CLOCK_SKEW_SECONDS, InvalidToken, TokenVerifier
from conveyor_producer.http.verified_tokens import VerifiedTokens
from conveyor_producer.principal import Principal

ALICE = Principal(sub="alice", tenant="acme", roles=("clerk",))


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def a_token(exp: float, **claims: Any) -> str:
    body = {"sub": "alice", "tenant": "acme", "roles": ["clerk"], "exp": int(exp), **claims}
    return jwt.encode(body, SECRET, algorithm="HS256")


def test_a_verified_token_is_taken_again_until_its_expiry_and_the_skew_pass() -> None:
    # given a verifier whose cache reads a clock the test moves
    clock = Clock(time.time())
    verifier = TokenVerifier(
        secret=SECRET, verified=VerifiedTokens(max_age_seconds=3600, clock=clock)
    )
    token = a_token(clock.now + 60)

    # when the token is verified, then asked for again just before exp + skew
    verified = verifier.verify(token)
    clock.now += 60 + CLOCK_SKEW_SECONDS - 1
    still = verifier.already_verified(token)
    clock.now += 1

    # then the cache answered with the same caller until then, and not after
    assert verified == still == ALICE
    assert verifier.already_verified(token) is None


def test_once_expired_a_verified_token_is_checked_again_and_refused() -> None:
    # given a token that expired (beyond the skew) a while ago, kept while it was valid
    exp = time.time() - CLOCK_SKEW_SECONDS - 5
    token = a_token(exp)
    clock = Clock(exp - 10)
    verified = VerifiedTokens(max_age_seconds=3600, clock=clock)
    verified.put(token, ALICE, valid_until=exp + CLOCK_SKEW_SECONDS)
    verifier = TokenVerifier(secret=SECRET, verified=verified)
    taken_while_valid = verifier.verify(token)

    # when it is verified once its expiry and the skew have passed
    clock.now = exp + CLOCK_SKEW_SECONDS

    # then the full check runs again, and refuses it
    assert taken_while_valid == ALICE
    with pytest.raises(InvalidToken, match="expired"):
        verifier.verify(token)


@pytest.mark.parametrize(
    "token",
    [
        a_token(time.time() + 60, tenant=""),
        a_token(time.time() - 3600),
        jwt.encode(
            {"sub": "a", "tenant": "t", "roles": [], "exp": 2**40},
            "another-secret-of-at-least-32-bytes",
        ),
    ],
)
def test_a_refused_token_is_never_kept(token: str) -> None:
    verifiable = VerifiedTokens(max_age_seconds=300)
    verifier = TokenVerifier(secret=SECRET, verified=verifiable)

    for _ in range(2):
        with pytest.raises(InvalidToken):
            verifier.verify(token)

    assert len(verifiable) == 0


def test_an_entry_ends_after_the_max_age_even_if_the_token_lives_longer() -> None:
    clock = Clock(1_000.0)
    tokens = VerifiedTokens(max_age_seconds=300, clock=clock)
    tokens.put("t", ALICE, valid_until=10_000.0)

    clock.now += 299.9
    kept = tokens.get("t")
    clock.now += 0.1

    assert kept == ALICE
    assert tokens.get("t") is None


@given(
    capacity=st.integers(min_value=1, max_value=8),
    uses=st.lists(st.integers(min_value=0, max_value=15), max_size=60),
)
def test_the_cache_keeps_at_most_its_capacity_and_drops_the_least_recently_used(
    capacity: int, uses: list[int]
) -> None:
    # given a cache and a model of it: names in order of last use
    tokens = VerifiedTokens(max_age_seconds=300, capacity=capacity)
    model: list[str] = []

    # when tokens are looked up, and put when missing
    for use in uses:
        name = f"token-{use}"
        if tokens.get(name) is None:
            tokens.put(name, ALICE, valid_until=time.time() + 60)
        if name in model:
            model.remove(name)
        model.append(name)
        model = model[-capacity:]

    # then exactly the most recently used ones are kept
    assert len(tokens) == len(model) <= capacity
    assert all(tokens.get(name) == ALICE for name in model)

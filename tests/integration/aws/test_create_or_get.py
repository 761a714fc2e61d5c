"""StateStore.create_or_get on the emulator's endpoint: one conditional put that writes a
new item, or answers with the item that holds the key, unchanged."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from conveyor_aws.state_store import StateStore

pytestmark = pytest.mark.integration


def test_a_free_key_is_written_and_a_taken_one_answers_with_its_item(
    aws: dict[str, str],
) -> None:
    store = StateStore(table=aws["STATE_TABLE"])
    pk, sk = f"TEST#{uuid.uuid4()}", "CLAIM"

    first = store.create_or_get(pk, sk, {"owner": "first", "count": 3, "seen": ["a"]})
    second = store.create_or_get(pk, sk, {"owner": "second", "count": 4})

    assert first is None
    assert second == {"pk": pk, "sk": sk, "owner": "first", "count": 3, "seen": ["a"]}
    assert store.get(pk, sk) == second


def test_of_claims_made_at_once_one_writes_and_the_others_read_its_item(
    aws: dict[str, str],
) -> None:
    store = StateStore(table=aws["STATE_TABLE"])
    pk = f"TEST#{uuid.uuid4()}"
    owners = [f"caller-{n}" for n in range(8)]

    with ThreadPoolExecutor(len(owners)) as pool:
        answers = list(
            pool.map(lambda owner: store.create_or_get(pk, "CLAIM", {"owner": owner}), owners)
        )

    [winner] = [owner for owner, answer in zip(owners, answers, strict=True) if answer is None]
    assert {answer["owner"] for answer in answers if answer is not None} == {winner}
    assert store.get(pk, "CLAIM") == {"pk": pk, "sk": "CLAIM", "owner": winner}

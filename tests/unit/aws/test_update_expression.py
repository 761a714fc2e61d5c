"""Update expressions: every name and value behind a placeholder, clauses in order."""

from __future__ import annotations

import pytest

from conveyor_aws.update_expression import UpdateExpression


def test_assignments_removals_and_a_condition_share_their_placeholders() -> None:
    update = UpdateExpression()
    update.when(f"{update.name('status')} = {update.value('PROCESSING')}")
    update.set("status", "COMPLETED").add("attempts", -1).set_if_absent("started_at", "t0")
    update.remove("lease_owner")

    assert update.expression == (
        "SET #n0 = :v1, #n1 = if_not_exists(#n1, :v2) + :v3, #n2 = if_not_exists(#n2, :v4) "
        "REMOVE #n3"
    )
    assert update.condition == "#n0 = :v0"
    assert update.names == {
        "#n0": "status",
        "#n1": "attempts",
        "#n2": "started_at",
        "#n3": "lease_owner",
    }
    assert update.values == {
        ":v0": "PROCESSING",
        ":v1": "COMPLETED",
        ":v2": 0,
        ":v3": -1,
        ":v4": "t0",
    }


def test_set_all_sets_each_attribute() -> None:
    update = UpdateExpression().set_all({"a": 1, "b": None})
    assert update.expression == "SET #n0 = :v0, #n1 = :v1"
    assert (update.names, update.values) == ({"#n0": "a", "#n1": "b"}, {":v0": 1, ":v1": None})
    assert update.condition is None


def test_an_update_must_change_something() -> None:
    with pytest.raises(ValueError, match="at least one"):
        _ = UpdateExpression().expression

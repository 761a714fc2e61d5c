"""Whom a job's outcome is told: one cap and one normalisation for every feature and
every way `notify` arrives (a JSON list, an upload form's commas)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from conveyor_common.errors import ValidationFailed
from conveyor_common.text import MAX_RECIPIENTS
from conveyor_producer.exports import rules as export_rules
from conveyor_producer.exports.errors import InvalidExport
from conveyor_producer.imports import rules as import_rules
from conveyor_producer.imports.errors import InvalidFileRequest
from conveyor_producer.jobs.rules import email_addresses
from conveyor_producer.principal import Principal

ALICE = Principal(sub="alice", tenant="t", roles=("exporter",), email="alice@example.com")


def addresses(count: int) -> list[str]:
    return [f"r{n}@example.com" for n in range(count)]


def test_up_to_the_cap_every_address_is_taken_once_normalised() -> None:
    requested = [*addresses(MAX_RECIPIENTS - 1), "R0@Example.com "]

    taken = email_addresses(requested, invalid=ValidationFailed)

    assert taken == tuple(addresses(MAX_RECIPIENTS - 1))


def test_beyond_the_cap_is_refused_in_the_features_own_failure() -> None:
    with pytest.raises(InvalidFileRequest) as refused:
        email_addresses(addresses(MAX_RECIPIENTS + 1), invalid=InvalidFileRequest)

    assert [error.field for error in refused.value.errors] == ["notify"]


@pytest.mark.parametrize(
    ("recipients", "invalid"),
    [(import_rules.recipients, InvalidFileRequest), (export_rules.recipients, InvalidExport)],
    ids=["imports", "exports"],
)
def test_every_feature_applies_the_cap(
    recipients: Callable[[Sequence[str] | None, Principal], tuple[str, ...]],
    invalid: type[Exception],
) -> None:
    with pytest.raises(invalid):
        recipients(addresses(MAX_RECIPIENTS + 1), ALICE)


@pytest.mark.parametrize("raw", [None, "", "   ", ",", ",,,", " , ,\t"])
def test_a_form_notify_of_nothing_but_separators_is_not_given(raw: str | None) -> None:
    assert import_rules.notify_field(raw) is None
    assert import_rules.recipients(import_rules.notify_field(raw), ALICE) == ("alice@example.com",)


def test_a_form_notify_skips_empty_entries() -> None:
    assert import_rules.notify_field(",a@example.com,, b@example.com,") == [
        "a@example.com",
        " b@example.com",
    ]

"""The IAM evaluator the least-privilege test trusts: Allow and Deny, Action and
NotAction, Resource wildcards and the Condition operators the task policies use."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conveyor_devstack.iam.policy import Decision, Request, evaluate, wildcard

QUEUE = "arn:aws:sqs:us-east-1:123456789012:conveyor-processor"
DLQ = "arn:aws:sqs:us-east-1:123456789012:conveyor-processor-dlq"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234"


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(actions: str | list[str], resources: str | list[str], **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resources, **extra}


def test_an_action_granted_on_one_queue_is_not_granted_on_another() -> None:
    grant = policy(allow("sqs:GetQueueUrl", QUEUE))
    assert evaluate([grant], Request("sqs:GetQueueUrl", QUEUE)) is Decision.ALLOW
    assert evaluate([grant], Request("sqs:GetQueueUrl", DLQ)) is Decision.IMPLICIT_DENY
    assert evaluate([grant], Request("sqs:SendMessage", QUEUE)) is Decision.IMPLICIT_DENY


def test_actions_match_case_insensitively_with_wildcards() -> None:
    grant = policy(allow(["SQS:Get*", "s3:?utObject"], "*"))
    assert evaluate([grant], Request("sqs:GetQueueUrl", QUEUE)) is Decision.ALLOW
    assert evaluate([grant], Request("s3:PutObject", "arn:aws:s3:::b/k")) is Decision.ALLOW
    assert evaluate([grant], Request("s3:GetObject", "arn:aws:s3:::b/k")) is Decision.IMPLICIT_DENY


def test_resources_match_case_sensitively_and_by_prefix_wildcard() -> None:
    grant = policy(allow("s3:GetObject", "arn:aws:s3:::bucket/uploads/*"))
    assert (
        evaluate([grant], Request("s3:GetObject", "arn:aws:s3:::bucket/uploads/a/b"))
        is Decision.ALLOW
    )
    assert (
        evaluate([grant], Request("s3:GetObject", "arn:aws:s3:::bucket/Uploads/a"))
        is Decision.IMPLICIT_DENY
    )
    assert (
        evaluate([grant], Request("s3:GetObject", "arn:aws:s3:::bucket/exports/a"))
        is Decision.IMPLICIT_DENY
    )


def test_an_explicit_deny_wins_over_any_allow() -> None:
    documents = [
        policy(allow("sqs:*", "*")),
        policy({"Effect": "Deny", "NotAction": "sqs:ReceiveMessage", "Resource": DLQ}),
    ]
    assert evaluate(documents, Request("sqs:SendMessage", DLQ)) is Decision.EXPLICIT_DENY
    assert evaluate(documents, Request("sqs:ReceiveMessage", DLQ)) is Decision.ALLOW
    assert evaluate(documents, Request("sqs:SendMessage", QUEUE)) is Decision.ALLOW


def test_not_resource_grants_everything_else() -> None:
    grant = policy({"Effect": "Allow", "Action": "sqs:SendMessage", "NotResource": DLQ})
    assert evaluate([grant], Request("sqs:SendMessage", QUEUE)) is Decision.ALLOW
    assert evaluate([grant], Request("sqs:SendMessage", DLQ)) is Decision.IMPLICIT_DENY


def test_a_condition_must_hold_and_a_missing_key_fails_it() -> None:
    via_s3 = {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}
    grant = policy(allow("kms:GenerateDataKey", KEY, Condition=via_s3))
    through_s3 = Request(
        "kms:GenerateDataKey", KEY, {"kms:ViaService": "s3.us-east-1.amazonaws.com"}
    )
    direct = Request("kms:GenerateDataKey", KEY)
    through_sqs = Request(
        "kms:GenerateDataKey", KEY, {"kms:ViaService": "sqs.us-east-1.amazonaws.com"}
    )
    assert evaluate([grant], through_s3) is Decision.ALLOW
    assert evaluate([grant], direct) is Decision.IMPLICIT_DENY
    assert evaluate([grant], through_sqs) is Decision.IMPLICIT_DENY


@pytest.mark.parametrize(
    ("operator", "expected", "actual", "holds"),
    [
        ("StringEquals", "a@example.com", "a@example.com", True),
        ("StringEquals", ["x", "a@example.com"], "a@example.com", True),
        ("StringEquals", "a@example.com", "A@example.com", False),
        ("StringLike", "exports/*", "exports/t/1", True),
        ("StringLike", "exports/*", "uploads/t/1", False),
        ("StringNotEquals", "a", "b", True),
        ("StringNotEquals", "a", "a", False),
        ("StringNotEquals", "a", None, True),
        ("ArnLike", "arn:aws:sns:*:*:conveyor-*", "arn:aws:sns:us-east-1:1:conveyor-events", True),
        ("ArnLike", "arn:aws:sns:*:*:conveyor-*", "arn:aws:sqs:us-east-1:1:conveyor-events", False),
        ("ArnEquals", QUEUE, QUEUE, True),
        ("Bool", "true", "True", True),
        ("Bool", "true", "false", False),
    ],
)
def test_condition_operators(operator: str, expected: Any, actual: str | None, holds: bool) -> None:
    grant = policy(allow("x:Act", "*", Condition={operator: {"k:key": expected}}))
    context = {} if actual is None else {"k:key": actual}
    decision = evaluate([grant], Request("x:Act", "r", context))
    assert (decision is Decision.ALLOW) is holds


def test_an_operator_it_cannot_evaluate_is_an_error_not_an_allow() -> None:
    grant = policy(allow("x:Act", "*", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))
    with pytest.raises(ValueError, match="IpAddress"):
        evaluate([grant], Request("x:Act", "r", {"aws:SourceIp": "10.0.0.1"}))


@given(st.text(min_size=1))
def test_a_pattern_without_wildcards_matches_only_itself(text: str) -> None:
    literal = text.replace("*", "").replace("?", "")
    assert wildcard(literal, literal)
    assert not wildcard(literal, literal + "x")
    assert wildcard("*", text)

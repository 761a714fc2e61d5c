"""A task-role policy in the form moto server 5.2 can enforce, with no more rights
than the policy has wherever moto checks faithfully.

moto checks signatures, users, assumed roles, S3 object and bucket ARNs and SQS queue
ARNs as IAM does (and, through conveyor_devstack.moto_process, the ARNs of SNS,
DynamoDB and SES calls and of sqs:GetQueueUrl, which moto alone checks against `*`),
but it:

- names batch calls and a bucket HEAD by their operation (sqs:DeleteMessageBatch,
  sns:PublishBatch, s3:HeadBucket) where IAM asks for sqs:DeleteMessage, sns:Publish
  and s3:ListBucket: the
  operation's name is granted wherever IAM's action is;
- cannot supply condition keys (ses:FromAddress, kms:ViaService), so it takes a
  statement with a Condition for an explicit deny: the Condition is dropped.

What this widens (the conditions) is checked by conveyor_devstack.iam.policy
against the real policy, call by call, from what conveyor_devstack.iam.calls records.
"""

from __future__ import annotations

from typing import Any

OPERATION_NAMES = {
    "sqs:DeleteMessage": ("sqs:DeleteMessageBatch",),
    "sqs:ChangeMessageVisibility": ("sqs:ChangeMessageVisibilityBatch",),
    "sqs:SendMessage": ("sqs:SendMessageBatch",),
    "sns:Publish": ("sns:PublishBatch",),
    "s3:ListBucket": ("s3:HeadBucket",),
}


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return [actions] if isinstance(actions, str) else list(actions)


def _with_operation_names(actions: list[str]) -> list[str]:
    return sorted({*actions, *(n for a in actions for n in OPERATION_NAMES.get(a, ()))})


def moto_statement(statement: dict[str, Any]) -> dict[str, Any]:
    if statement["Effect"] != "Allow" or "Action" not in statement or "Resource" not in statement:
        raise ValueError(f"only Allow statements with Action and Resource: {statement}")
    actions = _with_operation_names(_actions(statement))
    return {"Effect": "Allow", "Action": actions, "Resource": statement["Resource"]}


def moto_view(policy: dict[str, Any]) -> dict[str, Any]:
    """The policy moto is given in place of `policy` (see the module's docstring)."""
    statements = policy["Statement"]
    if isinstance(statements, dict):
        statements = [statements]
    return {
        "Version": "2012-10-17",
        "Statement": [moto_statement(s) for s in statements],
    }

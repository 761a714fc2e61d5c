"""A task-role policy in the form moto server 5.2 can enforce, with no more rights
than the policy has wherever moto checks faithfully.

moto checks signatures, users, assumed roles, S3 object and bucket ARNs and SQS queue
ARNs as IAM does, but it:

- authorises SNS, DynamoDB and SES calls and sqs:GetQueueUrl against resource `*`,
  so a grant scoped to the real ARN would be refused: those actions are granted on
  `*` here (the action itself still has to be in the policy);
- names batch calls and a bucket HEAD by their operation (sqs:DeleteMessageBatch,
  s3:HeadBucket) where IAM asks for sqs:DeleteMessage and s3:ListBucket: the
  operation's name is granted wherever IAM's action is;
- cannot supply condition keys (ses:FromAddress, kms:ViaService), so a statement with
  a Condition would never match: the Condition is dropped.

What this widens (resources, conditions) is checked by conveyor_devstack.iam.policy
against the real policy, call by call, from what conveyor_devstack.iam.calls records.
"""

from __future__ import annotations

from typing import Any

STAR_RESOURCE_PREFIXES = ("sns:", "dynamodb:", "ses:", "sqs:GetQueueUrl")
OPERATION_NAMES = {
    "sqs:DeleteMessage": ("sqs:DeleteMessageBatch",),
    "sqs:ChangeMessageVisibility": ("sqs:ChangeMessageVisibilityBatch",),
    "sqs:SendMessage": ("sqs:SendMessageBatch",),
    "s3:ListBucket": ("s3:HeadBucket",),
}


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return [actions] if isinstance(actions, str) else list(actions)


def _with_operation_names(actions: list[str]) -> list[str]:
    return sorted({*actions, *(n for a in actions for n in OPERATION_NAMES.get(a, ()))})


def moto_statements(statement: dict[str, Any]) -> list[dict[str, Any]]:
    if statement["Effect"] != "Allow" or "Action" not in statement or "Resource" not in statement:
        raise ValueError(f"only Allow statements with Action and Resource: {statement}")
    actions = _actions(statement)
    starred = [a for a in actions if a.startswith(STAR_RESOURCE_PREFIXES)]
    scoped = [a for a in actions if a not in starred]
    out = []
    if scoped:
        out.append(
            {
                "Effect": "Allow",
                "Action": _with_operation_names(scoped),
                "Resource": statement["Resource"],
            }
        )
    if starred:
        out.append({"Effect": "Allow", "Action": _with_operation_names(starred), "Resource": "*"})
    return out


def moto_view(policy: dict[str, Any]) -> dict[str, Any]:
    """The policy moto is given in place of `policy` (see the module's docstring)."""
    statements = policy["Statement"]
    if isinstance(statements, dict):
        statements = [statements]
    return {
        "Version": "2012-10-17",
        "Statement": [out for s in statements for out in moto_statements(s)],
    }

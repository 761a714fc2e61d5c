"""An IAM identity-policy evaluator, for the parts of IAM Conveyor's policies use.

A request (action, resource ARN, condition keys) is allowed when some statement allows
it and none denies it; anything else is an implicit deny. Statements match on Action
or NotAction (case-insensitive, `*` and `?` wildcards), Resource or NotResource (case-
sensitive wildcards) and every Condition operator below; a key absent from the request
fails a positive operator and satisfies a negated one, as in IAM. An operator not
listed raises: a policy this cannot evaluate must not pass for allowed.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

Statement = Mapping[str, Any]


class Decision(enum.Enum):
    ALLOW = "allow"
    EXPLICIT_DENY = "explicit deny"
    IMPLICIT_DENY = "implicit deny"


@dataclasses.dataclass(frozen=True)
class Request:
    action: str
    resource: str
    context: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def __str__(self) -> str:
        keys = "".join(f" {k}={v}" for k, v in sorted(self.context.items()))
        return f"{self.action} on {self.resource}{keys}"


def wildcard(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM's `*` (any run) and `?` (one character); nothing else is special."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.fullmatch(regex, value, flags) is not None


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _arn_like(pattern: str, value: str) -> bool:
    """ArnLike: the six colon-separated parts match one by one."""
    parts, values = pattern.split(":", 5), value.split(":", 5)
    return len(parts) == len(values) == 6 and all(map(wildcard, parts, values))


OPERATORS: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": lambda expected, actual: expected == actual,
    "StringEqualsIgnoreCase": lambda expected, actual: expected.lower() == actual.lower(),
    "StringLike": wildcard,
    "ArnEquals": lambda expected, actual: expected == actual,
    "ArnLike": _arn_like,
    "Bool": lambda expected, actual: expected.lower() == actual.lower(),
}
NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


def condition_holds(
    operator: str, key: str, expected: str | list[str], context: Mapping[str, str]
) -> bool:
    positive = NEGATED.get(operator, operator)
    if positive not in OPERATORS:
        raise ValueError(f"condition operator {operator} is not supported")
    actual = context.get(key)
    if actual is None:
        return operator in NEGATED
    matched = any(OPERATORS[positive](value, actual) for value in _as_list(expected))
    return not matched if operator in NEGATED else matched


def _matches(statement: Statement, request: Request) -> bool:
    if "Action" in statement:
        actions = any(
            wildcard(a, request.action, ignore_case=True) for a in _as_list(statement["Action"])
        )
    else:
        actions = not any(
            wildcard(a, request.action, ignore_case=True) for a in _as_list(statement["NotAction"])
        )
    if "Resource" in statement:
        resources = any(wildcard(r, request.resource) for r in _as_list(statement["Resource"]))
    else:
        resources = not any(
            wildcard(r, request.resource) for r in _as_list(statement["NotResource"])
        )
    conditions = all(
        condition_holds(operator, key, expected, request.context)
        for operator, tests in statement.get("Condition", {}).items()
        for key, expected in tests.items()
    )
    return actions and resources and conditions


def statements_of(documents: Iterable[Mapping[str, Any]]) -> list[Statement]:
    found: list[Statement] = []
    for document in documents:
        body = document["Statement"]
        found.extend([body] if isinstance(body, Mapping) else body)
    return found


def evaluate(documents: Iterable[Mapping[str, Any]], request: Request) -> Decision:
    """What IAM decides for `request` under these identity policies."""
    matching = [s for s in statements_of(documents) if _matches(s, request)]
    if any(s["Effect"] == "Deny" for s in matching):
        return Decision.EXPLICIT_DENY
    if any(s["Effect"] == "Allow" for s in matching):
        return Decision.ALLOW
    return Decision.IMPLICIT_DENY

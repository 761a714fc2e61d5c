"""DynamoDB update expressions: SET and REMOVE clauses and a condition, built in one place.

Every attribute name and value goes behind a placeholder, so reserved words such
as `status` need no care and values of any type are passed as values, never
spliced into the expression.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self


class UpdateExpression:
    """One update of one item; the caller serialises `values` for the wire."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.values: dict[str, Any] = {}
        self._sets: list[str] = []
        self._removes: list[str] = []
        self.condition: str | None = None

    def name(self, attribute: str) -> str:
        """The placeholder of an attribute name, for SET clauses and conditions alike."""
        for placeholder, known in self.names.items():
            if known == attribute:
                return placeholder
        placeholder = f"#n{len(self.names)}"
        self.names[placeholder] = attribute
        return placeholder

    def value(self, value: Any) -> str:
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = value
        return placeholder

    def set(self, attribute: str, value: Any) -> Self:
        self._sets.append(f"{self.name(attribute)} = {self.value(value)}")
        return self

    def set_all(self, attributes: Mapping[str, Any]) -> Self:
        for attribute, value in attributes.items():
            self.set(attribute, value)
        return self

    def set_if_absent(self, attribute: str, value: Any) -> Self:
        """Keep the attribute's value if it has one."""
        name = self.name(attribute)
        self._sets.append(f"{name} = if_not_exists({name}, {self.value(value)})")
        return self

    def add(self, attribute: str, amount: int) -> Self:
        """Add to a number (a missing one counts as 0); a negative amount subtracts."""
        name = self.name(attribute)
        self._sets.append(f"{name} = if_not_exists({name}, {self.value(0)}) + {self.value(amount)}")
        return self

    def remove(self, *attributes: str) -> Self:
        self._removes.extend(self.name(attribute) for attribute in attributes)
        return self

    def when(self, condition: str) -> Self:
        """Apply only if `condition` holds; write it with `name()` and `value()` placeholders."""
        self.condition = condition
        return self

    @property
    def expression(self) -> str:
        clauses = []
        if self._sets:
            clauses.append("SET " + ", ".join(self._sets))
        if self._removes:
            clauses.append("REMOVE " + ", ".join(self._removes))
        if not clauses:
            raise ValueError("an update needs at least one SET or REMOVE")
        return " ".join(clauses)

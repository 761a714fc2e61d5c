"""Writes the JSON Schema of the event envelope, kept in the repo for other consumers.

python -m conveyor_common.schema > libs/common/schema/envelope.schema.json
"""

from __future__ import annotations

import json

import conveyor_common.events  # noqa: F401 - registers every event type
from conveyor_common.envelope import json_schema


def render() -> str:
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    print(render(), end="")

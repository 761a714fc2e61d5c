"""Records every AWS call a process makes, for checking it against an IAM policy.

Run a service as `python -m conveyor_devstack.iam.calls conveyor_producer` with
AWS_CALL_RECORD naming a file: every botocore client the process builds (its own, and
the one dramatiq-sqs builds) appends one JSON line per call, presigned URLs included
(they act with the signer's rights), and one more line for each call AWS refused.
Without AWS_CALL_RECORD the service runs untouched. Only the parameters that name
what a call acts on are kept: no bodies, no message contents.
"""

from __future__ import annotations

import dataclasses
import json
import os
import runpy
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.session

RECORD_ENV = "AWS_CALL_RECORD"
# The parameters IAM's resource ARNs and condition keys are built from.
NAMING_PARAMS = (
    "QueueUrl",
    "QueueName",
    "TopicArn",
    "TableName",
    "Bucket",
    "Key",
    "Prefix",
    "Source",
)


def _naming(params: dict[str, Any]) -> dict[str, str]:
    named = {k: str(params[k]) for k in NAMING_PARAMS if k in params}
    if "RequestItems" in params:
        # A DynamoDB batch names its tables in RequestItems: recorded comma-separated.
        named["TableName"] = ",".join(params["RequestItems"])
    return named


@dataclasses.dataclass(frozen=True)
class Call:
    """One AWS call: the botocore service name (`sqs`, `s3`, `ses`...), its operation,
    what it names, whether it was only presigned, and the error code AWS answered."""

    service: str
    operation: str
    params: dict[str, str]
    presigned: bool = False
    error: str | None = None


class Recorder:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def write(self, call: Call) -> None:
        line = json.dumps(dataclasses.asdict(call)) + "\n"
        with self._lock, self.path.open("a", encoding="utf-8") as out:
            out.write(line)

    def before_parameter_build(
        self, params: dict[str, Any], model: Any, context: Any, **_: Any
    ) -> None:
        call = Call(
            service=model.service_model.service_name,
            operation=model.name,
            params=_naming(params),
            presigned=bool(context.get("is_presign_request")),
        )
        self.write(call)
        context["conveyor_call"] = call

    def after_call(self, parsed: dict[str, Any], context: Any, **_: Any) -> None:
        error = parsed.get("Error", {}).get("Code")
        call = context.get("conveyor_call")
        if error and call is not None:
            self.write(dataclasses.replace(call, error=str(error)))

    def attach(self, client: Any) -> None:
        client.meta.events.register("before-parameter-build", self.before_parameter_build)
        client.meta.events.register("after-call", self.after_call)


def install(path: Path) -> None:
    """Record the calls of every client built from now on in this process."""
    recorder = Recorder(path)
    create_client = botocore.session.Session.create_client

    def recording_create_client(self: botocore.session.Session, *args: Any, **kwargs: Any) -> Any:
        client = create_client(self, *args, **kwargs)
        recorder.attach(client)
        return client

    botocore.session.Session.create_client = recording_create_client  # type: ignore[method-assign]


def read(path: Path) -> Iterator[Call]:
    if not path.exists():
        return
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            yield Call(**json.loads(line))


def main() -> None:
    module = sys.argv[1]
    if record := os.environ.get(RECORD_ENV):
        install(Path(record))
    sys.argv = [module, *sys.argv[2:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()

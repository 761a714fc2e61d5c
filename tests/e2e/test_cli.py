"""`conveyor` against the running stack: the token it mints is the API's, queues show
the stack's numbers, files upload follows an import to its outcome, jobs show it."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from conveyor_cli.main import cli
from conveyor_common.imports.model import CSV_COLUMNS
from conveyor_devstack.stack import Stack

from .conftest import eventually
from .test_imports import NO_CURRENCY, csv_file, order_line

pytestmark = pytest.mark.e2e

CONVEYOR = Path(sys.executable).with_name("conveyor")


def conveyor_process(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    """The installed console script, in the stack's environment."""
    return subprocess.run(
        [str(CONVEYOR), *args], env=stack.env, check=True, capture_output=True, text=True
    )


@dataclass(frozen=True)
class Operator:
    """`conveyor` run in this process, as a tenant's exporter whose token it minted."""

    stack: Stack
    token: str

    def run(self, *args: str) -> Result:
        env = {"CONVEYOR_API_URL": self.stack.producer_url, "CONVEYOR_TOKEN": self.token}
        return CliRunner().invoke(cli, list(args), env=env)

    def json(self, *args: str) -> Any:
        result = self.run(*args, "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)


@pytest.fixture(scope="module")
def operator(stack: Stack) -> Operator:
    tenant = f"cli-{uuid.uuid4().hex[:8]}"
    minted = conveyor_process(
        stack, "token", "--sub", "operator", "--tenant", tenant, "--roles", "exporter"
    )
    return Operator(stack, minted.stdout.strip())


def test_the_minted_token_is_accepted_and_queues_show_the_stacks_numbers(
    stack: Stack, operator: Operator
) -> None:
    # when the operator lists exports with the token `conveyor token` printed
    listed = operator.json("jobs", "list", "--kind", "export")

    # then the API accepted it: a new tenant has no export yet
    assert (listed["items"], listed["total"]) == ([], 0)

    # and `conveyor queues` shows both workers' queues and DLQs with numbers
    report = json.loads(conveyor_process(stack, "queues", "--json").stdout)
    queues = {entry["queue"]: entry for entry in report}
    assert set(queues) == {stack.env["PROCESSOR_QUEUE"], stack.env["NOTIFIER_QUEUE"]}
    for name, entry in queues.items():
        assert entry["dlq"] == f"{name}-dlq"
        counts = [entry["waiting"], entry["inFlight"], entry["delayed"], entry["dlqDepth"]]
        assert all(isinstance(count, int) and count >= 0 for count in counts), entry


def test_an_upload_with_a_bad_row_completes_with_its_report_and_jobs_show_it(
    operator: Operator, tmp_path: Path
) -> None:
    # given a CSV of two good orders and one with a currency that does not exist
    path = tmp_path / "orders.csv"
    path.write_bytes(
        csv_file(
            order_line("CLI-1", "c-1"),
            order_line("CLI-2", "c-2", currency=NO_CURRENCY),
            order_line("CLI-3", "c-3"),
        )
    )

    # when the operator uploads it
    result = operator.run("files", "upload", str(path))

    # then it shows the upload's and the import's progress, then the outcome and the
    # error report's link, and succeeds
    assert result.exit_code == 0, result.output
    assert "uploading orders.csv" in result.stderr
    lines = result.stdout.splitlines()
    assert "): COMPLETED, 3 row(s): 2 imported, 0 unchanged, 1 rejected" in lines[0]
    assert lines[1].startswith("error report: http")
    file_id = lines[0].split("(")[1].split(")")[0]

    # and `jobs show` finds it without being told its kind, with the same counts
    shown = operator.run("jobs", "show", file_id)
    assert shown.exit_code == 0, shown.output
    details = dict(line.split(": ", 1) for line in shown.stdout.splitlines())
    assert (details["kind"].strip(), details["status"].strip()) == ("import", "COMPLETED")
    assert (details["imported"].strip(), details["rejected"].strip()) == ("2", "1")
    assert details["error report"].strip().startswith("http")

    # and `jobs list` lists it once the processor's catalogue has it
    def listed() -> list[dict[str, Any]] | None:
        page = operator.json("jobs", "list", "--kind", "import", "--status", "completed")
        return [item for item in page["items"] if item["id"] == file_id] or None

    (item,) = eventually(listed, what="the import in the listing", seconds=30)
    assert (item["rowsImported"], item["rowsRejected"]) == (2, 1)


def test_a_file_that_fails_exits_non_zero_with_the_reason(
    operator: Operator, tmp_path: Path
) -> None:
    # given a CSV with a column the format does not know
    path = tmp_path / "unknown.csv"
    path.write_bytes(csv_file(header=(*CSV_COLUMNS, "colour")))

    # when it is validated
    result = operator.run("files", "upload", str(path), "--validate")

    # then the command says it FAILED and why, and exits non-zero
    assert result.exit_code == 3, result.output
    assert "validation of unknown.csv" in result.stdout
    assert "FAILED" in result.stdout
    assert "colour" in result.stdout

    # and --json gives the file's view
    view = operator.json("jobs", "show", "--kind", "import", result.stdout.split("(")[1][:36])
    assert (view["kind"], view["status"], view["mode"]) == ("import", "FAILED", "validate")

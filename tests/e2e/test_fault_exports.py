"""A crash leaves nothing behind: exports whose processor, or PDF renderer, is killed
with SIGKILL mid-export, through the running services."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from conveyor_aws.s3_stream import MIN_PART_SIZE_BYTES
from conveyor_devstack.stack import Stack
from conveyor_processor.exports.temp_dir import LOCK_SUFFIX, PREFIX
from conveyor_processor.exports.writers import pdf_chunk

from .conftest import eventually
from .test_exports import SLOW_SECONDS, Tenant, finished, status_of

pytestmark = pytest.mark.e2e

# Parts of 5 MiB, about 36,000 CSV rows each: this many rows make several.
CSV_ROWS = 200_000
# Several seconds of XLSX writing, so the kill lands while the sheet buffer grows.
XLSX_ROWS = 25_000
# Three chunks: the renderer is still busy when it is killed.
PDF_ROWS = 1_500
# How long the processor runs between two looks while a test waits to kill it mid-export.
RUN_SLICE_SECONDS = 0.05


@pytest.fixture
def tenant(stack: Stack) -> Iterator[Tenant]:
    created = Tenant(stack)
    yield created
    created.api.close()


@pytest.fixture(scope="module")
def temp_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("processor-tmp")


@pytest.fixture(scope="module")
def fault_env(stack: Stack, temp_root: Path) -> Iterator[dict[str, str]]:
    """The processor restarted, for this module, with short leases, 5 MiB parts and its
    temporary files under the tests' folder; the usual one is back afterwards."""
    env = {
        "VISIBILITY_TIMEOUT_SECONDS": "10",
        "EXPORT_LEASE_SECONDS": "10",
        "EXPORT_PART_SIZE_BYTES": str(MIN_PART_SIZE_BYTES),
        "EXPORT_TEMP_DIR": str(temp_root),
    }
    stack.services["processor"].stop()
    stack.start_service("processor", env=env)
    try:
        yield env
    finally:
        stack.services["processor"].stop()
        stack.start_service("processor")


def processor_pid(stack: Stack) -> int:
    process = stack.services["processor"].process
    assert process is not None
    return process.pid


def kill_and_restart_processor(stack: Stack, env: dict[str, str]) -> None:
    stack.services["processor"].signal(signal.SIGKILL)
    stack.services["processor"].stop()  # reaps it
    stack.start_service("processor", env=env)


def stopped_once(stack: Stack, probe: Callable[[], bool], *, what: str, seconds: float) -> None:
    """Leaves the processor frozen (SIGSTOP) as soon as `probe` holds. The probe runs while
    it is frozen, in turns with short runs: a CSV export of this size takes two or three
    seconds, and could end between a look that saw it running and the kill."""
    processor = stack.services["processor"]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        processor.signal(signal.SIGSTOP)
        if probe():
            return
        processor.signal(signal.SIGCONT)
        time.sleep(RUN_SLICE_SECONDS)
    pytest.fail(f"timed out after {seconds:.0f} s waiting for {what}")


def uploads(aws_client: Callable[[str], Any], bucket: str, prefix: str = "") -> list[Any]:
    found: list[Any] = []
    pages = aws_client("s3").get_paginator("list_multipart_uploads")
    for page in pages.paginate(Bucket=bucket, Prefix=prefix):
        found.extend(page.get("Uploads", []))
    return found


def uploaded_parts(aws_client: Callable[[str], Any], bucket: str, prefix: str) -> int:
    s3 = aws_client("s3")
    return sum(
        len(s3.list_parts(Bucket=bucket, Key=up["Key"], UploadId=up["UploadId"]).get("Parts", []))
        for up in uploads(aws_client, bucket, prefix)
    )


def owned_dirs(temp_root: Path, pid: int) -> list[Path]:
    return sorted(p for p in temp_root.glob(f"{PREFIX}{pid}-*") if p.is_dir())


def sheet_buffers(temp_root: Path) -> list[Path]:
    found = []
    for path in temp_root.glob(f"{PREFIX}*/openpyxl.*"):
        try:
            if path.stat().st_size > 0:
                found.append(path)
        except FileNotFoundError:
            continue  # removed meanwhile
    return found


def stray_files(stack: Stack, temp_root: Path) -> list[Path]:
    """Everything under the root but the live processor's own, empty, directory and lock."""
    [live] = owned_dirs(temp_root, processor_pid(stack))
    expected = {live, live.with_name(live.name + LOCK_SUFFIX)}
    return sorted(p for p in temp_root.rglob("*") if p not in expected)


def renderer_of(pid: int) -> int | None:
    """The pid of the PDF renderer child of process `pid`."""
    for child in psutil.Process(pid).children():
        with contextlib.suppress(psutil.NoSuchProcess):
            if pdf_chunk.__name__ in child.cmdline():
                return child.pid
    return None


def accepted(response: httpx.Response) -> str:
    assert response.status_code == 202, response.text
    export_id: str = response.json()["exportId"]
    return export_id


def test_a_csv_export_whose_processor_was_killed_leaves_no_upload_behind(
    stack: Stack,
    tenant: Tenant,
    aws_client: Callable[[str], Any],
    fault_env: dict[str, str],
    temp_root: Path,
) -> None:
    # given a CSV export of several parts under way: its upload holds a part
    tenant.seed(stack, CSV_ROWS)
    export_id = accepted(tenant.request(format="csv"))
    bucket = stack.env["EXPORTS_BUCKET"]
    prefix = f"exports/{tenant.name}/{export_id}/"
    stopped_once(
        stack,
        lambda: uploaded_parts(aws_client, bucket, prefix) > 0,
        what="a part uploaded",
        seconds=SLOW_SECONDS,
    )

    # when the processor is killed mid-export and started again
    kill_and_restart_processor(stack, fault_env)
    assert len(uploads(aws_client, bucket, prefix)) == 1

    # then the export is reclaimed once the lease expired, and completes
    done = eventually(partial(finished, tenant, export_id), what="the export", seconds=SLOW_SECONDS)
    assert done["status"] == "COMPLETED", done
    assert done["actualRowCount"] == CSV_ROWS
    # and the killed attempt's upload was aborted: none is open in the bucket
    assert uploads(aws_client, bucket) == []
    assert stray_files(stack, temp_root) == []


def test_an_xlsx_export_whose_processor_was_killed_leaves_no_sheet_buffer_behind(
    stack: Stack,
    tenant: Tenant,
    aws_client: Callable[[str], Any],
    fault_env: dict[str, str],
    temp_root: Path,
) -> None:
    # given an XLSX export under way: openpyxl's sheet buffer grows on disk
    tenant.seed(stack, XLSX_ROWS)
    export_id = accepted(tenant.request(format="xlsx"))
    eventually(
        lambda: (status_of(tenant, export_id).get("progressPercentage") or 0) > 0,
        what="the export under way",
        seconds=SLOW_SECONDS,
    )
    [buffer] = eventually(partial(sheet_buffers, temp_root), what="the sheet buffer on disk")
    killed = processor_pid(stack)

    # when the processor is killed mid-export and started again
    kill_and_restart_processor(stack, fault_env)

    # then the new processor removed the dead one's directory as it started
    assert not buffer.exists()
    assert owned_dirs(temp_root, killed) == []
    # and the export is reclaimed and completes, leaving no file behind either
    done = eventually(partial(finished, tenant, export_id), what="the export", seconds=SLOW_SECONDS)
    assert done["status"] == "COMPLETED", done
    assert done["actualRowCount"] == XLSX_ROWS
    assert stray_files(stack, temp_root) == []
    assert uploads(aws_client, stack.env["EXPORTS_BUCKET"]) == []


def test_a_killed_pdf_renderer_fails_the_export_with_the_cause(
    stack: Stack,
    tenant: Tenant,
    aws_client: Callable[[str], Any],
    fault_env: dict[str, str],
    temp_root: Path,
) -> None:
    # given a PDF export whose renderer child is at work
    tenant.seed(stack, PDF_ROWS)
    export_id = accepted(tenant.request(format="pdf"))
    renderer = eventually(
        lambda: renderer_of(processor_pid(stack)), what="the PDF renderer", seconds=SLOW_SECONDS
    )

    # when it is killed, as the OOM killer would
    os.kill(renderer, signal.SIGKILL)

    # then the export fails, and says why in words the user can read
    done = eventually(partial(finished, tenant, export_id), what="the export", seconds=SLOW_SECONDS)
    assert done["status"] == "FAILED", done
    assert done["error"] == "the PDF renderer stopped (killed by signal 9)"
    # and leaves no upload and no file
    bucket = stack.env["EXPORTS_BUCKET"]
    assert uploads(aws_client, bucket, f"exports/{tenant.name}/{export_id}/") == []
    assert stray_files(stack, temp_root) == []

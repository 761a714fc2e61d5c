"""The bulk-import API attacked from the outside: hostile bytes in every field, hostile
file contents, replays and duplicates, other tenants and forged tokens, and dependencies
that stop mid-import. Each test says what was accepted, stored, mailed and left behind."""

from __future__ import annotations

import csv
import gzip
import io
import json
import socket
import threading
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import jwt
import pytest

from conveyor_aws.resources import QUEUE_VISIBILITY_TIMEOUT_SECONDS
from conveyor_common.imports.model import DEFAULT_MAX_UPLOAD_BYTES, upload_key
from conveyor_devstack.postgres import TempPostgres
from conveyor_devstack.stack import Stack
from conveyor_producer.token import issue_token

from .conftest import aws_frozen, database_down, eventually, mint_token, queue_depth
from .test_imports import (
    FILE_ENDED,
    FILES,
    Uploader,
    api_client,
    csv_file,
    emails_to,
    json_order,
    one_email_to,
    order_line,
    report_rows,
)

pytestmark = pytest.mark.e2e

OUTAGE_SECONDS = 30
# A receive whose answer the freeze cut off has still taken its messages: they come back
# once their visibility timeout lapses. The promise is that each file ends once; this
# bound only stops a hung run.
RECOVERY_SECONDS = QUEUE_VISIBILITY_TIMEOUT_SECONDS + 60.0
# Files big enough to be in flight when a dependency stops.
ROWS_PER_FILE = 10_000
# Cells a spreadsheet evaluates as a formula when a CSV is opened (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# What a tiny hostile file may add to the processor's memory (the issue's budget for a
# 1,000,000-row file is 200 MB in all).
TINY_FILE_MEMORY_BUDGET_KIB = 100 * 1024
# Python refuses to turn more digits than this into an int (sys.int_info.str_digits_check_threshold
# and the default sys.get_int_max_str_digits()).
INT_MAX_STR_DIGITS = 4300


@pytest.fixture
def uploader(stack: Stack) -> Iterator[Uploader]:
    created = Uploader(stack)
    yield created
    created.api.close()


def dead_letters(stack: Stack, aws_client: Callable[[str], Any]) -> list[int]:
    """Messages parked on the processor's and the notifier's DLQs."""
    queues = [f"{stack.env[name]}-dlq" for name in ("PROCESSOR_QUEUE", "NOTIFIER_QUEUE")]
    return [queue_depth(aws_client, queue) for queue in queues]


def stored_objects(aws_client: Callable[[str], Any], tenant: str) -> list[str]:
    listing = aws_client("s3").list_objects_v2(
        Bucket="conveyor-uploads", Prefix=f"uploads/{tenant}/"
    )
    return [item["Key"] for item in listing.get("Contents", [])]


def open_multipart_uploads(aws_client: Callable[[str], Any], tenant: str) -> list[str]:
    uploads = aws_client("s3").list_multipart_uploads(Bucket="conveyor-uploads").get("Uploads", [])
    return [upload["Key"] for upload in uploads if f"/{tenant}/" in upload["Key"]]


def raw_upload(uploader: Uploader, *parts: bytes, boundary: str | None = None) -> httpx.Response:
    """A multipart body built from raw parts (each `headers\\r\\n\\r\\nbody`): httpx would
    escape or refuse what these tests send."""
    boundary = boundary or uuid.uuid4().hex
    body = b"".join(f"--{boundary}\r\n".encode() + part + b"\r\n" for part in parts)
    return uploader.api.post(
        f"{FILES}/upload",
        content=body + f"--{boundary}--\r\n".encode(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )


def file_part(name: bytes, content: bytes, content_type: bytes = b"text/csv") -> bytes:
    disposition = b'Content-Disposition: form-data; name="file"; filename="' + name + b'"'
    return disposition + b"\r\nContent-Type: " + content_type + b"\r\n\r\n" + content


def imported(uploader: Uploader, name: str, content: bytes, content_type: str) -> dict[str, Any]:
    accepted = uploader.upload(name, content, content_type)
    assert accepted.status_code == 202, accepted.text
    return uploader.finished(accepted.json()["fileId"], seconds=RECOVERY_SECONDS)


# --- the processor itself -----------------------------------------------------------------


def processor_pid(stack: Stack) -> int:
    process = stack.services["processor"].process
    assert process is not None
    return process.pid


def processor_alive(stack: Stack) -> bool:
    process = stack.services["processor"].process
    return process is not None and process.poll() is None


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class PeakMemory:
    """Samples a process's resident memory on a thread, remembering the highest value."""

    def __init__(self, pid: int) -> None:
        self._pid = pid
        self.start = rss_kib(pid)
        self.peak = self.start
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def growth_kib(self) -> int:
        return self.peak - self.start

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            try:
                self.peak = max(self.peak, rss_kib(self._pid))
            except OSError:
                return


@pytest.fixture
def processor_revived(stack: Stack, aws_client: Callable[[str], Any]) -> Iterator[list[str]]:
    """For tests that may kill the processor: afterwards, the poison files they name are
    removed from S3 (so a redelivery cannot kill it again) and the processor is restarted."""
    poison: list[str] = []
    yield poison
    s3 = aws_client("s3")
    for key in poison:
        s3.delete_object(Bucket="conveyor-uploads", Key=key)
    if not processor_alive(stack):
        stack.start_service("processor")


# --- hostile file contents: the worst failures first ---------------------------------------


def test_a_json_number_of_4301_digits_is_a_rejected_row_not_a_dead_processor(
    stack: Stack, uploader: Uploader, processor_revived: list[str]
) -> None:
    """A number beyond Python's int limit (4,300 digits) once made ijson's C backend
    segfault, killing every job on the worker and each worker a redelivery reached: the
    file ends with a readable reason and the worker lives on."""
    # given a JSON array whose one order has a quantity of 4,301 digits
    order = json_order("BIG-1", "c-1") | {"items": [{"sku": "S", "quantity": 0}]}
    body = json.dumps([order]).replace('"quantity": 0', '"quantity": ' + "9" * 4301)

    # when it is uploaded
    accepted = uploader.upload("bignum.json", body.encode(), "application/json")
    assert accepted.status_code == 202, accepted.text
    file_id = accepted.json()["fileId"]
    processor_revived.append(uploader.record(file_id)["s3Key"])

    # then the import ends (the row rejected, or the file failed with a reason)
    eventually(
        lambda: processor_alive(stack) is False or uploader.record(file_id)["status"] in FILE_ENDED,
        what="the import to end or the processor to die",
    )
    assert processor_alive(stack), "the processor died reading a 4.4 KB JSON file"
    record = uploader.record(file_id)
    assert record["status"] in {"COMPLETED", "FAILED"}, record


def test_deeply_nested_json_does_not_blow_up_the_processor_memory(
    stack: Stack, uploader: Uploader
) -> None:
    """Nesting is cut at a small depth: a 30 KB file of 15,000 levels (which once added
    about 550 MB to the processor, growing with the square of the depth) stays within a
    tiny file's memory budget."""
    depth = 15_000
    nested = "[" * depth + "]" * depth
    content = f'[{{"orderId": "DEEP-1", "customerId": "c", "x": {nested}}}]'.encode()

    with PeakMemory(processor_pid(stack)) as memory:
        done = imported(uploader, "deep.json", content, "application/json")

    # then the file is refused or its row rejected, and memory stays near where it was
    assert done["status"] in {"COMPLETED", "FAILED"}, done
    assert done["rowsImported"] in (0, None)
    assert memory.growth_kib < TINY_FILE_MEMORY_BUDGET_KIB, (
        f"a {len(content)} byte file took {memory.growth_kib // 1024} MB more"
    )


def test_json_lines_nested_too_deep_fail_with_the_line(uploader: Uploader) -> None:
    """A JSON line nested too deep for the decoder is a rejected row with its line, not
    an unexpected RecursionError."""
    good = json.dumps(json_order("NEST-1", "c-1"))
    content = f'{good}\n{{"orderId": "NEST-2", "x": {"[" * 100_000}{"]" * 100_000}}}\n'

    done = imported(uploader, "deep.ndjson", content.encode(), "application/x-ndjson")

    if done["status"] == "FAILED":
        assert "line 2" in done["errorMessage"], done
        assert "unexpectedly" not in done["errorMessage"], done
    else:
        assert (done["rowsImported"], done["rowsRejected"]) == (1, 1), done


def test_a_json_number_beyond_python_int_limits_in_json_lines_is_a_rejected_row(
    uploader: Uploader,
) -> None:
    """The JSON Lines reader (msgspec, not ijson) survives the same 4,301 digits."""
    order = json_order("BIG-2", "c-1")
    line = json.dumps(order).replace('"quantity": 2', '"quantity": ' + "9" * 4301)

    done = imported(uploader, "bignum.ndjson", (line + "\n").encode(), "application/x-ndjson")

    assert done["status"] in {"COMPLETED", "FAILED"}, done
    assert done["rowsImported"] in (0, None)


def test_the_error_report_neutralises_formulas_before_a_spreadsheet_runs_them(
    uploader: Uploader,
) -> None:
    """Rejected rows' `=HYPERLINK(...)`, `=cmd|...`, `+1+1` and `@SUM(...)` reach
    errors.csv as text, never as live formulas in the spreadsheet a user opens."""
    rows = [
        ["=cmd|' /C calc'!A0", "c-1", "c@example.com", '=HYPERLINK("http://evil.example","x")',
         "XYZ", "SKU-1", "W", "2", "9.50", "19.00"],
        ["FI-2", "c-2", "c@example.com", "+1+1", "XYZ", "@SUM(A1)", "-2+3", "2", "9.50", "19.00"],
    ]  # fmt: skip
    buffer = io.StringIO()
    csv.writer(buffer).writerows([list(csv_file().decode().strip().split(",")), *rows])

    done = imported(uploader, "formulas.csv", buffer.getvalue().encode(), "text/csv")

    assert done["rowsRejected"] == 2, done
    report = report_rows(httpx.get(done["errorReportUrl"], timeout=30).content)
    live = sorted({cell for row in report for cell in row if cell.startswith(FORMULA_PREFIXES)})
    assert live == [], f"cells a spreadsheet would evaluate: {live}"


def test_one_order_id_repeated_up_to_the_size_limit_is_bounded(
    stack: Stack, uploader: Uploader, aws_client: Callable[[str], Any]
) -> None:
    """A highly repetitive file right at the limit: one orderId on every line makes one
    order of ~100,000 items (the orders API allows 500)."""
    line = order_line("REP-1", "c-1", totalAmount="") + "\r\n"
    header = csv_file()
    count = (DEFAULT_MAX_UPLOAD_BYTES - len(header)) // len(line)
    content = header + (line * count).encode()

    with PeakMemory(processor_pid(stack)) as memory:
        done = imported(uploader, "repeat.csv", content, "text/csv")

    assert done["status"] in {"COMPLETED", "FAILED"}, done
    assert done["rowsImported"] in (0, None), done
    assert memory.growth_kib < 2 * TINY_FILE_MEMORY_BUDGET_KIB, memory.growth_kib // 1024
    assert open_multipart_uploads(aws_client, uploader.tenant) == []


def test_a_9_mb_csv_line_with_no_newline_fails_with_its_line(
    stack: Stack, uploader: Uploader
) -> None:
    content = csv_file(order_line("LONG-1", "c-1")) + b"LONG-2," + b"x" * (9 * 1024 * 1024)

    with PeakMemory(processor_pid(stack)) as memory:
        done = imported(uploader, "long-line.csv", content, "text/csv")

    assert done["status"] in {"COMPLETED", "FAILED"}, done
    if done["status"] == "FAILED":
        assert "line 3" in done["errorMessage"], done
    assert memory.growth_kib < TINY_FILE_MEMORY_BUDGET_KIB, memory.growth_kib // 1024


def test_a_header_of_100_000_columns_fails_naming_the_first_unknown_one(
    uploader: Uploader,
) -> None:
    columns = ",".join(f"x{n}" for n in range(100_000))
    content = csv_file(order_line("COLS-1", "c-1") + "," * 100_000).replace(
        b"totalAmount\r\n", b"totalAmount," + columns.encode() + b"\r\n", 1
    )

    done = imported(uploader, "wide.csv", content, "text/csv")

    assert done["status"] == "FAILED", done
    assert "'x0'" in done["errorMessage"]
    assert len(done["errorMessage"]) < 1000, "the reason does not quote the whole header"


@pytest.mark.parametrize(
    ("name", "content", "content_type", "expected"),
    [
        (
            "mid.csv",
            csv_file(order_line("U-1", "c-1"), order_line("U-2", "c-2", customerName="Bad\x00")
                     ).replace(b"Bad\x00", b"Bad\xff"),
            "text/csv",
            ("FAILED", "offset"),
        ),
        ("utf16.csv", "\ufeffa,b\r\n".encode("utf-16"), "text/csv", ("FAILED", "offset 0")),
        ("garbage.json", json.dumps([json_order("G-1", "c")]).encode() + b" rest",
         "application/json", ("FAILED", "column")),
        ("two.json", b"[]" + json.dumps([json_order("G-2", "c")]).encode(),
         "application/json", ("FAILED", "column")),
        ("nul.csv", csv_file(order_line("N-1", "c-1", customerName="a\x00b")), "text/csv",
         ("COMPLETED", "U+0000")),
        ("numbers.csv", csv_file(
            order_line("NUM-1", "c-1", unitPrice="1e400", totalAmount=""),
            order_line("NUM-2", "c-2", unitPrice="NaN", totalAmount=""),
            order_line("NUM-3", "c-3", unitPrice="Infinity", totalAmount=""),
            order_line("NUM-4", "c-4", quantity="9" * 100_000, totalAmount="")),
         "text/csv", ("COMPLETED", "amount")),
        ("inf.json", json.dumps([json_order("INF-1", "c")]).replace('"9.50"', "1e400").encode(),
         "application/json", ("COMPLETED", "")),
    ],
    ids=["utf8-mid-file", "utf16-bom", "json-trailing", "json-two-arrays", "nul-cell",
         "csv-numbers", "json-1e400"],
)  # fmt: skip
def test_hostile_contents_are_refused_with_a_located_reason(
    uploader: Uploader, name: str, content: bytes, content_type: str, expected: tuple[str, str]
) -> None:
    """Handled: each ends with a reason, nothing imported from a bad row."""
    status, says = expected

    done = imported(uploader, name, content, content_type)

    assert done["status"] == status, done
    if status == "FAILED":
        assert says in done["errorMessage"], done
    else:
        assert done["rowsImported"] == 0, done
        assert done["rowsRejected"] == done["rowsTotal"], done
        report = httpx.get(done["errorReportUrl"], timeout=30).content.decode()
        assert says in report


def test_json_lines_with_blank_lines_and_crlf_import_the_orders_and_report_the_blanks(
    uploader: Uploader,
) -> None:
    orders = [json.dumps(json_order(f"CR-{n}", f"c-{n}")) for n in range(2)]
    content = f"\r\n{orders[0]}\r\n\r\n   \r\n{orders[1]}\r\n".encode()

    done = imported(uploader, "crlf.ndjson", content, "application/x-ndjson")

    assert done["status"] == "COMPLETED", done
    assert (done["rowsImported"], done["rowsRejected"]) == (2, 3), done
    report = report_rows_of(done)
    assert [(row[0], row[3]) for row in report] == [("1", "blank-row"), ("3", "blank-row"),
                                                    ("4", "blank-row")]  # fmt: skip


def report_rows_of(done: dict[str, Any]) -> list[list[str]]:
    content = httpx.get(done["errorReportUrl"], timeout=30).content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(content)))[1:]


# --- hostile form fields --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw_name", "expected"),
    [
        (b"a\x00b.csv", "ab.csv"),
        ("evil\u202egpj.csv".encode(), "evilgpj.csv"),
        ("a\u200bb\ufeff.csv".encode(), "ab.csv"),
        (b"..", "upload"),
        (b"....", "upload"),
        (b"/", "upload"),
        (b"", "upload"),
        (b"   ", "upload"),
        (b"..\\..\\x.csv", "x.csv"),
        (b"a" * 4000 + b".csv", "a" * 200),
        (b"%2e%2e%2fx.csv", "%2e%2e%2fx.csv"),
    ],
    ids=["nul", "rtl-override", "zero-width", "dot-dot", "only-dots", "slash", "empty",
         "spaces", "backslashes", "4000-chars", "percent-encoded"],
)  # fmt: skip
def test_hostile_file_names_are_kept_to_one_clean_segment(
    uploader: Uploader, aws_client: Callable[[str], Any], raw_name: bytes, expected: str
) -> None:
    """Handled: sanitised, stored under the tenant's own prefix, the file imported."""
    accepted = raw_upload(uploader, file_part(raw_name, csv_file(order_line("FN-1", "c-1"))))

    assert accepted.status_code == 202, accepted.text
    done = uploader.finished(accepted.json()["fileId"])
    assert done["originalName"] == expected
    assert done["s3Key"] == upload_key(uploader.tenant, uuid.UUID(done["id"]), expected)
    assert stored_objects(aws_client, uploader.tenant) == [done["s3Key"]]


@pytest.mark.parametrize(
    "name",
    ["a\u2028b.csv", "a\u2029b.csv", "\u00a0", "\u3000"],
    ids=["line-separator", "paragraph-separator", "nbsp-only", "ideographic-space-only"],
)
def test_file_names_keep_no_line_separators_and_no_blank_names(
    uploader: Uploader, name: str
) -> None:
    """Line and paragraph separators (U+2028, U+2029) never reach originalName or the S3
    key, and a name of only Unicode blanks becomes `upload`, as "   " does."""
    accepted = raw_upload(uploader, file_part(name.encode(), csv_file(order_line("L-1", "c-1"))))

    assert accepted.status_code == 202, accepted.text
    kept = uploader.finished(accepted.json()["fileId"])["originalName"]
    assert not any(unicodedata.category(char) in {"Zl", "Zp"} for char in kept), repr(kept)
    assert kept.strip(), repr(kept)


def test_a_file_name_of_8000_characters_is_shortened_not_refused(uploader: Uploader) -> None:
    """A name far beyond 200 characters is cut as the README says, not refused by the
    form parser's header limit."""
    accepted = raw_upload(
        uploader, file_part(b"a" * 8000 + b".csv", csv_file(order_line("X", "c")))
    )

    assert accepted.status_code == 202, accepted.text
    assert uploader.finished(accepted.json()["fileId"])["originalName"] == "a" * 200


def test_two_file_parts_are_refused_rather_than_one_silently_dropped(uploader: Uploader) -> None:
    """A second file part is a 400 naming the field, never a silently dropped file."""
    first = file_part(b"a.csv", csv_file(order_line("TWO-1", "c-1")))
    second = file_part(b"b.csv", csv_file(order_line("TWO-2", "c-2")))

    response = raw_upload(uploader, first, second)

    assert response.status_code == 400, response.text


@pytest.mark.parametrize(
    ("declared", "name"),
    [("application/pdf", "orders.csv"), ("image/png", "orders.json")],
    ids=["pdf", "png"],
)
def test_a_declared_type_that_is_not_generic_is_a_415(
    uploader: Uploader, declared: str, name: str
) -> None:
    """Only a generic declared type falls back on the extension: `application/pdf` named
    `.csv` is a 415 on the upload and on the presigned path, as the README says."""
    upload = uploader.upload(name, csv_file(order_line("T-1", "c-1")), declared)
    offer = uploader.api.post(
        FILES, json={"fileName": name, "contentType": declared, "sizeBytes": 100}
    )

    assert (upload.status_code, offer.status_code) == (415, 415), (upload.text, offer.text)


def test_notify_of_only_separators_still_mails_the_uploader(
    stack: Stack, uploader: Uploader
) -> None:
    """`notify=",,,"` counts as no `notify`: the uploader (the token's e-mail) is mailed,
    as with an empty `notify`."""
    done = uploader.imported("commas.csv", csv_file(order_line("NC-1", "c-1")), notify=",,,")

    assert done["status"] == "COMPLETED"
    assert one_email_to(stack, uploader.email).subject == 'Your file "commas.csv" was imported'


def test_notify_beyond_what_ses_accepts_is_refused_not_parked_on_the_dlq(
    stack: Stack, uploader: Uploader, aws_client: Callable[[str], Any]
) -> None:
    """100 recipients on the upload form are a 422, as on the presigned path: they never
    become an import whose e-mail SES refuses and the notifier parks on its DLQ."""
    parked = dead_letters(stack, aws_client)
    recipients = [f"r{n}-{uuid.uuid4().hex[:6]}@example.com" for n in range(100)]

    accepted = uploader.upload(
        "many.csv", csv_file(order_line("M-1", "c-1")), fields={"notify": ",".join(recipients)}
    )

    if accepted.status_code == 202:
        assert uploader.finished(accepted.json()["fileId"])["status"] == "COMPLETED"
        eventually(lambda: emails_to(stack, recipients[0]), what="the e-mail to the first")
        assert dead_letters(stack, aws_client) == parked
    else:
        assert accepted.status_code == 422, accepted.text


@pytest.mark.parametrize(
    "fields",
    [
        {"mode": "destroy"},
        {"mode": "validate\x00"},
        {"notify": "not-an-email"},
        {"notify": "a@example.com\r\nBcc: victim@example.com"},
        {"Mode": "validate"},
    ],
    ids=[
        "unknown-mode",
        "mode-with-nul",
        "notify-not-an-email",
        "notify-crlf-injection",
        "misspelt-mode",
    ],
)
def test_hostile_form_fields_are_a_422_and_leave_nothing(
    uploader: Uploader, aws_client: Callable[[str], Any], fields: dict[str, str]
) -> None:
    """Handled."""
    response = uploader.upload("f.csv", csv_file(order_line("HF-1", "c-1")), fields=fields)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert uploader.api.get(FILES).json()["total"] == 0
    assert stored_objects(aws_client, uploader.tenant) == []


@pytest.mark.parametrize(
    "body",
    [
        {"sizeBytes": 10**30},
        {"sizeBytes": 2**30 + 1},
        {"sizeBytes": -1},
        {"sizeBytes": 0},
        {"sizeBytes": 100.5},
        {"sizeBytes": "100"},
        {"sizeBytes": True},
        {"mode": "nuke"},
        {"fileName": "a" * 801},
        {"notify": [f"x{n}@example.com" for n in range(21)]},
        {"notify": ["a@example.com\r\nBcc: c@example.com"]},
        {"notify": "a@example.com"},
    ],
    ids=["huge", "over-1-gib", "negative", "zero", "float", "string", "bool", "mode",
         "long-name", "21-recipients", "notify-crlf", "notify-not-a-list"],
)  # fmt: skip
def test_a_hostile_presigned_request_is_a_422_and_leaves_no_record(
    uploader: Uploader, body: dict[str, Any]
) -> None:
    """Handled."""
    request = {"fileName": "big.csv", "contentType": "text/csv", "sizeBytes": 100} | body

    response = uploader.api.post(FILES, json=request)

    assert response.status_code == 422, response.text
    assert uploader.api.get(FILES).json()["total"] == 0


@pytest.mark.parametrize(
    "raw",
    [
        b'{"fileName": "a.csv", "contentType": "text/csv", "sizeBytes": 1e400}',
        b'{"fileName": "a.csv", "contentType": "text/csv", "sizeBytes": ' + b"9" * 5000 + b"}",
        b'{"fileName": "a.csv", "contentType": "text/csv", "sizeBytes": 5} trailing',
        b"[" * 100_000,
    ],
    ids=["1e400", "5000-digits", "trailing-garbage", "deep-nesting"],
)
def test_a_malformed_presigned_body_is_refused(uploader: Uploader, raw: bytes) -> None:
    """Handled: the API's own JSON decoder refuses these at once."""
    response = uploader.api.post(FILES, content=raw, headers={"Content-Type": "application/json"})

    assert response.status_code in (400, 422), response.text
    assert uploader.api.get(FILES).json()["total"] == 0


# --- the wire -------------------------------------------------------------------------------


def _send_and_hang_up(stack: Stack, token: str, body: bytes, boundary: str, sent: int) -> None:
    """Sends the headers and the first `sent` bytes of a body, then closes the socket."""
    host, port = stack.producer_url.removeprefix("http://").split(":")
    head = (
        f"POST {FILES}/upload HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        connection.sendall(head.encode() + body[:sent])


def test_a_client_hanging_up_mid_upload_leaves_nothing_and_is_no_server_error(
    stack: Stack, uploader: Uploader, aws_client: Callable[[str], Any]
) -> None:
    """A hang-up mid-body leaves nothing behind, and is no server error in the producer's
    log (an error with a traceback would page someone for a client's network)."""
    boundary = uuid.uuid4().hex
    content = csv_file(*(order_line(f"H-{n}", f"c-{n}") for n in range(150_000)))
    content = content[: DEFAULT_MAX_UPLOAD_BYTES - 4096]
    body = f"--{boundary}\r\n".encode() + file_part(b"cut.csv", content)
    body += f"\r\n--{boundary}--\r\n".encode()
    log_before = stack.services["producer"].log()

    for sent in (1024 * 1024, 6 * 1024 * 1024, len(body) - 10):
        _send_and_hang_up(stack, uploader.token, body, boundary, sent)
    time.sleep(5)

    assert uploader.api.get(FILES).json()["total"] == 0
    assert stored_objects(aws_client, uploader.tenant) == []
    assert open_multipart_uploads(aws_client, uploader.tenant) == []
    new_log = stack.services["producer"].log()[len(log_before) :]
    assert "client disconnected" not in new_log


def test_a_gzip_encoded_body_is_refused(uploader: Uploader) -> None:
    """Handled: a gzip Content-Encoding is not decoded, the body is no multipart form."""
    boundary = uuid.uuid4().hex
    body = f"--{boundary}\r\n".encode() + file_part(b"z.csv", csv_file(order_line("Z", "c")))
    body += f"\r\n--{boundary}--\r\n".encode()

    response = uploader.api.post(
        f"{FILES}/upload",
        content=gzip.compress(body),
        headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Encoding": "gzip",
        },
    )

    assert response.status_code in (400, 415), response.text
    assert uploader.api.get(FILES).json()["total"] == 0


# --- replays and duplicates -----------------------------------------------------------------


def test_the_same_keyed_upload_sent_eight_times_at_once_makes_one_file(
    stack: Stack, uploader: Uploader
) -> None:
    headers = {"Idempotency-Key": f"race-{uuid.uuid4()}"}
    content = csv_file(order_line("RACE-1", "c-1"))

    with ThreadPoolExecutor(8) as pool:
        responses = list(
            pool.map(lambda _: uploader.upload("race.csv", content, headers=headers), range(8))
        )

    statuses = sorted(response.status_code for response in responses)
    assert set(statuses) <= {202, 409}, [r.text for r in responses]
    ids = {r.json()["fileId"] for r in responses if r.status_code == 202}
    assert len(ids) == 1
    [file_id] = ids
    assert uploader.finished(file_id)["status"] == "COMPLETED"
    assert uploader.listed(1)["total"] == 1
    time.sleep(3)
    assert len(emails_to(stack, uploader.email)) == 1


def test_another_tenant_reusing_an_idempotency_key_gets_a_file_of_its_own(
    stack: Stack, uploader: Uploader
) -> None:
    headers = {"Idempotency-Key": f"shared-{uuid.uuid4()}"}
    mine = uploader.upload("k.csv", csv_file(order_line("IK-1", "c-1")), headers=headers)
    other = Uploader(stack)
    try:
        theirs = other.upload("k.csv", csv_file(order_line("IK-2", "c-2")), headers=headers)

        assert (mine.status_code, theirs.status_code) == (202, 202), theirs.text
        assert mine.json()["fileId"] != theirs.json()["fileId"]
        assert other.finished(theirs.json()["fileId"])["rowsImported"] == 1
        assert other.api.get(f"{FILES}/{mine.json()['fileId']}").status_code == 404
    finally:
        other.api.close()


def _presigned_upload(uploader: Uploader, content: bytes) -> str:
    offer = uploader.api.post(
        FILES, json={"fileName": "p.csv", "contentType": "text/csv", "sizeBytes": len(content)}
    )
    assert offer.status_code == 201, offer.text
    body = offer.json()
    posted = httpx.post(
        body["url"], data=body["fields"], files={"file": ("p.csv", content, "text/csv")}
    )
    assert posted.status_code in (200, 201, 204), posted.text
    file_id: str = body["fileId"]
    return file_id


def test_complete_sent_eight_times_at_once_imports_once(stack: Stack, uploader: Uploader) -> None:
    file_id = _presigned_upload(uploader, csv_file(order_line("CPL-1", "c-1")))

    with ThreadPoolExecutor(8) as pool:
        responses = list(
            pool.map(lambda _: uploader.api.post(f"{FILES}/{file_id}/complete"), range(8))
        )

    assert {r.status_code for r in responses} <= {200, 202}, [r.text for r in responses]
    done = uploader.finished(file_id)
    assert (done["status"], done["rowsImported"], done["rowsUnchanged"]) == ("COMPLETED", 1, 0)
    time.sleep(3)
    assert len(emails_to(stack, uploader.email)) == 1


def test_a_file_uploaded_message_delivered_three_times_imports_and_mails_once(
    stack: Stack, uploader: Uploader, aws_client: Callable[[str], Any]
) -> None:
    """The FileUploaded envelope, copied by hand onto the processor's queue twice more."""
    sqs = aws_client("sqs")
    queue = sqs.get_queue_url(QueueName=stack.env["PROCESSOR_QUEUE"])["QueueUrl"]
    stack.services["processor"].stop()
    try:
        accepted = uploader.upload("dup.csv", csv_file(order_line("DUP-1", "c-1")))
        assert accepted.status_code == 202, accepted.text
        file_id = accepted.json()["fileId"]
        message = eventually(
            lambda: _message_naming(sqs, queue, file_id), what="the FileUploaded message"
        )
        for _ in range(2):
            sqs.send_message(
                QueueUrl=queue,
                MessageBody=message["Body"],
                MessageAttributes=message.get("MessageAttributes", {}),
            )
    finally:
        stack.start_service("processor")

    done = uploader.finished(file_id)
    assert (done["status"], done["rowsImported"], done["rowsUnchanged"]) == ("COMPLETED", 1, 0)
    time.sleep(5)
    assert len(emails_to(stack, uploader.email)) == 1
    assert len(uploader.exported_orders()) == 1


def _message_naming(sqs: Any, queue: str, file_id: str) -> dict[str, Any] | None:
    """A message on the queue that names the file, left to be delivered again at once."""
    received = sqs.receive_message(
        QueueUrl=queue, MaxNumberOfMessages=10, MessageAttributeNames=["All"], WaitTimeSeconds=1
    ).get("Messages", [])
    found = None
    for message in received:
        if file_id in message["Body"]:
            found = message
        sqs.change_message_visibility(
            QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
        )
    return found


# --- tenancy and tokens ---------------------------------------------------------------------


def test_another_tenants_file_cannot_be_completed_cancelled_or_read(
    stack: Stack, uploader: Uploader
) -> None:
    file_id = _presigned_upload(uploader, csv_file(order_line("TEN-1", "c-1")))
    outsider = Uploader(stack)
    try:
        for method, path in [
            ("GET", f"{FILES}/{file_id}"),
            ("POST", f"{FILES}/{file_id}/complete"),
            ("POST", f"{FILES}/{file_id}/cancel"),
        ]:
            assert outsider.api.request(method, path).status_code == 404, path
    finally:
        outsider.api.close()
    assert uploader.record(file_id)["status"] == "PENDING"


def test_a_viewer_may_not_presign_complete_or_cancel(stack: Stack, uploader: Uploader) -> None:
    file_id = _presigned_upload(uploader, csv_file(order_line("ROLE-1", "c-1")))
    viewer = mint_token(stack, tenant=uploader.tenant, sub="viewer", roles="viewer")
    with api_client(stack, viewer) as as_viewer:
        offer = as_viewer.post(
            FILES, json={"fileName": "v.csv", "contentType": "text/csv", "sizeBytes": 10}
        )
        complete = as_viewer.post(f"{FILES}/{file_id}/complete")
        cancel = as_viewer.post(f"{FILES}/{file_id}/cancel")

    assert (offer.status_code, complete.status_code, cancel.status_code) == (403, 403, 403)
    assert uploader.record(file_id)["status"] == "PENDING"


def _unsigned(claims: dict[str, Any]) -> str:
    """A token with `alg: none` and no signature."""
    return jwt.encode(claims, "", algorithm="none")


def _forged_tokens(stack: Stack, tenant: str) -> dict[str, str]:
    secret = stack.env["JWT_SECRET"]
    claims = {"sub": "x", "tenant": tenant, "roles": ["admin"], "exp": int(time.time()) + 600}
    return {
        "expired": issue_token(secret, sub="x", tenant=tenant, roles=["admin"], ttl_seconds=-60),
        "alg-none": _unsigned(claims),
        "other-secret": jwt.encode(claims, "not-the-secret-" * 4, algorithm="HS256"),
        "hs256-no-exp": jwt.encode({**claims, "exp": None}, secret, algorithm="HS256"),
    }


def test_forged_and_expired_tokens_are_401_on_every_files_route(
    stack: Stack, uploader: Uploader
) -> None:
    for label, token in _forged_tokens(stack, uploader.tenant).items():
        with api_client(stack, token) as forged:
            upload = forged.post(
                f"{FILES}/upload",
                files={"file": ("f.csv", csv_file(order_line("F-1", "c-1")), "text/csv")},
            )
            listing = forged.get(FILES)
        assert (upload.status_code, listing.status_code) == (401, 401), label
    assert uploader.api.get(FILES).json()["total"] == 0


# --- dependencies on a bad day --------------------------------------------------------------


def _uploads_in_flight(uploader: Uploader, count: int) -> list[str]:
    ids = []
    for n in range(count):
        rows = (order_line(f"DEP-{n}-{i}", f"c-{n}-{i}") for i in range(ROWS_PER_FILE))
        accepted = uploader.upload(f"dep-{n}.csv", csv_file(*rows))
        assert accepted.status_code == 202, accepted.text
        ids.append(accepted.json()["fileId"])
    return ids


def _each_ends_once(stack: Stack, uploader: Uploader, file_ids: list[str]) -> None:
    for file_id in file_ids:
        done = uploader.finished(file_id, seconds=RECOVERY_SECONDS)
        assert done["status"] == "COMPLETED", done
        counts = (done["rowsImported"], done["rowsUnchanged"], done["rowsRejected"])
        assert None not in counts, done
        assert (counts[0] + counts[1], counts[2]) == (ROWS_PER_FILE, 0), done
    eventually(
        lambda: len(emails_to(stack, uploader.email)) >= len(file_ids),
        what="an e-mail per import",
        seconds=RECOVERY_SECONDS,
    )
    time.sleep(5)
    assert len(emails_to(stack, uploader.email)) == len(file_ids)


@pytest.mark.timeout(900)
def test_imports_survive_postgres_stopped_for_30_s(
    stack: Stack,
    uploader: Uploader,
    database_server: TempPostgres,
    aws_client: Callable[[str], Any],
) -> None:
    parked = dead_letters(stack, aws_client)
    file_ids = _uploads_in_flight(uploader, 3)

    with database_down(database_server):
        time.sleep(OUTAGE_SECONDS)

    _each_ends_once(stack, uploader, file_ids)
    assert dead_letters(stack, aws_client) == parked


@pytest.mark.timeout(900)
def test_imports_survive_the_aws_endpoint_frozen_for_30_s(
    stack: Stack, uploader: Uploader, aws_client: Callable[[str], Any]
) -> None:
    parked = dead_letters(stack, aws_client)
    file_ids = _uploads_in_flight(uploader, 2)

    with aws_frozen(stack):
        time.sleep(OUTAGE_SECONDS)

    _each_ends_once(stack, uploader, file_ids)
    assert dead_letters(stack, aws_client) == parked
    assert open_multipart_uploads(aws_client, uploader.tenant) == []


@pytest.mark.timeout(600)
def test_an_upload_while_the_aws_endpoint_is_frozen_is_refused_or_completes(
    stack: Stack, uploader: Uploader, aws_client: Callable[[str], Any]
) -> None:
    parked = dead_letters(stack, aws_client)
    content = csv_file(*(order_line(f"FRZ-{i}", f"c-{i}") for i in range(2000)))
    with (
        aws_frozen(stack),
        httpx.Client(
            base_url=stack.producer_url,
            headers={"Authorization": f"Bearer {uploader.token}"},
            timeout=OUTAGE_SECONDS + 30,
        ) as client,
    ):
        started = time.monotonic()
        try:
            response: httpx.Response | None = client.post(
                f"{FILES}/upload", files={"file": ("frozen.csv", content, "text/csv")}
            )
        except httpx.TimeoutException:
            response = None
        waited = time.monotonic() - started
        time.sleep(max(0.0, OUTAGE_SECONDS - waited))

    assert response is not None, "no answer at all while S3 was frozen"
    assert response.status_code in (202, 503), response.text
    if response.status_code == 202:
        _each_ends_once(stack, uploader, [response.json()["fileId"]])
    else:
        assert "Retry-After" in response.headers
        assert uploader.api.get(FILES).json()["total"] == 0
    assert dead_letters(stack, aws_client) == parked
    assert open_multipart_uploads(aws_client, uploader.tenant) == []

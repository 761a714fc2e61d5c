"""Bulk imports through the running services: a file uploaded over REST (or straight to
S3 through a presigned POST), read row by row by the processor, its orders exported
through the export API, and its outcome e-mailed by the notifier."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest

from conveyor_common.errors import ValidationFailed
from conveyor_common.imports.model import (
    CSV_COLUMNS,
    DEFAULT_MAX_UPLOAD_BYTES,
    RejectionCode,
    safe_file_name,
    upload_key,
)
from conveyor_common.jobs import JobStatus
from conveyor_common.money import to_currency
from conveyor_common.orders import OrderItemRequest, OrderRequest, normalise_order
from conveyor_devstack.mailbox import CapturedEmail, captured_emails
from conveyor_devstack.stack import Stack

from .conftest import eventually, follow_email_link, mint_token

pytestmark = pytest.mark.e2e

FILES = "/api/v1/files"
EXPORTS = "/api/v1/exports"
ORDERS = "/api/v1/orders"
SLOW_SECONDS = 300.0
# The 50 MB import: about 180,000 orders, each upserted and put in the read model.
PRESIGNED_SECONDS = 900.0
NOON = datetime(2026, 4, 1, 12, tzinfo=UTC)
PRESIGNED_FILE_BYTES = 50 * 1024 * 1024
# The error report's own columns; the row's original values follow them.
REPORT_COLUMNS = ["line", "orderId", "field", "code", "message"]
# What the exports of imported orders show, and their labels in the CSV.
EXPORT_COLUMNS = ["orderId", "customerId", "customerEmail", "currency", "itemCount", "totalAmount"]
EXPORT_LABELS = ["Order ID", "Customer ID", "E-mail", "Currency", "Items", "Total"]
# A file's status in seed 001's vocabulary: the job core's QUEUED is shown as PENDING.
FILE_STATUSES = {"PENDING", "PROCESSING", "COMPLETED", "FAILED", "CANCELLED"}
FILE_ENDED = {"COMPLETED", "FAILED", "CANCELLED"}
# A 503 (the API shedding load while a dependency is slow) is retried after its
# Retry-After, as a client should: this many times, waiting at most this long each time.
UNAVAILABLE_RETRIES = 5
MAX_RETRY_AFTER_SECONDS = 10.0
# An ISO 4217-shaped code that names no currency ("XXX" is ISO 4217's "no currency").
NO_CURRENCY = "XYZ"


class RetryUnavailable(httpx.BaseTransport):
    """Sends a request again, unchanged (its Idempotency-Key included), when the API
    answers 503 with Retry-After."""

    def __init__(self) -> None:
        self._transport = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()  # the body, kept to be sent again
        for _ in range(UNAVAILABLE_RETRIES):
            response = self._transport.handle_request(request)
            if response.status_code != 503 or "Retry-After" not in response.headers:
                return response
            response.read()
            response.close()
            time.sleep(min(float(response.headers["Retry-After"]), MAX_RETRY_AFTER_SECONDS))
        return self._transport.handle_request(request)

    def close(self) -> None:
        self._transport.close()


def api_client(stack: Stack, token: str | None = None) -> httpx.Client:
    """A client of the producer's API (with a token, if given) that retries a 503."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(
        base_url=stack.producer_url, headers=headers, timeout=60, transport=RetryUnavailable()
    )


class Uploader:
    """A tenant of its own per test, and an admin of it whose token carries an e-mail."""

    def __init__(self, stack: Stack, *, tenant: str | None = None) -> None:
        self.stack = stack
        self.tenant = tenant or f"t-{uuid.uuid4().hex[:8]}"
        self.email = f"importer-{uuid.uuid4().hex[:8]}@example.com"
        # where the exports of its orders are announced: not the uploader's own mailbox
        self.export_email = f"exports-{uuid.uuid4().hex[:8]}@example.com"
        self.token = token_with_email(stack, tenant=self.tenant, email=self.email, roles="admin")
        self.api = api_client(stack, self.token)

    def upload(
        self,
        name: str,
        content: bytes,
        content_type: str = "text/csv",
        *,
        headers: dict[str, str] | None = None,
        fields: dict[str, str] | None = None,
    ) -> httpx.Response:
        return self.api.post(
            f"{FILES}/upload",
            files={"file": (name, content, content_type)},
            data=fields or {},
            headers=headers,
        )

    def imported(
        self, name: str, content: bytes, content_type: str = "text/csv", **fields: str
    ) -> dict[str, Any]:
        """Upload a file, check the 202, and wait for its import to end."""
        accepted = self.upload(name, content, content_type, fields=fields)
        assert accepted.status_code == 202, accepted.text
        body = accepted.json()
        assert body["status"] == "PENDING"
        # visible at once: never a 404 right after the 202
        assert self.api.get(f"{FILES}/{body['fileId']}").status_code == 200
        return self.finished(body["fileId"])

    def record(self, file_id: str) -> dict[str, Any]:
        response = self.api.get(f"{FILES}/{file_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def finished(self, file_id: str, *, seconds: float = SLOW_SECONDS) -> dict[str, Any]:
        def ended() -> dict[str, Any] | None:
            body = self.record(file_id)
            assert body["status"] in FILE_STATUSES, body
            return body if body["status"] in FILE_ENDED else None

        return eventually(ended, what=f"the import of {file_id}", seconds=seconds)

    def listed(self, at_least: int, **params: str | int) -> dict[str, Any]:
        """A page of the listing once it counts at least `at_least` files: the listing
        reads the processor's history, which may lag the live state by a moment."""

        def counted() -> dict[str, Any] | None:
            response = self.api.get(FILES, params=params)
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            return body if body["total"] >= at_least else None

        return eventually(counted, what=f"{at_least} files listed with {params}")

    def exported_orders(self) -> list[dict[str, str]]:
        """The tenant's orders as a CSV export shows them, by customer id."""
        accepted = self.api.post(
            EXPORTS,
            json={
                "resource": "orders",
                "format": "csv",
                "columns": EXPORT_COLUMNS,
                "notify": [self.export_email],
            },
        )
        assert accepted.status_code == 202, accepted.text
        export_id = accepted.json()["exportId"]

        def ended() -> dict[str, Any] | None:
            body: dict[str, Any] = self.api.get(f"{EXPORTS}/{export_id}").json()
            return body if JobStatus(body["status"]).is_terminal else None

        done = eventually(ended, what="the export of imported orders", seconds=SLOW_SECONDS)
        assert done["status"] == "COMPLETED", done
        rows = list(csv.reader(io.StringIO(httpx.get(done["downloadUrl"], timeout=60).text)))
        assert rows[0] == EXPORT_LABELS
        return sorted(
            (dict(zip(EXPORT_COLUMNS, row, strict=True)) for row in rows[1:]),
            key=lambda order: order["customerId"],
        )


@pytest.fixture
def uploader(stack: Stack) -> Iterator[Uploader]:
    created = Uploader(stack)
    yield created
    created.api.close()


def token_with_email(stack: Stack, *, tenant: str, email: str, roles: str) -> str:
    """A token whose `email` claim is where the producer sends the import's e-mail."""
    command = [sys.executable, "-m", "conveyor_producer.token", "--sub", "importer"]
    command += ["--tenant", tenant, "--roles", roles, "--email", email]
    return subprocess.run(
        command, env=stack.env, check=True, capture_output=True, text=True
    ).stdout.strip()


def csv_file(*rows: str, header: tuple[str, ...] = CSV_COLUMNS) -> bytes:
    return ("\r\n".join([",".join(header), *rows]) + "\r\n").encode()


def order_line(order_id: str, customer: str, **values: str) -> str:
    """One CSV line of a valid one-item order; keyword arguments replace its values."""
    line = {
        "orderId": order_id,
        "customerId": customer,
        "customerEmail": f"{customer}@example.com",
        "customerName": f"Customer {customer}",
        "currency": "EUR",
        "sku": "SKU-1",
        "itemName": "Widget",
        "quantity": "2",
        "unitPrice": "9.50",
        "totalAmount": "19.00",
    } | values
    return ",".join(line[column] for column in CSV_COLUMNS)


def json_order(order_id: str, customer: str, *, currency: str = "EUR") -> dict[str, Any]:
    """A valid order in the shape of POST /api/v1/orders, plus its orderId."""
    return {
        "orderId": order_id,
        "customerId": customer,
        "customerEmail": f"{customer}@example.com",
        "currency": currency,
        "items": [{"sku": "SKU-1", "quantity": 2, "unitPrice": "9.50"}],
        "totalAmount": "19.00",
    }


def emails_to(stack: Stack, address: str) -> list[CapturedEmail]:
    return [email for email in captured_emails(stack.moto.mailbox()) if address in email.to]


def one_email_to(stack: Stack, address: str) -> CapturedEmail:
    [email] = eventually(partial(emails_to, stack, address), what=f"the e-mail to {address}")
    return email


def links_in(email: CapturedEmail) -> list[str]:
    return [link.replace("&amp;", "&") for link in re.findall(r'href="([^"]+)"', email.body)]


def report_rows(content: bytes) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == REPORT_COLUMNS + list(CSV_COLUMNS)
    return rows[1:]


def test_a_clean_csv_imports_every_order_and_exports_them_again(
    stack: Stack, uploader: Uploader
) -> None:
    # given a CSV of three orders, the second with two items on consecutive lines
    content = csv_file(
        order_line("A-1", "c-1"),
        order_line("A-2", "c-2", sku="SKU-1", quantity="1", unitPrice="5.00", totalAmount=""),
        order_line("A-2", "c-2", sku="SKU-2", quantity="3", unitPrice="1.25", totalAmount=""),
        order_line("A-3", "c-3", currency="usd"),
    )

    # when it is uploaded
    done = uploader.imported("clean.csv", content)

    # then every row is imported, nothing rejected, and no error report is offered
    assert done["status"] == "COMPLETED", done
    assert (done["fileType"], done["mode"], done["fileSize"]) == ("csv", "import", len(content))
    assert done["rowsRejected"] == done["rowsUnchanged"] == 0
    assert done["rowsImported"] == done["rowsTotal"] > 0
    assert done["progressPercentage"] == 100
    assert done.get("errorReportUrl") is None
    # and the orders, normalised as POST /api/v1/orders would, export as CSV
    orders = uploader.exported_orders()
    assert [order["customerId"] for order in orders] == ["c-1", "c-2", "c-3"]
    assert [(o["currency"], o["itemCount"], o["totalAmount"]) for o in orders] == [
        ("EUR", "1", "19.00"),
        ("EUR", "2", "8.75"),
        ("USD", "1", "19.00"),
    ]
    # and each exported order reads back through the orders API
    for order in orders:
        assert uploader.api.get(f"{ORDERS}/{order['orderId']}").status_code == 200
    # and the uploader, named only by the token, hears of it once and with no report link
    email = one_email_to(stack, uploader.email)
    assert email.subject == 'Your file "clean.csv" was imported'
    assert links_in(email) == []


@pytest.mark.parametrize(
    ("name", "content_type", "encode"),
    [
        ("orders.json", "application/json", lambda orders: json.dumps(orders, indent=2).encode()),
        (
            "orders.jsonl",
            "application/x-ndjson",
            lambda orders: "".join(json.dumps(order) + "\n" for order in orders).encode(),
        ),
    ],
    ids=["json-array", "json-lines"],
)
def test_a_clean_json_file_imports_every_order(
    uploader: Uploader, name: str, content_type: str, encode: Callable[[list[Any]], bytes]
) -> None:
    # given two valid orders in the shape of POST /api/v1/orders, plus their orderId
    orders = [json_order("J-1", "c-1"), json_order("J-2", "c-2", currency="GBP")]

    # when the file is uploaded
    done = uploader.imported(name, encode(orders), content_type)

    # then both are imported and export as sent
    assert done["status"] == "COMPLETED", done
    assert (done["rowsTotal"], done["rowsImported"], done["rowsRejected"]) == (2, 2, 0)
    exported = uploader.exported_orders()
    assert [(o["customerId"], o["currency"], o["totalAmount"]) for o in exported] == [
        ("c-1", "EUR", "19.00"),
        ("c-2", "GBP", "19.00"),
    ]


def _rule_message(*, currency: str = "EUR", total: str | None = None) -> str:
    """What the shared order rules say of an order: the report quotes exactly that."""
    if total is None:
        try:
            to_currency(currency)
        except ValueError as exc:
            return str(exc)
        raise AssertionError(f"{currency} is a valid currency")
    request = OrderRequest(
        customer_id="c",
        customer_email="c@example.com",
        currency=currency,
        items=[OrderItemRequest(sku="SKU-1", quantity=1, unit_price=Decimal("9.50"))],
        total_amount=Decimal(total),
    )
    with pytest.raises(ValidationFailed) as failed:
        normalise_order(request, order_id=uuid.uuid4(), tenant_id="t", submitted_at=NOON)
    [error] = failed.value.errors
    return error.message


# A file mixing good and bad rows: (line, content, the report's (orderId, field, code)s).
MIXED_ROWS: list[tuple[int, str, list[tuple[str, str, RejectionCode]]]] = [
    (2, order_line("GOOD-1", "c-1"), []),
    (3, order_line("BAD-CUR", "c-2", currency=NO_CURRENCY, unitPrice="5.00", totalAmount="10.00"),
     [("BAD-CUR", "currency", RejectionCode.UNKNOWN_CURRENCY)]),
    (4, order_line("BAD-TOTAL", "c-3", quantity="1", totalAmount="10.00"),
     [("BAD-TOTAL", "totalAmount", RejectionCode.TOTAL_MISMATCH)]),
    (5, order_line("GOOD-2", "c-4", customerName="", itemName="", totalAmount=""), []),
    (6, order_line("BAD-QTY", "c-5", quantity="two"),
     [("BAD-QTY", "quantity", RejectionCode.TYPE_ERROR)]),
    (7, order_line("BAD-MISSING", "", customerEmail="fay@example.com"),
     [("BAD-MISSING", "customerId", RejectionCode.MISSING_FIELD)]),
    (8, ",,,,,,,,,", [("", "", RejectionCode.BLANK_ROW)]),
    (9, order_line("GOOD-1", "c-1"), [("GOOD-1", "orderId", RejectionCode.DUPLICATE_ORDER)]),
    # two rules normalise_order checks together
    (10, order_line("BAD-TWICE", "c-6", customerEmail="gus-at-example.com", currency=NO_CURRENCY),
     [("BAD-TWICE", "customerEmail", RejectionCode.CONSTRAINT_ERROR),
      ("BAD-TWICE", "currency", RejectionCode.UNKNOWN_CURRENCY)]),
    (11, order_line("BAD-ZERO", "c-7", quantity="0", totalAmount=""),
     [("BAD-ZERO", "quantity", RejectionCode.CONSTRAINT_ERROR)]),
]  # fmt: skip


def test_a_mixed_file_imports_the_good_rows_and_reports_each_bad_one(
    stack: Stack, uploader: Uploader
) -> None:
    # given a CSV with two good orders and eight bad rows, one of them wrong twice
    content = csv_file(*(line for _, line, _ in MIXED_ROWS))

    # when it is uploaded
    done = uploader.imported("mixed.csv", content)

    # then the counts are exact and only the good orders are stored
    assert done["status"] == "COMPLETED", done
    counts = [done[f"rows{kind}"] for kind in ("Total", "Imported", "Unchanged", "Rejected")]
    assert counts == [10, 2, 0, 8]
    assert [o["customerId"] for o in uploader.exported_orders()] == ["c-1", "c-4"]
    # and the error report has one line per problem, with the row's original values
    report = report_rows(httpx.get(done["errorReportUrl"], timeout=30).content)
    expected = [
        [str(line), order_id, field, str(code), *next(csv.reader([text]))]
        for line, text, problems in MIXED_ROWS
        for order_id, field, code in problems
    ]
    assert sorted(row[:4] + row[5:] for row in report) == sorted(expected)
    assert all(row[4] for row in report), "every rejected row says why"
    # and the messages of the shared order rules are quoted exactly
    messages = {(row[0], row[2]): row[4] for row in report}
    assert messages["3", "currency"] == _rule_message(currency=NO_CURRENCY)
    assert messages["4", "totalAmount"] == _rule_message(total="10.00")
    # and the e-mail links to the same report
    email = one_email_to(stack, uploader.email)
    [link] = links_in(email)
    assert follow_email_link(stack, link) == httpx.get(done["errorReportUrl"]).content


@pytest.mark.parametrize(
    ("name", "content", "content_type", "located_by"),
    [
        ("bad.csv", csv_file(order_line("A", "c")) + b"\xff\xfe" + b"x\r\n", "text/csv", None),
        ("missing.csv", csv_file(header=CSV_COLUMNS[:4] + CSV_COLUMNS[5:]), "text/csv", "currency"),
        ("unknown.csv", csv_file(header=(*CSV_COLUMNS, "colour")), "text/csv", "colour"),
        (
            "bad.json",
            b'[\n  {"orderId": "A"},\n  {"orderId": ,}\n]\n',
            "application/json",
            "line 3",
        ),
        ("bad.jsonl", b'{"orderId": "A"}\n{"orderId": "B",\n', "application/x-ndjson", "line 2"),
    ],
    ids=["csv-encoding", "csv-missing-column", "csv-unknown-column", "json", "json-lines"],
)
def test_an_unparseable_file_fails_with_a_reason_that_locates_the_problem(
    stack: Stack,
    uploader: Uploader,
    name: str,
    content: bytes,
    content_type: str,
    located_by: str | None,
) -> None:
    # when a file that cannot be parsed is uploaded
    done = uploader.imported(name, content, content_type)

    # then it ends FAILED, with a reason that points at the problem, and nothing stored
    assert done["status"] == "FAILED", done
    reason = done["errorMessage"]
    if located_by is None:  # the bad encoding, at its byte offset
        offset = content.index(b"\xff")
        assert "offset" in reason
        assert str(offset) in reason
    else:
        assert located_by in reason
    if name.endswith("json"):
        assert "column" in reason
    assert uploader.exported_orders() == []
    # and the uploader gets the reason by e-mail
    email = one_email_to(stack, uploader.email)
    assert email.subject == f'Your file "{name}" could not be processed'
    assert reason in html.unescape(email.body)


def test_uploads_are_refused_when_too_large_of_another_type_empty_or_incomplete(
    uploader: Uploader,
) -> None:
    oversize = b"x" * (DEFAULT_MAX_UPLOAD_BYTES + 1)
    cases = [
        (uploader.upload("big.csv", oversize), 413),
        (uploader.upload("orders.pdf", b"%PDF-1.4", "application/pdf"), 415),
        (uploader.upload("empty.csv", b""), 400),
        # multipart, but without a `file` part (a body that is not multipart at all is a 415)
        (uploader.api.post(f"{FILES}/upload", files={"mode": (None, "import")}), 400),
    ]
    for response, status in cases:
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["status"] == status
    # and none of them left a record
    listing = uploader.api.get(FILES).json()
    assert listing["total"] == 0


def _raw_upload(uploader: Uploader, file_name: bytes, content: bytes) -> httpx.Response:
    """A multipart upload with the file name's bytes as given: httpx would escape them."""
    boundary = uuid.uuid4().hex
    body = b"".join(
        [
            f"--{boundary}\r\n".encode(),
            b'Content-Disposition: form-data; name="file"; filename="' + file_name + b'"\r\n',
            b"Content-Type: text/csv\r\n\r\n",
            content,
            f"\r\n--{boundary}--\r\n".encode(),
        ]
    )
    return uploader.api.post(
        f"{FILES}/upload",
        content=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )


def test_a_file_name_cannot_climb_out_or_carry_control_characters(
    stack: Stack, uploader: Uploader, aws_client: Callable[[str], Any]
) -> None:
    # given a file name with parent segments, an escape sequence, a bell and a tab
    hostile = "../../other-tenant/\x1b[31m\x07evil\tname.csv"

    # when it is uploaded
    accepted = _raw_upload(uploader, hostile.encode(), csv_file(order_line("N-1", "c-1")))

    # then it is stored under the tenant's own prefix, as one clean path segment
    assert accepted.status_code == 202, accepted.text
    done = uploader.finished(accepted.json()["fileId"])
    name = done["originalName"]
    assert name == safe_file_name(hostile)
    assert not re.search(r"[/\\\x00-\x1f\x7f]", name)
    assert done["s3Key"] == upload_key(uploader.tenant, uuid.UUID(done["id"]), name)
    head = aws_client("s3").head_object(Bucket=done["s3Bucket"], Key=done["s3Key"])
    assert head["ContentLength"] == done["fileSize"]
    assert done["status"] == "COMPLETED"


def test_the_same_file_twice_leaves_the_same_orders_and_counts_them_unchanged(
    uploader: Uploader,
) -> None:
    # given a file of three orders, imported once
    content = csv_file(*(order_line(f"S-{n}", f"c-{n}") for n in range(3)))
    first = uploader.imported("same.csv", content)
    assert (first["rowsImported"], first["rowsUnchanged"]) == (3, 0)
    before = uploader.exported_orders()

    # when the same file is uploaded again (without an Idempotency-Key: a new import)
    second = uploader.imported("same.csv", content)

    # then nothing is imported again, every order is unchanged, and the data is the same
    assert second["id"] != first["id"]
    assert second["status"] == "COMPLETED"
    assert (second["rowsTotal"], second["rowsImported"], second["rowsUnchanged"]) == (3, 0, 3)
    assert uploader.exported_orders() == before


def test_an_idempotency_key_answers_the_same_file_and_refuses_another(uploader: Uploader) -> None:
    # given an upload under an Idempotency-Key
    key = {"Idempotency-Key": f"import-{uuid.uuid4()}"}
    content = csv_file(order_line("K-1", "c-1"))
    first = uploader.upload("keyed.csv", content, headers=key)
    assert first.status_code == 202, first.text

    # when the same file is sent again under that key, then another file
    again = uploader.upload("keyed.csv", content, headers=key)
    other = uploader.upload("keyed.csv", csv_file(order_line("K-2", "c-2")), headers=key)

    # then the retry gets the same file, and the other file (another SHA-256) is a 422
    assert again.status_code == 202
    assert again.json()["fileId"] == first.json()["fileId"]
    assert other.status_code == 422, other.text
    assert other.headers["content-type"].startswith("application/problem+json")
    # and, once the keyed file is imported and listed, it is the only file
    file_id = first.json()["fileId"]
    assert uploader.finished(file_id)["status"] == "COMPLETED"
    listing = uploader.listed(1)
    assert listing["total"] == 1
    assert [item["id"] for item in listing["items"]] == [file_id]


def test_validate_mode_counts_and_reports_but_writes_nothing(
    stack: Stack, uploader: Uploader
) -> None:
    # given the mixed file, uploaded as a dry run
    content = csv_file(*(line for _, line, _ in MIXED_ROWS))

    # when it is validated
    done = uploader.imported("dry.csv", content, mode="validate")

    # then it counts and reports as an import would, and no order is written
    assert (done["status"], done["mode"]) == ("COMPLETED", "validate")
    counts = [done[f"rows{kind}"] for kind in ("Total", "Imported", "Rejected")]
    assert counts == [10, 2, 8]
    report = report_rows(httpx.get(done["errorReportUrl"], timeout=30).content)
    assert len(report) == 9
    assert uploader.exported_orders() == []
    # and the e-mail says it was a dry run
    email = one_email_to(stack, uploader.email)
    assert email.subject == 'Your file "dry.csv" was checked (dry run)'


def _large_csv(orders: int) -> bytes:
    return csv_file(*(order_line(f"L-{n:07d}", f"c-{n:07d}") for n in range(orders)))


def test_a_cancel_mid_import_keeps_what_was_committed_and_says_how_much(
    stack: Stack, uploader: Uploader, aws_client: Callable[[str], Any]
) -> None:
    # given a file just under the upload limit, being imported
    content = _large_csv(110_000)
    assert len(content) < DEFAULT_MAX_UPLOAD_BYTES
    accepted = uploader.upload("large.csv", content)
    assert accepted.status_code == 202, accepted.text
    file_id = accepted.json()["fileId"]
    eventually(
        lambda: (uploader.record(file_id).get("progressPercentage") or 0) > 0,
        what="the import under way",
        seconds=SLOW_SECONDS,
    )

    # when it is cancelled
    cancelled = uploader.api.post(f"{FILES}/{file_id}/cancel")

    # then it ends CANCELLED, and the record counts what stays stored
    assert cancelled.status_code in (200, 202), cancelled.text
    done = uploader.finished(file_id)
    assert done["status"] == "CANCELLED", done
    assert 0 < done["rowsImported"] < 110_000
    assert len(uploader.exported_orders()) == done["rowsImported"]
    # and no multipart upload (of the error report or anything else) is left open
    uploads = aws_client("s3").list_multipart_uploads(Bucket=done["s3Bucket"]).get("Uploads", [])
    assert [upload for upload in uploads if file_id in upload["Key"]] == []


def _write_presigned_file(path: Path) -> int:
    """A valid CSV of at least 50 MB, written as it is generated; its order count."""
    long_name = "N" * 200
    orders = 0
    with path.open("wb") as out:
        out.write(csv_file())
        while out.tell() < PRESIGNED_FILE_BYTES:
            line = order_line(f"P-{orders:07d}", f"c-{orders:07d}", itemName=long_name)
            out.write(f"{line}\r\n".encode())
            orders += 1
    return orders


@pytest.mark.timeout(PRESIGNED_SECONDS + SLOW_SECONDS)
def test_a_50_mb_file_goes_straight_to_s3_through_a_presigned_post(
    uploader: Uploader, tmp_path: Path
) -> None:
    # given a generated 50 MB CSV, beyond the upload limit
    path = tmp_path / "presigned.csv"
    orders = _write_presigned_file(path)
    size = path.stat().st_size

    # when a presigned POST is asked for, the file posted to S3 and the upload completed
    offer = uploader.api.post(
        FILES,
        json={
            "fileName": "presigned.csv",
            "contentType": "text/csv",
            "sizeBytes": size,
            "mode": "import",
        },
    )
    assert offer.status_code in (200, 201), offer.text
    body = offer.json()
    assert body["expiresAt"]
    with path.open("rb") as file:
        posted = httpx.post(
            body["url"], data=body["fields"], files={"file": file}, timeout=SLOW_SECONDS
        )
    assert posted.status_code in (200, 201, 204), posted.text
    completed = uploader.api.post(f"{FILES}/{body['fileId']}/complete")
    assert completed.status_code == 202, completed.text

    # then every order is imported
    done = uploader.finished(body["fileId"], seconds=PRESIGNED_SECONDS)
    assert done["status"] == "COMPLETED", done
    assert (done["fileSize"], done["rowsImported"], done["rowsRejected"]) == (size, orders, 0)


def test_a_listing_filters_by_status_and_pages_newest_first(uploader: Uploader) -> None:
    # given two completed imports and a failed one
    first = uploader.imported("one.csv", csv_file(order_line("O-1", "c-1")))
    second = uploader.imported("two.csv", csv_file(order_line("O-2", "c-2")))
    uploader.imported("bad.json", b"[{", "application/json")

    # when the completed ones are listed one per page (once the history has them)
    page_one = uploader.listed(2, status="COMPLETED", limit=1)
    page_two = uploader.api.get(FILES, params={"status": "COMPLETED", "limit": 1, "page": 2})

    # then the newest comes first and the total counts both
    assert page_one["total"] == 2
    assert [item["id"] for item in page_one["items"]] == [second["id"]]
    assert [item["id"] for item in page_two.json()["items"]] == [first["id"]]


@pytest.mark.parametrize(
    ("template", "content_type"),
    [("template.csv", "text/csv"), ("template.json", "application/json")],
)
def test_a_template_imports_as_it_is(uploader: Uploader, template: str, content_type: str) -> None:
    # given a template as the API serves it
    served = uploader.api.get(f"{FILES}/{template}")
    assert served.status_code == 200
    assert served.headers["content-type"].startswith(content_type)

    # when it is uploaded unchanged
    done = uploader.imported(template, served.content, content_type)

    # then its example order imports
    assert done["status"] == "COMPLETED", done
    assert done["rowsImported"] >= 1
    assert done["rowsRejected"] == 0


def test_imports_are_kept_to_their_tenant_and_guarded_by_role(
    stack: Stack, uploader: Uploader
) -> None:
    done = uploader.imported("mine.csv", csv_file(order_line("T-1", "c-1")))
    file_id = done["id"]
    # 401 without a token
    with api_client(stack) as anonymous:
        assert anonymous.get(f"{FILES}/{file_id}").status_code == 401
    # 403 for a caller without a role that may import
    viewer = mint_token(stack, tenant=uploader.tenant, sub="viewer", roles="viewer")
    with api_client(stack, viewer) as as_viewer:
        refused = as_viewer.post(
            f"{FILES}/upload",
            files={"file": ("v.csv", csv_file(order_line("V-1", "c-1")), "text/csv")},
        )
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    # 404 for another tenant, even an admin, on the record, its cancel and in its listing
    outsider = Uploader(stack)
    try:
        assert outsider.api.get(f"{FILES}/{file_id}").status_code == 404
        assert outsider.api.post(f"{FILES}/{file_id}/cancel").status_code == 404
        assert outsider.api.get(FILES).json()["total"] == 0
        # and another tenant importing the same order ids gets orders of its own
        theirs = outsider.imported("theirs.csv", csv_file(order_line("T-1", "c-1")))
        assert (theirs["rowsImported"], theirs["rowsUnchanged"]) == (1, 0)
        assert len(outsider.exported_orders()) == len(uploader.exported_orders()) == 1
    finally:
        outsider.api.close()


def test_the_import_emails_go_to_notify_with_a_working_report_link(
    stack: Stack, uploader: Uploader
) -> None:
    # given an upload naming another recipient in notify, with a rejected row
    recipient = f"ops-{uuid.uuid4().hex[:8]}@example.com"
    content = csv_file(order_line("E-1", "c-1"), order_line("E-2", "c-2", currency=NO_CURRENCY))

    # when it is imported
    done = uploader.imported("notify.csv", content, notify=recipient)

    # then that recipient gets one e-mail with the counts and a link that downloads the report
    assert (done["rowsImported"], done["rowsRejected"]) == (1, 1)
    email = one_email_to(stack, recipient)
    assert email.subject == 'Your file "notify.csv" was imported'
    assert '<th align="left">Rejected</th><td>1</td>' in email.body
    [link] = links_in(email)
    report = report_rows(follow_email_link(stack, link))
    assert [row[:4] for row in report] == [["3", "E-2", "currency", "unknown-currency"]]

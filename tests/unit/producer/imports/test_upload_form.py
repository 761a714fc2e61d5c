"""POST /api/v1/files/upload against hostile forms: fields sent twice, long and unreadable
file names, too many parts, generic and foreign declared types, `notify` beyond what one
e-mail takes, and a client hanging up mid-body."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from structlog.testing import capture_logs
from tests.unit.producer.conftest import FILES, TENANT, FakeUploads, bearer

from conveyor_common.imports.model import MAX_FILE_NAME_LENGTH
from conveyor_common.text import EMAIL_LENGTH, MAX_RECIPIENTS
from conveyor_producer.imports.form import MAX_PART_HEADER_BYTES, MAX_TEXT_FIELD_BYTES

ALICE = bearer(email="alice@example.com")
CSV = b"orderId,customerId\r\nA-1,c-1\r\n"
BOUNDARY = "b0undary"


def file_part(name: bytes = b"orders.csv", content: bytes = CSV, field: bytes = b"file") -> bytes:
    return (
        b'Content-Disposition: form-data; name="' + field + b'"; filename="' + name + b'"'
        b"\r\nContent-Type: text/csv\r\n\r\n" + content
    )


def text_part(name: str, value: str) -> bytes:
    return f'Content-Disposition: form-data; name="{name}"\r\n\r\n{value}'.encode()


def form(*parts: bytes) -> bytes:
    body = b"".join(f"--{BOUNDARY}\r\n".encode() + part + b"\r\n" for part in parts)
    return body + f"--{BOUNDARY}--\r\n".encode()


def post_form(client: TestClient[Any], body: bytes) -> Any:
    headers = {**ALICE, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    return client.post(f"{FILES}/upload", content=body, headers=headers)


def problem_type(response: Any) -> str:
    slug: str = response.json()["type"].rsplit("/", 1)[-1]
    return slug


@pytest.mark.parametrize(
    ("repeated", "parts"),
    [
        ("file", (file_part(b"a.csv"), file_part(b"b.csv"))),
        ("mode", (file_part(), text_part("mode", "import"), text_part("mode", "validate"))),
        ("notify", (text_part("notify", "a@x.com"), file_part(), text_part("notify", "b@x.com"))),
    ],
    ids=["file", "mode", "notify"],
)
def test_a_field_sent_twice_is_400_naming_it(
    client: TestClient[Any], uploads: FakeUploads, repeated: str, parts: tuple[bytes, ...]
) -> None:
    response = post_form(client, form(*parts))

    assert response.status_code == 400, response.text
    assert problem_type(response) == "repeated-field"
    assert f"{repeated!r}" in response.json()["detail"]
    assert uploads.objects == {}


def test_a_file_name_of_8000_characters_is_cut_not_refused(
    client: TestClient[Any], uploads: FakeUploads
) -> None:
    response = post_form(client, form(file_part("é".encode() * 8000 + b".csv")))

    assert response.status_code == 202, response.text
    file_id = response.json()["fileId"]
    name = "é" * MAX_FILE_NAME_LENGTH
    assert list(uploads.objects) == [f"uploads/{TENANT}/{file_id}/{name}"]


def test_a_part_header_beyond_its_bound_is_400_saying_so(
    client: TestClient[Any], uploads: FakeUploads
) -> None:
    response = post_form(client, form(file_part(b"a" * MAX_PART_HEADER_BYTES + b".csv")))

    assert response.status_code == 400, response.text
    assert problem_type(response) == "form-limit-exceeded"
    assert f"{MAX_PART_HEADER_BYTES:,} bytes" in response.json()["detail"]
    assert uploads.objects == {}


def test_a_file_name_that_is_not_utf8_is_422_naming_the_file_field(
    client: TestClient[Any], uploads: FakeUploads
) -> None:
    response = post_form(client, form(file_part(b"orders\xff\xfe.csv")))

    assert response.status_code == 422, response.text
    assert problem_type(response) == "validation-failed"
    [error] = response.json()["errors"]
    assert error["field"] == "file"
    assert "not valid UTF-8" in error["message"]
    assert uploads.objects == {}


def test_a_broken_body_is_400_malformed_form(client: TestClient[Any]) -> None:
    response = post_form(client, f"--{BOUNDARY}\r\nno header end".encode())

    assert response.status_code == 400, response.text
    assert problem_type(response) == "malformed-form"


@pytest.mark.parametrize(
    ("declared", "name"),
    [("application/pdf", "orders.csv"), ("image/png", "orders.json"), ("text/html", "o.ndjson")],
)
def test_a_declared_type_that_is_not_generic_is_415_on_both_paths(
    client: TestClient[Any], uploads: FakeUploads, declared: str, name: str
) -> None:
    upload = client.post(f"{FILES}/upload", files={"file": (name, CSV, declared)}, headers=ALICE)
    offer = client.post(
        FILES, json={"fileName": name, "contentType": declared, "sizeBytes": 10}, headers=ALICE
    )

    assert (upload.status_code, offer.status_code) == (415, 415), (upload.text, offer.text)
    assert problem_type(upload) == problem_type(offer) == "unsupported-file-type"
    assert uploads.objects == {}


@pytest.mark.parametrize(
    "declared",
    ["application/octet-stream", "text/plain; charset=utf-8", "application/vnd.ms-excel", ""],
)
def test_a_generic_declared_type_falls_back_on_the_extension(
    client: TestClient[Any], declared: str
) -> None:
    upload = client.post(f"{FILES}/upload", files={"file": ("o.csv", CSV, declared)}, headers=ALICE)

    assert upload.status_code == 202, upload.text


def test_notify_beyond_the_cap_is_422_on_both_paths(client: TestClient[Any]) -> None:
    many = [f"r{n}@example.com" for n in range(MAX_RECIPIENTS + 1)]

    upload = client.post(
        f"{FILES}/upload",
        files={"file": ("o.csv", CSV, "text/csv")},
        data={"notify": ",".join(many)},
        headers=ALICE,
    )
    offer = client.post(
        FILES,
        json={"fileName": "o.csv", "contentType": "text/csv", "sizeBytes": 10, "notify": many},
        headers=ALICE,
    )

    assert (upload.status_code, offer.status_code) == (422, 422), (upload.text, offer.text)
    assert [error["field"] for error in upload.json()["errors"]] == ["notify"]


def test_notify_at_the_cap_is_taken(client: TestClient[Any]) -> None:
    many = [f"r{n}@example.com" for n in range(MAX_RECIPIENTS)]

    upload = client.post(
        f"{FILES}/upload",
        files={"file": ("o.csv", CSV, "text/csv")},
        data={"notify": ",".join(many)},
        headers=ALICE,
    )

    assert upload.status_code == 202, upload.text


def _upload_scope(body: bytes | None) -> dict[str, Any]:
    """An ASGI scope for an upload of `body`, sent straight to the app; None for a body
    of no declared length (sent in chunks)."""
    headers = {**ALICE, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": f"{FILES}/upload",
        "raw_path": f"{FILES}/upload".encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        + ([] if body is None else [(b"content-length", str(len(body)).encode())]),
        "client": ("127.0.0.1", 1234),
        "server": ("testserver", 80),
        "state": {},
    }


def _hanging_up_after(first_chunk: bytes) -> Any:
    """An ASGI receive: the first chunk of the body, then the client is gone."""
    messages: list[dict[str, Any]] = [
        {"type": "http.request", "body": first_chunk, "more_body": True},
        {"type": "http.disconnect"},
    ]

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if len(messages) > 1 else messages[0]

    return receive


def test_a_client_hanging_up_mid_body_is_one_info_line_and_no_server_error(
    client: TestClient[Any], uploads: FakeUploads
) -> None:
    body = form(file_part(content=CSV * 1000))
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    app = client.app
    assert isinstance(app, Litestar)
    with capture_logs() as logs:
        receive = _hanging_up_after(body[: len(body) // 2])
        asyncio.run(app(_upload_scope(body), receive, send))  # type: ignore[arg-type]

    [start] = [message for message in sent if message["type"] == "http.response.start"]
    assert start["status"] == 400
    assert [line["log_level"] for line in logs] == ["info"]
    assert "exc_info" not in logs[0]
    assert uploads.objects == {}


def test_notify_at_the_cap_of_the_longest_addresses_is_taken(client: TestClient[Any]) -> None:
    domain = "@" + "d" * 63 + "." + "e" * 63 + "." + "f" * 63 + ".com"
    local = "x" * (EMAIL_LENGTH - len(domain) - 2)
    many = [f"{n:02d}{local}{domain}" for n in range(MAX_RECIPIENTS)]
    assert {len(address) for address in many} == {EMAIL_LENGTH}

    upload = client.post(
        f"{FILES}/upload",
        files={"file": ("o.csv", CSV, "text/csv")},
        data={"notify": ",".join(many)},
        headers=ALICE,
    )

    assert upload.status_code == 202, upload.text


@pytest.mark.parametrize(
    "parts",
    [
        (
            b'Content-Disposition: form-data; name="file"\r\n\r\n'
            + b"x" * (MAX_TEXT_FIELD_BYTES + 1),
        ),
    ],
    ids=["file-without-a-name"],
)
def test_a_part_the_form_ignores_is_bounded_too(
    client: TestClient[Any], uploads: FakeUploads, parts: tuple[bytes, ...]
) -> None:
    # an ignored part is not read, but a client could stream one without end
    response = post_form(client, form(*parts))
    assert response.status_code == 413, response.text
    assert f"exceeds {MAX_TEXT_FIELD_BYTES:,} bytes" in response.json()["detail"]
    assert uploads.objects == {}


@pytest.mark.parametrize("name", ["Mode", "dryRun", "comment"])
def test_a_field_the_form_does_not_know_is_422_naming_it(
    client: TestClient[Any], uploads: FakeUploads, name: str
) -> None:
    # A misspelt `mode=validate` would otherwise import the file for real.
    response = post_form(client, form(text_part(name, "validate"), file_part()))

    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [
        {"field": name, "message": "is not a field of the upload form (file, mode, notify)"}
    ]
    assert uploads.objects == {}


def test_an_unknown_field_streaming_without_end_is_refused_at_its_header(
    client: TestClient[Any], uploads: FakeUploads
) -> None:
    long = "x" * (MAX_TEXT_FIELD_BYTES + 1)
    response = post_form(client, form(file_part(), text_part("comment", long)))

    assert response.status_code == 422, response.text
    assert uploads.objects == {}


@pytest.mark.parametrize("where", ["before", "after"])
def test_bytes_around_the_parts_of_a_body_of_no_declared_length_are_bounded(
    client: TestClient[Any], uploads: FakeUploads, where: str
) -> None:
    # The parser skips what comes before the first boundary and after the last: without
    # a bound of its own, a chunked body could stream those bytes without end.
    chunk, chunks = b"x" * 64 * 1024, 1000
    parts = form(file_part())
    body = [chunk] * chunks
    body = [*body, parts] if where == "before" else [parts, *body]
    received: list[bytes] = []

    async def receive() -> dict[str, Any]:
        received.append(body[len(received)])
        return {
            "type": "http.request",
            "body": received[-1],
            "more_body": len(received) < len(body),
        }

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    app = client.app
    assert isinstance(app, Litestar)
    asyncio.run(app(_upload_scope(None), receive, send))  # type: ignore[arg-type]

    [start] = [message for message in sent if message["type"] == "http.response.start"]
    assert start["status"] == 413
    assert len(received) < chunks // 2
    assert uploads.objects == {}

"""Builders and fakes for the notifier's unit tests."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import pytest

from conveyor_aws.mail import Email
from conveyor_common.envelope import Envelope, wrap
from conveyor_common.events import (
    ExportCompleted,
    ExportFailed,
    FileFailed,
    FileProcessed,
    OrderPersisted,
    persisted_event_id,
)
from conveyor_common.exports.model import ExportFormat
from conveyor_common.imports.model import ImportMode
from conveyor_common.orders import OrderItemRequest, OrderRequest, normalise_order

SUBMITTED_AT = datetime(2024, 5, 17, 9, 30, tzinfo=UTC)
LINK_EXPIRES_AT = datetime(2024, 5, 24, 9, 30, tzinfo=UTC)
EXPORT_EXPIRES_AT = datetime(2024, 6, 16, 9, 30, tzinfo=UTC)
DOWNLOAD_URL = "https://exports.example.com/q1.csv?X-Amz-Expires=604800&X-Amz-Signature=abc"
ERROR_REPORT_URL = "https://uploads.example.com/uploads/tenant-1/f/errors.csv?X-Amz-Expires=604800&X-Amz-Signature=abc"

OrderEnvelopeFactory = Callable[..., Envelope[OrderPersisted]]
ExportCompletedFactory = Callable[..., Envelope[ExportCompleted]]
ExportFailedFactory = Callable[..., Envelope[ExportFailed]]
FileProcessedFactory = Callable[..., Envelope[FileProcessed]]
FileFailedFactory = Callable[..., Envelope[FileFailed]]


class InMemoryStore:
    """The conditional-write semantics of the DynamoDB state store, in a dict."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}

    def put_if_absent(self, pk: str, sk: str, attributes: Mapping[str, Any]) -> bool:
        if (pk, sk) in self.items:
            return False
        self.items[pk, sk] = dict(attributes)
        return True

    def put(self, pk: str, sk: str, attributes: Mapping[str, Any]) -> None:
        self.items[pk, sk] = dict(attributes)

    def delete(self, pk: str, sk: str) -> None:
        self.items.pop((pk, sk), None)


class RecordingMailer:
    def __init__(self, *, failures: int = 0) -> None:
        self.sent: list[Email] = []
        self._failures_left = failures

    def send(self, email: Email) -> str:
        if self._failures_left:
            self._failures_left -= 1
            raise ConnectionError("SES is unreachable")
        self.sent.append(email)
        return f"ses-{len(self.sent)}"


@pytest.fixture
def order_envelope() -> OrderEnvelopeFactory:
    """Makes an OrderPersisted envelope, which the confirmation is sent for; keyword
    arguments override the request's fields."""

    def make(
        *,
        customer_name: str | None = "Ada Lovelace",
        customer_email: str = "ada@example.com",
        items: list[OrderItemRequest] | None = None,
        currency: str = "EUR",
    ) -> Envelope[OrderPersisted]:
        request = OrderRequest(
            customer_id="cust-1",
            customer_email=customer_email,
            customer_name=customer_name,
            currency=currency,
            items=items
            or [
                OrderItemRequest(sku="SKU-1", quantity=2, unit_price=Decimal("9.5"), name="Widget"),
                OrderItemRequest(sku="SKU-2", quantity=1, unit_price=Decimal("100")),
            ],
        )
        order = normalise_order(
            request, order_id=uuid.uuid4(), tenant_id="tenant-1", submitted_at=SUBMITTED_AT
        )
        return wrap(
            OrderPersisted(order=order),
            tenant_id="tenant-1",
            correlation_id="corr-1",
            event_id=persisted_event_id(order.order_id),
        )

    return make


def export_completed(
    *,
    title: str | None = "Q1 orders",
    notify: tuple[str, ...] = ("ada@example.com",),
    row_count: int = 12_345,
    size_bytes: int = 12_345_678,
    download_url: str = DOWNLOAD_URL,
) -> Envelope[ExportCompleted]:
    """An ExportCompleted envelope of a CSV export of orders."""
    event = ExportCompleted(
        export_id=uuid.uuid4(),
        requested_by="user-1",
        resource="orders",
        format=ExportFormat.CSV,
        title=title,
        notify=notify,
        file_name="q1-orders.csv",
        row_count=row_count,
        size_bytes=size_bytes,
        download_url=download_url,
        download_url_expires_at=LINK_EXPIRES_AT,
        expires_at=EXPORT_EXPIRES_AT,
    )
    return wrap(event, tenant_id="tenant-1", correlation_id="corr-1")


def export_failed(
    *,
    title: str | None = "Q1 orders",
    notify: tuple[str, ...] = ("ada@example.com",),
    reason: str = "the database was unreachable",
) -> Envelope[ExportFailed]:
    """An ExportFailed envelope of an XLSX export of order items."""
    event = ExportFailed(
        export_id=uuid.uuid4(),
        requested_by="user-1",
        resource="order_items",
        format=ExportFormat.XLSX,
        title=title,
        notify=notify,
        reason=reason,
    )
    return wrap(event, tenant_id="tenant-1", correlation_id="corr-1")


@pytest.fixture
def export_completed_envelope() -> ExportCompletedFactory:
    return export_completed


@pytest.fixture
def export_failed_envelope() -> ExportFailedFactory:
    return export_failed


def file_processed(
    *,
    original_name: str = "orders-may.csv",
    mode: ImportMode = ImportMode.IMPORT,
    notify: tuple[str, ...] = ("ada@example.com",),
    rows_total: int = 12_345,
    rows_imported: int = 12_000,
    rows_unchanged: int = 300,
    rows_rejected: int = 45,
    error_report_url: str | None = ERROR_REPORT_URL,
) -> Envelope[FileProcessed]:
    """A FileProcessed envelope of an uploaded CSV; the link expires at LINK_EXPIRES_AT
    when there is one."""
    event = FileProcessed(
        file_id=uuid.uuid4(),
        requested_by="user-1",
        original_name=original_name,
        mode=mode,
        notify=notify,
        rows_total=rows_total,
        rows_imported=rows_imported,
        rows_unchanged=rows_unchanged,
        rows_rejected=rows_rejected,
        error_report_url=error_report_url,
        error_report_url_expires_at=LINK_EXPIRES_AT if error_report_url else None,
    )
    return wrap(event, tenant_id="tenant-1", correlation_id="corr-1")


def file_failed(
    *,
    original_name: str = "orders-may.json",
    mode: ImportMode = ImportMode.IMPORT,
    notify: tuple[str, ...] = ("ada@example.com",),
    reason: str = "malformed JSON at line 3, column 7",
) -> Envelope[FileFailed]:
    """A FileFailed envelope of an uploaded JSON array."""
    event = FileFailed(
        file_id=uuid.uuid4(),
        requested_by="user-1",
        original_name=original_name,
        mode=mode,
        notify=notify,
        reason=reason,
    )
    return wrap(event, tenant_id="tenant-1", correlation_id="corr-1")


@pytest.fixture
def file_processed_envelope() -> FileProcessedFactory:
    return file_processed


@pytest.fixture
def file_failed_envelope() -> FileFailedFactory:
    return file_failed


class _Links(HTMLParser):
    """Collects the href of every anchor, attribute entities decoded as a mail client would."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs.extend(value or "" for name, value in attrs if name == "href")


def hrefs(markup: str) -> list[str]:
    """The links in an HTML body."""
    links = _Links()
    links.feed(markup)
    return links.hrefs

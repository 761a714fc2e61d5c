"""In-memory stand-ins for the producer's adapters, and an app wired to them.

Shared by every producer unit test: `fake_adapters` builds the composition root's
Adapters bundle from these fakes.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import IO, Any, Generic

import msgspec
import pytest
from botocore.exceptions import EndpointConnectionError
from litestar.testing import TestClient

from conveyor_aws.lasting_links import LinkRecords
from conveyor_aws.order_items import OrderItems, OrderRecord
from conveyor_common.clock import Clock, utc_now
from conveyor_common.envelope import Envelope
from conveyor_common.exports.job import EXPORT_JOBS, ExportJob
from conveyor_common.exports.query import Query
from conveyor_common.imports.job import IMPORT_JOBS, ImportJob
from conveyor_common.jobs import JobStatus
from conveyor_producer.app import create_app
from conveyor_producer.composition import Adapters
from conveyor_producer.http.auth import TokenVerifier
from conveyor_producer.http.readiness import ReadinessCheck
from conveyor_producer.imports.ports import PresignedPost, StoredObject, UploadLimits
from conveyor_producer.jobs.ports import J, JobListing, ListedJobs
from conveyor_producer.settings import ProducerSettings
from conveyor_producer.token import issue_token

SECRET = "unit-test-secret-of-at-least-32-bytes!"
TENANT = "acme"
START = datetime(2024, 5, 17, 9, 30, tzinfo=UTC)


class FakeStore:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        # Raised by every write when set, to simulate a failing table.
        self.fault: Exception | None = None

    def get(self, pk: str, sk: str) -> dict[str, Any] | None:
        item = self.items.get((pk, sk))
        return dict(item) if item is not None else None

    def put(self, pk: str, sk: str, attributes: Mapping[str, Any]) -> None:
        if self.fault is not None:
            raise self.fault
        self.items[(pk, sk)] = {**attributes, "pk": pk, "sk": sk}

    async def put_async(self, pk: str, sk: str, attributes: Mapping[str, Any]) -> None:
        self.put(pk, sk, attributes)

    def put_if_absent(self, pk: str, sk: str, attributes: Mapping[str, Any]) -> bool:
        if (pk, sk) in self.items:
            return False
        self.put(pk, sk, attributes)
        return True

    def create_or_get(
        self, pk: str, sk: str, attributes: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        # One call, as DynamoDB's conditional put that returns the item it found.
        existing = self.items.get((pk, sk))
        if existing is None:
            self.put(pk, sk, attributes)
        return None if existing is None else dict(existing)

    def put_unless(
        self, pk: str, sk: str, attributes: Mapping[str, Any], *, name: str, value: Any
    ) -> bool:
        if self.items.get((pk, sk), {}).get(name) == value:
            return False
        self.put(pk, sk, attributes)
        return True

    def update(self, pk: str, sk: str, attributes: Mapping[str, Any]) -> None:
        self.items.setdefault((pk, sk), {"pk": pk, "sk": sk}).update(attributes)

    def delete(self, pk: str, sk: str) -> None:
        self.items.pop((pk, sk), None)


class FakePublisher:
    """Records what it publishes; fails the first `failures` attempts like an unreachable SNS."""

    def __init__(self, store: FakeStore) -> None:
        self.published: list[Envelope] = []
        self.failures = 0
        self.store_at_publish: list[dict[tuple[str, str], dict[str, Any]]] = []
        self._store = store

    def publish(self, envelope: Envelope) -> str:
        self.store_at_publish.append(dict(self._store.items))
        if self.failures:
            self.failures -= 1
            raise EndpointConnectionError(endpoint_url="https://sns.example.invalid")
        self.published.append(envelope)
        return f"message-{len(self.published)}"

    async def publish_async(self, envelope: Envelope) -> str:
        # Through `publish`, which tests replace to watch or fail each publish.
        return self.publish(envelope)


class FakeClock:
    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


class FakeJobStates(Generic[J]):
    """LeasedJobStore's rules over a dict: conditional create, cancel by status."""

    def __init__(self, id_of: Callable[[J], uuid.UUID], make: Callable[..., J]) -> None:
        self.jobs: dict[uuid.UUID, J] = {}
        # Raised by every create when set, to simulate a failing table.
        self.fault: Exception | None = None
        self._id_of = id_of
        self._make = make

    def add(self, **overrides: Any) -> J:
        """Stores a job made with `overrides`, as if the producer had accepted it."""
        job = self._make(**overrides)
        self.jobs[self._id_of(job)] = job
        return job

    def create(self, job: J) -> bool:
        if self.fault is not None:
            raise self.fault
        if self._id_of(job) in self.jobs:
            return False
        self.jobs[self._id_of(job)] = job
        return True

    def get(self, job_id: uuid.UUID) -> J | None:
        return self.jobs.get(job_id)

    def request_cancel(self, job_id: uuid.UUID, *, now: datetime) -> J | None:
        job = self.jobs.get(job_id)
        if job is None:
            return None
        if job.status is JobStatus.QUEUED:
            job = msgspec.structs.replace(job, status=JobStatus.CANCELLED, completed_at=now)
        elif job.status is JobStatus.PROCESSING:
            job = msgspec.structs.replace(job, cancel_requested=True)
        self.jobs[job_id] = job
        return job


class FakeExportStates(FakeJobStates[ExportJob]):
    def __init__(self) -> None:
        super().__init__(EXPORT_JOBS.id_of, export_job)


class FakeImportStates(FakeJobStates[ImportJob]):
    def __init__(self) -> None:
        super().__init__(IMPORT_JOBS.id_of, import_job)


class FakeJobHistory(Generic[J]):
    """The processor's history table of a kind: answers every listing with `jobs`,
    recording it."""

    def __init__(self) -> None:
        self.jobs: list[J] = []
        self.total = 0
        self.listings: list[JobListing] = []

    def list_jobs(self, listing: JobListing) -> ListedJobs[J]:
        self.listings.append(listing)
        return ListedJobs(jobs=list(self.jobs), total=self.total)


class FakeDatabase(FakeJobHistory[ExportJob]):
    """PostgreSQL as the exports see it (RowCounter and ExportHistory): answers every count
    with `row_count` and every listing with `jobs`, recording both."""

    def __init__(self) -> None:
        super().__init__()
        self.row_count = 0
        self.counted: list[Query] = []

    def count_rows(self, query: Query) -> int:
        self.counted.append(query)
        return self.row_count


class FakeStoredOrders:
    """PostgreSQL's orders table, by id; `error` makes every read fail as an outage does."""

    def __init__(self) -> None:
        self.records: dict[uuid.UUID, OrderRecord] = {}
        self.error: Exception | None = None

    def find(self, order_id: uuid.UUID) -> OrderRecord | None:
        if self.error is not None:
            raise self.error
        return self.records.get(order_id)


class FakeSigner:
    def download_url(self, object_key: str, *, expires_in_seconds: int) -> str:
        return f"https://exports.example/{object_key}?expires={expires_in_seconds}"


class FakeFileSigner:
    def download_url(self, bucket: str, key: str, *, expires_in_seconds: int) -> str:
        return f"https://{bucket}.example/{key}?expires={expires_in_seconds}"


EXPORTS_BUCKET = "conveyor-exports"


class FakeImportHistory(FakeJobHistory[ImportJob]):
    """The processor's import_jobs table."""


class FakeUploads:
    """The uploads bucket over a dict of key -> (bytes, content type); reads in chunks."""

    bucket = "conveyor-uploads"

    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, str]] = {}
        self.reads: list[int] = []

    def store(self, source: IO[bytes], *, key: str, content_type: str) -> int:
        data = bytearray()
        while chunk := source.read(64 * 1024):
            self.reads.append(len(chunk))
            data += chunk
        self.objects[key] = (bytes(data), content_type)
        return len(data)

    def presigned_post(
        self, key: str, *, content_type: str, max_size_bytes: int, expires_in_seconds: int
    ) -> PresignedPost:
        fields = {"key": key, "Content-Type": content_type, "max": str(max_size_bytes)}
        return PresignedPost(url=f"https://uploads.example/{self.bucket}", fields=fields)

    def stat(self, key: str) -> StoredObject | None:
        if key not in self.objects:
            return None
        data, content_type = self.objects[key]
        return StoredObject(size_bytes=len(data), content_type=content_type)

    def download_url(self, key: str, *, expires_in_seconds: int) -> str:
        return f"https://uploads.example/{key}?expires={expires_in_seconds}"


# Small limits, so that the tests cross them with small bodies.
UPLOAD_LIMITS = UploadLimits(max_upload_bytes=256 * 1024, max_presigned_bytes=50 * 1024 * 1024)


class FakeCheck:
    def __init__(self, name: str, *, error: Exception | None = None) -> None:
        self.name = name
        self.error = error
        self.opened = False
        self.closed = False

    def open(self) -> None:
        self.opened = True

    def check(self) -> None:
        if self.error is not None:
            raise self.error

    def close(self) -> None:
        self.closed = True


def fake_adapters(
    *,
    store: FakeStore,
    publisher: FakePublisher,
    checks: Sequence[ReadinessCheck] = (),
    clock: Clock = utc_now,
    export_states: FakeExportStates | None = None,
    database: FakeDatabase | None = None,
    import_states: FakeImportStates | None = None,
    import_history: FakeImportHistory | None = None,
    uploads: FakeUploads | None = None,
    stored_orders: FakeStoredOrders | None = None,
) -> Adapters:
    """The composition root's bundle, over fakes instead of AWS and PostgreSQL."""
    database = database if database is not None else FakeDatabase()
    return Adapters(
        publisher=publisher,
        state_table=store,
        order_records=OrderItems(store),
        stored_orders=stored_orders if stored_orders is not None else FakeStoredOrders(),
        export_states=export_states if export_states is not None else FakeExportStates(),
        row_counter=database,
        export_history=database,
        signer=FakeSigner(),
        import_states=import_states if import_states is not None else FakeImportStates(),
        import_history=import_history if import_history is not None else FakeImportHistory(),
        uploads=uploads if uploads is not None else FakeUploads(),
        upload_limits=UPLOAD_LIMITS,
        verifier=TokenVerifier(secret=SECRET),
        link_records=LinkRecords(store),
        file_signer=FakeFileSigner(),
        link_buckets=frozenset({EXPORTS_BUCKET, FakeUploads.bucket}),
        readiness_checks=checks,
        clock=clock,
    )


@pytest.fixture
def settings() -> ProducerSettings:
    return ProducerSettings(
        state_table="conveyor-state",
        database_url="postgresql://unused@127.0.0.1:1/unused",
        events_topic_arn="arn:aws:sns:us-east-1:000000000000:conveyor-events",
        jwt_secret=SECRET,
        max_request_body_bytes=64 * 1024,
        exports_bucket=EXPORTS_BUCKET,
        uploads_bucket="conveyor-uploads",
    )


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def publisher(store: FakeStore) -> FakePublisher:
    return FakePublisher(store)


@pytest.fixture
def checks() -> list[FakeCheck]:
    return [FakeCheck("database"), FakeCheck("aws")]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def export_states() -> FakeExportStates:
    return FakeExportStates()


@pytest.fixture
def database() -> FakeDatabase:
    return FakeDatabase()


@pytest.fixture
def import_states() -> FakeImportStates:
    return FakeImportStates()


@pytest.fixture
def import_history() -> FakeImportHistory:
    return FakeImportHistory()


@pytest.fixture
def uploads() -> FakeUploads:
    return FakeUploads()


@pytest.fixture
def stored_orders() -> FakeStoredOrders:
    return FakeStoredOrders()


@pytest.fixture
def adapters(
    publisher: FakePublisher,
    store: FakeStore,
    checks: list[FakeCheck],
    clock: FakeClock,
    export_states: FakeExportStates,
    database: FakeDatabase,
    import_states: FakeImportStates,
    import_history: FakeImportHistory,
    uploads: FakeUploads,
    stored_orders: FakeStoredOrders,
) -> Adapters:
    return fake_adapters(
        store=store,
        publisher=publisher,
        checks=checks,
        clock=clock,
        export_states=export_states,
        database=database,
        import_states=import_states,
        import_history=import_history,
        uploads=uploads,
        stored_orders=stored_orders,
    )


@pytest.fixture
def client(settings: ProducerSettings, adapters: Adapters) -> Iterator[TestClient[Any]]:
    with TestClient(create_app(settings, adapters)) as test_client:
        yield test_client


def bearer(
    *,
    tenant: str = TENANT,
    roles: tuple[str, ...] = ("exporter",),
    sub: str = "alice",
    email: str | None = None,
) -> dict[str, str]:
    token = issue_token(SECRET, sub=sub, tenant=tenant, roles=roles, email=email)
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def auth() -> dict[str, str]:
    return bearer()


def order_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "customerId": "  cust-42 ",
        "customerEmail": " Jane.Doe@Example.COM ",
        "customerName": "  Jane Doe ",
        "currency": "eur",
        "items": [
            {"sku": " SKU-1 ", "name": " Widget ", "quantity": 2, "unitPrice": "19.99"},
            {"sku": "SKU-2", "quantity": 1, "unitPrice": 5},
        ],
        "totalAmount": "44.98",
    }
    body.update(overrides)
    return body


EXPORTS = "/api/v1/exports"


def export_job(**overrides: Any) -> ExportJob:
    """A QUEUED orders export of alice's at tenant acme, created at START."""
    fields: dict[str, Any] = {
        "export_id": uuid.uuid4(),
        "tenant_id": TENANT,
        "requested_by": "alice",
        "resource": "orders",
        "format": "csv",
        "filters": {},
        "notify": ("alice@example.com",),
        "status": JobStatus.QUEUED,
        "estimated_row_count": 42,
        "created_at": START,
        "expires_at": START + timedelta(days=30),
    }
    fields.update(overrides)
    return msgspec.convert(fields, ExportJob)


FILES = "/api/v1/files"


def import_job(**overrides: Any) -> ImportJob:
    """A QUEUED CSV upload of alice's at tenant acme, created at START."""
    file_id = overrides.pop("file_id", uuid.uuid4())
    fields: dict[str, Any] = {
        "file_id": file_id,
        "tenant_id": TENANT,
        "requested_by": "alice",
        "original_name": "orders.csv",
        "bucket": "conveyor-uploads",
        "object_key": f"uploads/{TENANT}/{file_id}/orders.csv",
        "file_type": "csv",
        "file_size_bytes": 120,
        "notify": ("alice@example.com",),
        "status": JobStatus.QUEUED,
        "created_at": START,
        "expires_at": START + timedelta(days=30),
    }
    fields.update(overrides)
    return msgspec.convert(fields, ImportJob)

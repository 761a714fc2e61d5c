"""The composition root: every adapter the API talks to the outside world through.

`real_adapters` builds them once from the settings; the unit tests build the
same bundle from fakes. `conveyor_producer.app.create_app` serves the features
over either.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from conveyor_aws import clients
from conveyor_aws.job_store import LeasedJobStore
from conveyor_aws.lasting_links import LinkRecords
from conveyor_aws.order_items import OrderItems
from conveyor_aws.publisher import EventPublisher
from conveyor_aws.state_store import ItemStore, StateStore
from conveyor_common.clock import Clock, utc_now
from conveyor_common.exports.job import EXPORT_JOBS
from conveyor_common.imports.job import IMPORT_JOBS
from conveyor_producer.acceptance.ports import Publisher
from conveyor_producer.database import Database
from conveyor_producer.exports.download_links import S3LinkSigner
from conveyor_producer.exports.listing import EXPORT_HISTORY
from conveyor_producer.exports.ports import ExportHistory, ExportStates, LinkSigner, RowCounter
from conveyor_producer.http.auth import TokenVerifier, verifier_from_settings
from conveyor_producer.http.lifespan import Resource
from conveyor_producer.http.readiness import AwsCheck, DatabaseCheck, ReadinessCheck
from conveyor_producer.imports.listing import IMPORT_HISTORY
from conveyor_producer.imports.ports import ImportHistory, ImportStates, UploadLimits, UploadStorage
from conveyor_producer.imports.storage import S3Uploads
from conveyor_producer.jobs.listing import SqlJobHistory
from conveyor_producer.links.ports import FileSigner, LinkStore
from conveyor_producer.links.signer import S3FileSigner
from conveyor_producer.orders.ports import OrderRecords, StoredOrders
from conveyor_producer.orders.stored import SqlStoredOrders
from conveyor_producer.settings import ProducerSettings


@dataclass(frozen=True, kw_only=True)
class Adapters:
    """The API's adapters; each feature takes the ones its ports name."""

    publisher: Publisher
    # The DynamoDB state table: Idempotency-Key records.
    state_table: ItemStore
    order_records: OrderRecords
    # PostgreSQL's orders: where imported orders are read.
    stored_orders: StoredOrders
    export_states: ExportStates
    row_counter: RowCounter
    export_history: ExportHistory
    signer: LinkSigner
    import_states: ImportStates
    import_history: ImportHistory
    # The private uploads bucket.
    uploads: UploadStorage
    upload_limits: UploadLimits
    verifier: TokenVerifier
    # Lasting links' records, in the state table, and the buckets they may lead into.
    link_records: LinkStore
    file_signer: FileSigner
    link_buckets: frozenset[str]
    readiness_checks: Sequence[ReadinessCheck]
    clock: Clock = utc_now
    # Opened when the app starts and closed when it stops (the PostgreSQL pool).
    resources: Sequence[Resource] = ()


class SharedAwsClients:
    """The AWS clients the adapters share, built as the app starts: else the first
    requests would wait for botocore to load its service models."""

    def open(self) -> None:
        clients.dynamodb()
        clients.sns()
        clients.s3()

    def close(self) -> None:
        pass


def real_adapters(settings: ProducerSettings) -> Adapters:
    """The adapters over AWS and PostgreSQL; the app opens the pool when it starts."""
    state_table = StateStore(table=settings.state_table)
    database = Database(settings.database_url)
    return Adapters(
        publisher=EventPublisher(topic_arn=settings.events_topic_arn),
        state_table=state_table,
        order_records=OrderItems(state_table),
        stored_orders=SqlStoredOrders(database),
        export_states=LeasedJobStore(state_table, EXPORT_JOBS),
        row_counter=database,
        export_history=SqlJobHistory(database, EXPORT_HISTORY),
        signer=S3LinkSigner(bucket=settings.exports_bucket),
        import_states=LeasedJobStore(state_table, IMPORT_JOBS),
        import_history=SqlJobHistory(database, IMPORT_HISTORY),
        uploads=S3Uploads(bucket=settings.uploads_bucket),
        upload_limits=UploadLimits(
            max_upload_bytes=settings.max_upload_bytes,
            max_presigned_bytes=settings.max_presigned_bytes,
            presigned_post_seconds=settings.presigned_post_seconds,
            presigned_grace_seconds=settings.presigned_grace_seconds,
        ),
        verifier=verifier_from_settings(settings),
        link_records=LinkRecords(state_table),
        file_signer=S3FileSigner(),
        link_buckets=frozenset({settings.exports_bucket, settings.uploads_bucket}),
        readiness_checks=(DatabaseCheck(database), AwsCheck(settings)),
        resources=(database, SharedAwsClients()),
    )

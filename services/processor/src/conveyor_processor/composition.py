"""The processor's use cases, each built once from the settings with its adapters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from sqlalchemy import Engine

from conveyor_aws.job_store import LeasedJobStore
from conveyor_aws.lasting_links import LinkRecords
from conveyor_aws.order_items import OrderItems
from conveyor_aws.publisher import EventPublisher
from conveyor_aws.state_store import StateStore
from conveyor_common.clock import Clock, utc_now
from conveyor_common.envelope import Envelope
from conveyor_common.exports.job import EXPORT_JOBS
from conveyor_common.imports.job import IMPORT_JOBS
from conveyor_processor.exports.files import S3ExportFiles
from conveyor_processor.exports.history import export_history
from conveyor_processor.exports.kind import ExportJobs, ExportRunner
from conveyor_processor.exports.render import PostgresRenderer
from conveyor_processor.imports.files import S3ImportFiles
from conveyor_processor.imports.history import import_history
from conveyor_processor.imports.kind import ImportJobs, ImportRunner
from conveyor_processor.imports.upserts import SqlOrderUpserts
from conveyor_processor.jobs.announcer import SnsAnnouncer
from conveyor_processor.jobs.email_links import EmailLinks
from conveyor_processor.orders import ports
from conveyor_processor.orders.persist import handle_order_submitted
from conveyor_processor.orders.repository import SqlOrderRepository
from conveyor_processor.settings import ProcessorSettings

# One delivery of one event; returns when the message may be acked.
Handler = Callable[[Envelope], object]


@dataclass(frozen=True)
class UseCases:
    orders: Handler
    # Without them the processor handles orders only.
    exports: Handler | None = None
    imports: Handler | None = None


def order_use_case(
    *,
    orders: ports.OrderRepository,
    read_model: ports.OrderReadModel,
    events: ports.EventPublisher,
    clock: Clock = utc_now,
) -> Handler:
    return partial(
        handle_order_submitted, orders=orders, read_model=read_model, events=events, clock=clock
    )


def email_links(settings: ProcessorSettings, store: StateStore) -> EmailLinks:
    return EmailLinks(LinkRecords(store), api_url=str(settings.public_api_url))


def export_runner(
    settings: ProcessorSettings, *, engine: Engine, store: StateStore, publisher: EventPublisher
) -> ExportRunner:
    """The export jobs' runner; each delivery's lease owner is the thread running it."""
    return ExportRunner(
        hooks=ExportJobs(
            history=export_history(engine),
            files=S3ExportFiles(
                bucket=settings.exports_bucket,
                links=email_links(settings, store),
                part_size_bytes=settings.export_part_size_bytes,
            ),
            render=PostgresRenderer(settings.database_url),
        ),
        states=LeasedJobStore(store, EXPORT_JOBS),
        announcer=SnsAnnouncer(publisher=publisher, store=store, kind=EXPORT_JOBS),
        lease_seconds=settings.export_lease_seconds,
    )


def import_runner(
    settings: ProcessorSettings, *, engine: Engine, store: StateStore, publisher: EventPublisher
) -> ImportRunner:
    """The import jobs' runner; each delivery's lease owner is the thread running it."""
    return ImportRunner(
        hooks=ImportJobs(
            history=import_history(engine),
            files=S3ImportFiles(
                links=email_links(settings, store),
                part_size_bytes=settings.export_part_size_bytes,
            ),
            upserts=SqlOrderUpserts(engine),
        ),
        states=LeasedJobStore(store, IMPORT_JOBS),
        announcer=SnsAnnouncer(publisher=publisher, store=store, kind=IMPORT_JOBS),
        lease_seconds=settings.import_lease_seconds,
    )


def use_cases(settings: ProcessorSettings, *, engine: Engine) -> UseCases:
    store = StateStore(table=settings.state_table)
    publisher = EventPublisher(topic_arn=settings.events_topic_arn)
    orders = order_use_case(
        orders=SqlOrderRepository(engine), read_model=OrderItems(store), events=publisher
    )
    exports = export_runner(settings, engine=engine, store=store, publisher=publisher)
    imports = import_runner(settings, engine=engine, store=store, publisher=publisher)
    return UseCases(orders=orders, exports=exports.run, imports=imports.run)

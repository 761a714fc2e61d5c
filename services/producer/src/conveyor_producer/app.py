"""The Litestar application factory; adapters are injectable for tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime

import anyio.to_thread
from litestar import Litestar, Router
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from conveyor_aws.job_store import LeasedJobStore
from conveyor_aws.publisher import EventPublisher
from conveyor_aws.state_store import ItemStore, StateStore
from conveyor_common.clock import utc_now
from conveyor_common.exports.job import EXPORT_JOBS
from conveyor_producer.auth import BearerAuthMiddleware, TokenVerifier, verifier_from_settings
from conveyor_producer.aws_budget import aws_budget_middleware
from conveyor_producer.correlation import correlation_middleware, echo_correlation_id
from conveyor_producer.database import Database
from conveyor_producer.download_links import S3LinkSigner
from conveyor_producer.export_routes import ExportsController
from conveyor_producer.export_service import ExportService
from conveyor_producer.handlers import OrderService
from conveyor_producer.ports import ExportDatabase, ExportStates, LinkSigner, Publisher
from conveyor_producer.problems import EXCEPTION_HANDLERS
from conveyor_producer.readiness import (
    AwsCheck,
    ReadinessCheck,
    ReadinessService,
    default_checks,
)
from conveyor_producer.routes import API_PREFIX, OrdersController, health, ready
from conveyor_producer.settings import ProducerSettings

SECURITY_SCHEME = "BearerToken"


def create_app(
    settings: ProducerSettings,
    *,
    publisher: Publisher | None = None,
    store: ItemStore | None = None,
    readiness_checks: Sequence[ReadinessCheck] | None = None,
    verifier: TokenVerifier | None = None,
    clock: Callable[[], datetime] = utc_now,
    export_states: ExportStates | None = None,
    database: ExportDatabase | None = None,
    signer: LinkSigner | None = None,
) -> Litestar:
    if publisher is None:
        publisher = EventPublisher(topic_arn=settings.events_topic_arn)
    state_store = StateStore(table=settings.state_table)
    store = store if store is not None else state_store
    # The app opens and closes the pool it makes; an injected database is the caller's.
    own_database: Database | None = None
    if database is None:
        database = own_database = Database(settings.database_url)
    service = OrderService(publisher=publisher, store=store, clock=clock)
    exports = ExportService(
        publisher=publisher,
        store=store,
        states=export_states
        if export_states is not None
        else LeasedJobStore(state_store, EXPORT_JOBS),
        database=database,
        signer=signer if signer is not None else S3LinkSigner(bucket=settings.exports_bucket),
        clock=clock,
    )
    if readiness_checks is None:
        readiness_checks = (
            default_checks(settings, own_database)
            if own_database is not None
            else [AwsCheck(settings)]
        )
    readiness = ReadinessService(readiness_checks)

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        if own_database is not None:
            await anyio.to_thread.run_sync(own_database.open)
        for check in readiness.checks:
            await anyio.to_thread.run_sync(check.open)
        try:
            yield
        finally:
            for check in readiness.checks:
                await anyio.to_thread.run_sync(check.close)
            if own_database is not None:
                await anyio.to_thread.run_sync(own_database.close)

    api = Router(
        path=API_PREFIX,
        route_handlers=[OrdersController, ExportsController],
        middleware=[
            DefineMiddleware(
                BearerAuthMiddleware,
                verifier=verifier if verifier is not None else verifier_from_settings(settings),
            )
        ],
        security=[{SECURITY_SCHEME: []}],
        dependencies={
            "orders": Provide(lambda: service, sync_to_thread=False),
            "exports": Provide(lambda: exports, sync_to_thread=False),
        },
    )
    return Litestar(
        route_handlers=[api, health, ready],
        dependencies={"readiness": Provide(lambda: readiness, sync_to_thread=False)},
        middleware=[
            correlation_middleware,
            aws_budget_middleware(settings.aws_request_budget_seconds),
        ],
        before_send=[echo_correlation_id],
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=[lifespan],
        request_max_body_size=settings.max_request_body_bytes,
        openapi_config=OpenAPIConfig(
            title="Conveyor producer",
            version="1.0.0",
            components=Components(
                security_schemes={
                    SECURITY_SCHEME: SecurityScheme(
                        type="http", scheme="bearer", bearer_format="JWT"
                    )
                }
            ),
        ),
        logging_config=None,
    )

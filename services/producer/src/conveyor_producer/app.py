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

from conveyor_aws.publisher import EventPublisher
from conveyor_aws.state_store import StateStore
from conveyor_producer.auth import BearerAuthMiddleware, TokenVerifier, verifier_from_settings
from conveyor_producer.correlation import correlation_middleware, echo_correlation_id
from conveyor_producer.handlers import OrderService, ReadinessService, utc_now
from conveyor_producer.ports import ItemStore, Publisher
from conveyor_producer.problems import EXCEPTION_HANDLERS
from conveyor_producer.readiness import ReadinessCheck, default_checks
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
) -> Litestar:
    service = OrderService(
        publisher=publisher
        if publisher is not None
        else EventPublisher(topic_arn=settings.events_topic_arn),
        store=store if store is not None else StateStore(table=settings.state_table),
        clock=clock,
    )
    readiness = ReadinessService(
        readiness_checks if readiness_checks is not None else default_checks(settings)
    )

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        for check in readiness.checks:
            await anyio.to_thread.run_sync(check.open)
        try:
            yield
        finally:
            for check in readiness.checks:
                await anyio.to_thread.run_sync(check.close)

    api = Router(
        path=API_PREFIX,
        route_handlers=[OrdersController],
        middleware=[
            DefineMiddleware(
                BearerAuthMiddleware,
                verifier=verifier if verifier is not None else verifier_from_settings(settings),
            )
        ],
        security=[{SECURITY_SCHEME: []}],
        dependencies={"orders": Provide(lambda: service, sync_to_thread=False)},
    )
    return Litestar(
        route_handlers=[api, health, ready],
        dependencies={"readiness": Provide(lambda: readiness, sync_to_thread=False)},
        middleware=[correlation_middleware],
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

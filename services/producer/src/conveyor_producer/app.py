"""The Litestar application: every feature's routes over one bundle of adapters."""

from __future__ import annotations

from litestar import Litestar, Router
from litestar.middleware import DefineMiddleware

from conveyor_producer.composition import Adapters, real_adapters
from conveyor_producer.exports.feature import EXPORTS
from conveyor_producer.http.auth import BearerAuthMiddleware
from conveyor_producer.http.aws_budget import aws_budget_middleware
from conveyor_producer.http.correlation import correlation_middleware, echo_correlation_id
from conveyor_producer.http.features import Feature, feature_services, provided
from conveyor_producer.http.lifespan import handler_threads, lifespan_of
from conveyor_producer.http.metrics import MetricsController, metrics_middleware
from conveyor_producer.http.openapi import SECURITY_SCHEME, openapi_config
from conveyor_producer.http.operations import READINESS, health, ready
from conveyor_producer.http.paths import API_PREFIX
from conveyor_producer.http.problems import exception_handlers
from conveyor_producer.http.readiness import ReadinessService
from conveyor_producer.http.tracing import tracing_hook, tracing_plugins
from conveyor_producer.imports.feature import FILES
from conveyor_producer.links.feature import LINKS
from conveyor_producer.orders.feature import ORDERS
from conveyor_producer.settings import ProducerSettings

# Every feature the API serves: a new one is its package and one entry here.
FEATURES: tuple[Feature[Adapters], ...] = (ORDERS, EXPORTS, FILES)
# Features outside the API's bearer token, each with a secret of its own.
PUBLIC_FEATURES: tuple[Feature[Adapters], ...] = (LINKS,)


def create_app(settings: ProducerSettings, adapters: Adapters) -> Litestar:
    api = Router(
        path=API_PREFIX,
        route_handlers=[feature.controller for feature in FEATURES],
        middleware=[DefineMiddleware(BearerAuthMiddleware, verifier=adapters.verifier)],
        security=[{SECURITY_SCHEME: []}],
        dependencies=feature_services(FEATURES, adapters),
    )
    return Litestar(
        route_handlers=[
            api,
            health,
            ready,
            MetricsController,
            *(feature.controller for feature in PUBLIC_FEATURES),
        ],
        dependencies={
            READINESS: provided(ReadinessService(adapters.readiness_checks)),
            **feature_services(PUBLIC_FEATURES, adapters),
        },
        middleware=[
            metrics_middleware(),
            correlation_middleware,
            aws_budget_middleware(settings.aws_request_budget_seconds),
        ],
        before_send=[echo_correlation_id],
        before_request=tracing_hook(),
        exception_handlers=exception_handlers(
            *(feature.problems for feature in (*FEATURES, *PUBLIC_FEATURES))
        ),
        lifespan=[handler_threads, lifespan_of([*adapters.resources, *adapters.readiness_checks])],
        request_max_body_size=settings.max_request_body_bytes,
        openapi_config=openapi_config(),
        plugins=tracing_plugins(),
        logging_config=None,
    )


def real_app(settings: ProducerSettings) -> Litestar:
    """The app over AWS and PostgreSQL, as `python -m conveyor_producer` serves it."""
    return create_app(settings, real_adapters(settings))

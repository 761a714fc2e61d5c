"""JSON structured logging; the correlation id rides in a context variable."""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from contextvars import ContextVar
from types import MappingProxyType

import structlog

from conveyor_common.settings import BaseConfig

# Libraries that log every request at INFO: only their warnings are kept.
_CHATTY_LOGGERS = ("botocore", "boto3", "urllib3", "s3transfer")

# The fields `correlation` binds, in one context variable of its own: every API request
# binds one, and structlog's bound_contextvars copies and scans the whole context to
# bind and again to unbind (a few per cent of a request, bench/api_overhead.py).
_bound: ContextVar[Mapping[str, str]] = ContextVar(
    "conveyor_log_fields", default=MappingProxyType({})
)


def configure_logging(service: str, config: BaseConfig) -> None:
    """Route structlog and the standard library (uvicorn, dramatiq, boto) to one stream."""
    shared = _shared_processors(service)
    structlog.configure(
        # Below the level, a call stops at the first processor: no time stamp, no context.
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    root = logging.getLogger()
    root.handlers[:] = [_stream_handler(shared, _renderer(config))]
    root.setLevel(config.log_level)
    for chatty in _CHATTY_LOGGERS:
        logging.getLogger(chatty).setLevel(logging.WARNING)


def _shared_processors(service: str) -> list[structlog.types.Processor]:
    """What every line goes through, whether structlog's or the standard library's."""

    def add_service(
        _: object, __: str, event: structlog.types.EventDict
    ) -> structlog.types.EventDict:
        event.setdefault("service", service)
        return event

    return [
        merge_bound_fields,
        add_service,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
    ]


def _renderer(config: BaseConfig) -> structlog.types.Processor:
    if config.log_json:
        return structlog.processors.JSONRenderer()
    return structlog.dev.ConsoleRenderer(colors=False)


def _stream_handler(
    shared: list[structlog.types.Processor], renderer: structlog.types.Processor
) -> logging.Handler:
    """One stream (stderr) for every logger, rendered by `renderer`."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                renderer,
            ],
        )
    )
    return handler


class correlation:  # noqa: N801 (used as a function: `with correlation(id):`)
    """Bind the correlation id (and more) to every log line inside the block."""

    # A class rather than a generator: the API enters one for every request.
    __slots__ = ("_fields", "_token")

    def __init__(self, correlation_id: str, **context: str) -> None:
        self._fields = {"correlation_id": correlation_id, **context}

    def __enter__(self) -> None:
        self._token = _bound.set({**_bound.get(), **self._fields})

    def __exit__(self, *_: object) -> None:
        _bound.reset(self._token)


def bound_fields() -> dict[str, str]:
    """The fields `correlation` has bound here, as every log line inside it gets them."""
    return dict(_bound.get())


def merge_bound_fields(
    _: object, __: str, event: structlog.types.EventDict
) -> structlog.types.EventDict:
    """What `correlation` bound, under the line's own fields (which win)."""
    for name, value in _bound.get().items():
        event.setdefault(name, value)
    return event


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger

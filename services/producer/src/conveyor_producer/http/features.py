"""A feature's share of the API, as the composition root registers it.

A feature package declares one Feature: its controller, the service its routes
are handed (built from the adapters it needs), and its failures' problem types.
`AdaptersT` is what the feature needs of the adapter bundle, usually a Protocol
naming just those adapters, so that no feature knows the others'.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from litestar import Controller
from litestar.di import Provide

from conveyor_producer.http.problems import ProblemTypes

T = TypeVar("T")
AdaptersT = TypeVar("AdaptersT")
AdaptersT_contra = TypeVar("AdaptersT_contra", contravariant=True)


@dataclass(frozen=True, kw_only=True)
class Feature(Generic[AdaptersT_contra]):
    controller: type[Controller]
    # The parameter name the controller's routes take the service under.
    service_name: str
    build_service: Callable[[AdaptersT_contra], object]
    problems: ProblemTypes


class _Value(Generic[T]):
    """A dependency answering with one value, built before the app starts."""

    def __init__(self, value: T) -> None:
        self._value = value

    def __call__(self) -> T:
        return self._value

    def __deepcopy__(self, memo: dict[int, object]) -> _Value[T]:
        # Litestar deep-copies a router as it registers it: the value must stay the one
        # built (the adapters it holds are the app's, and the tests').
        return self


def provided(value: object) -> Provide:
    """`value` as a dependency: every request is handed that same object."""
    return Provide(_Value(value), sync_to_thread=False)


def feature_services(
    features: Iterable[Feature[AdaptersT]], adapters: AdaptersT
) -> dict[str, Provide]:
    """Each feature's service, built once from `adapters`, as the dependency its routes take."""
    return {feature.service_name: provided(feature.build_service(adapters)) for feature in features}

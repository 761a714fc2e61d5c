"""The producer's integration tests: the real app over the throwaway stack."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient
from tests.integration.producer.test_orders import producer_settings

from conveyor_producer.app import real_app


@pytest.fixture
def client(aws: dict[str, str], db: str) -> Iterator[TestClient[Any]]:
    with TestClient(real_app(producer_settings(aws, db))) as test_client:
        yield test_client

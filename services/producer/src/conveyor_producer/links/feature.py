"""The links feature, as the composition root registers it: outside the API's router."""

from __future__ import annotations

from conveyor_producer.http.features import Feature
from conveyor_producer.links.ports import LinkAdapters
from conveyor_producer.links.problems import LINK_PROBLEMS
from conveyor_producer.links.routes import LinksController
from conveyor_producer.links.service import LinkService


def link_service(adapters: LinkAdapters) -> LinkService:
    return LinkService(
        records=adapters.link_records,
        signer=adapters.file_signer,
        buckets=adapters.link_buckets,
        clock=adapters.clock,
    )


LINKS: Feature[LinkAdapters] = Feature(
    controller=LinksController,
    service_name="links",
    build_service=link_service,
    problems=LINK_PROBLEMS,
)

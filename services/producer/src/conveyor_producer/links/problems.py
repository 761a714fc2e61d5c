"""The links feature's failures as problem types."""

from __future__ import annotations

from conveyor_producer.http.problems import ProblemType, ProblemTypes
from conveyor_producer.links.errors import LinkExpired, LinkNotFound

LINK_PROBLEMS: ProblemTypes = {
    LinkNotFound: ProblemType(404, "link-not-found", "No such link"),
    LinkExpired: ProblemType(410, "link-expired", "The link has expired"),
}

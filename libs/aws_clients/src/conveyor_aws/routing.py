"""Which events reach which service, declared once in routing.json next to this module.

infra/terraform/modules/messaging reads the same file with jsondecode(file(...)), so the
emulator bootstrap and a real deployment subscribe each queue to the same event types.
"""

from __future__ import annotations

from importlib.resources import files
from typing import Annotated

import msgspec

ROUTING_FILE = "routing.json"

# A service name becomes a queue name (conveyor-<service>, in Terraform too) and an
# environment variable (<SERVICE>_QUEUE): lower-case letters and digits only.
ServiceName = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9]*$")]
# An event type as conveyor_common.events names it (the envelope's event_type).
EventType = Annotated[str, msgspec.Meta(pattern=r"^[A-Z][A-Za-z0-9]*$")]


class InvalidRouting(ValueError):
    """routing.json is not a well-formed routing: no service would start right with it."""


class Routing(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    # What the file is for, in words: JSON has no comments.
    about: str
    # Each service's queue and the event types its subscription lets through.
    consumers: dict[ServiceName, tuple[EventType, ...]]

    def __post_init__(self) -> None:
        if not self.consumers:
            raise ValueError("no service consumes any event")
        for service, event_types in self.consumers.items():
            if not event_types:
                # SNS refuses an empty filter list; a queue that hears nothing is a mistake.
                raise ValueError(f"{service} consumes no event type")
            if len(set(event_types)) != len(event_types):
                raise ValueError(f"{service} lists an event type twice")


def load_routing(data: bytes | str) -> Routing:
    try:
        return msgspec.json.decode(data, type=Routing)
    except msgspec.ValidationError as exc:
        raise InvalidRouting(f"invalid {ROUTING_FILE}: {exc}") from exc
    except msgspec.DecodeError as exc:
        raise InvalidRouting(f"{ROUTING_FILE} is not JSON: {exc}") from exc


def packaged_routing() -> Routing:
    """The routing shipped with this package."""
    return load_routing(files("conveyor_aws").joinpath(ROUTING_FILE).read_bytes())

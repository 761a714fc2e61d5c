"""E-mail kinds: the e-mail an event sends, rendered from the packaged templates.

Pure apart from reading the templates. Each feature declares its kinds in its
own module (conveyor_notifier.orders.emails, conveyor_notifier.exports.emails)
and keeps its templates in its own folder under templates/; base.html and
base.txt, which every e-mail extends, stay at the top.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import jinja2

from conveyor_aws.mail import Email
from conveyor_common.envelope import Envelope
from conveyor_notifier.formatting import money

_templates = jinja2.Environment(
    loader=jinja2.PackageLoader("conveyor_notifier", "templates"),
    # Customer-provided text ends up in the HTML body; the text body must stay verbatim.
    autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)
_templates.filters["money"] = money

# Links a mail client may follow; anything else in a link is a bug upstream.
_LINK_SCHEMES = frozenset({"https", "http"})


class EmailKind(NamedTuple):
    """The e-mail one event type sends."""

    # Keys the e-mail's sent-once ledger entries: never renamed once some went out.
    name: str
    render: Callable[[Envelope], Email]


# E-mail kinds by the event type that sends them.
EmailKinds = Mapping[str, EmailKind]


def email_kinds(*tables: EmailKinds) -> EmailKinds:
    """The features' tables as one; an event type sends one e-mail at most."""
    combined: dict[str, EmailKind] = {}
    for table in tables:
        for event_type, kind in table.items():
            if event_type in combined:
                raise ValueError(f"two e-mails are declared for {event_type}")
            combined[event_type] = kind
    return MappingProxyType(combined)


def render_email(
    template: str, *, to: tuple[str, ...], subject: str, context: dict[str, Any]
) -> Email:
    """The e-mail from `template`.html and `template`.txt, e.g. "orders/confirmation"."""
    context = {**context, "subject": subject}
    return Email(
        to=to,
        subject=subject,
        html=_templates.get_template(f"{template}.html").render(context),
        text=_templates.get_template(f"{template}.txt").render(context),
    )


def recipients(addresses: tuple[str, ...]) -> tuple[str, ...]:
    """Each address once, in the order given."""
    return tuple(dict.fromkeys(addresses))


def checked_link(url: str) -> str:
    """The link itself, refused unless a mail client may safely follow it."""
    if urlsplit(url).scheme not in _LINK_SCHEMES:
        raise ValueError(f"refusing a link that is not http(s): {url!r}")
    return url

"""The order confirmation e-mail, rendered from its templates."""

from __future__ import annotations

from decimal import Decimal

import pytest
from tests.unit.notifier.conftest import OrderEnvelopeFactory

from conveyor_common.envelope import Event, UnexpectedEvent, wrap
from conveyor_common.orders import OrderItemRequest
from conveyor_notifier.orders.emails import render_order_confirmation


class _SomethingElse(Event, frozen=True, kw_only=True):
    event_type = "SomethingElse"


def test_html_escapes_customer_provided_text(order_envelope: OrderEnvelopeFactory) -> None:
    # given an order whose customer and item names contain markup
    envelope = order_envelope(
        customer_name='<script>alert("hi")</script>',
        items=[
            OrderItemRequest(
                sku="<i>SKU</i>", quantity=1, unit_price=Decimal("1"), name="<b>Bolts & nuts</b>"
            )
        ],
    )

    # when the confirmation is rendered
    email = render_order_confirmation(envelope)

    # then the markup is shown as text, never interpreted
    assert "<script>" not in email.html
    assert "&lt;script&gt;alert(&#34;hi&#34;)&lt;/script&gt;" in email.html
    assert "&lt;b&gt;Bolts &amp; nuts&lt;/b&gt;" in email.html
    assert "&lt;i&gt;SKU&lt;/i&gt;" in email.html
    assert "<b>" not in email.html


def test_text_version_keeps_names_verbatim_and_has_lines_and_total(
    order_envelope: OrderEnvelopeFactory,
) -> None:
    # given an order of 2 x 9.50 and 1 x 100 euros, by a customer with an ampersand in her name
    envelope = order_envelope(customer_name="Ada & Co")

    # when the confirmation is rendered
    email = render_order_confirmation(envelope)

    # then the text body lists every line and the total with two decimals and the currency
    assert "Hello Ada & Co," in email.text
    assert "SKU-1 Widget: 2 x 9.50 EUR = 19.00 EUR" in email.text
    assert "SKU-2: 1 x 100.00 EUR = 100.00 EUR" in email.text
    assert "Total: 119.00 EUR" in email.text


def test_html_has_an_item_row_per_line_and_the_total(order_envelope: OrderEnvelopeFactory) -> None:
    # given an order of two lines
    envelope = order_envelope()

    # when the confirmation is rendered
    email = render_order_confirmation(envelope)

    # then each line's figures and the total appear in the HTML table
    for figure in ("SKU-1", "Widget", "9.50 EUR", "19.00 EUR", "SKU-2", "100.00 EUR"):
        assert f">{figure}<" in email.html
    assert '<th align="right">119.00 EUR</th>' in email.html


def test_email_goes_to_the_customer_with_the_order_id_and_time(
    order_envelope: OrderEnvelopeFactory,
) -> None:
    # given an order submitted at 09:30 UTC
    envelope = order_envelope(customer_email="Grace@Example.com")
    order_id = str(envelope.payload.order.order_id)

    # when the confirmation is rendered
    email = render_order_confirmation(envelope)

    # then it is addressed to the customer and names the order and when it was submitted
    assert email.to == ("grace@example.com",)
    assert order_id in email.subject
    assert order_id in email.html
    assert order_id in email.text
    assert "2024-05-17 09:30 UTC" in email.text
    assert "2024-05-17 09:30 UTC" in email.html


def test_greeting_falls_back_to_the_email_address_without_a_name(
    order_envelope: OrderEnvelopeFactory,
) -> None:
    # given an order without a customer name
    envelope = order_envelope(customer_name=None, customer_email="anon@example.com")

    # when the confirmation is rendered
    email = render_order_confirmation(envelope)

    # then both bodies greet the e-mail address
    assert "Hello anon@example.com," in email.text
    assert "Hello anon@example.com," in email.html


def test_the_confirmation_refuses_another_event_type() -> None:
    # given an envelope of an event the confirmation is not for
    envelope = wrap(_SomethingElse(), tenant_id="tenant-1", correlation_id="corr-1")

    # when / then rendering it fails loudly
    with pytest.raises(UnexpectedEvent, match="SomethingElse"):
        render_order_confirmation(envelope)

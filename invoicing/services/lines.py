"""Invoice lines built from registrations and items, the handling fee, and the money of a set of
lines (totals, each line's share of its rate's tax).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from accounts.platform.money import line_net, round_money
from invoicing import totals as money
from invoicing.models import (
    Invoice,
    InvoiceLine,
    LineKind,
)
from invoicing.selectors import invoicing_settings
from projects.billing import due_units
from projects.models import (
    Item,
    Project,
    Registration,
)

HANDLING_FEE_CODE = "HANDLING"


def tax_of(product, tenant) -> tuple[str, Decimal]:
    if product is not None and product.tax_rate_id:
        return product.tax_rate.code, product.tax_rate.percent
    return "STD", tenant.default_tax_rate


def registration_line(registration: Registration, tenant, currency: str) -> InvoiceLine:
    event = registration.event
    quantity = due_units(registration)
    if registration.learner_id:
        who = registration.learner.full_name
    elif quantity == registration.places:
        who = f"{registration.places} place{'s' if registration.places != 1 else ''}"
    else:  # the rest of a block billed in parts
        who = f"{quantity.normalize():f} of {registration.places} places"
    dates = f"{event.start_date:%d %b %Y}" + (
        f" – {event.end_date:%d %b %Y}" if event.end_date != event.start_date else ""
    )
    title = (
        event.title
        if event.title == event.product.name
        else (f"{event.product.name}: {event.title}")
    )
    description = f"{title}, {dates}. {who}"
    if registration.po_reference and not registration.purchase_order_id:
        description += f" (ref. {registration.po_reference})"
    code, percent = tax_of(event.product, tenant)
    net = line_net(quantity, registration.unit_price, registration.discount_percent, currency)
    line = InvoiceLine(
        tenant_id=tenant.pk,
        kind=LineKind.REGISTRATION,
        registration_id=registration.pk,
        event_title=event.title,
        event_date=event.start_date,
        product_code=event.product.code,
        description=description,
        quantity=quantity,
        unit_price=registration.unit_price,
        discount_percent=registration.discount_percent,
        net=net,
        tax_code=code,
        tax_percent=percent,
    )
    if registration.prepurchase_id:
        line.kind = LineKind.PREPURCHASE
        line.prepaid_value = net
        line.net = round_money(Decimal(0), currency)
        line.description += f" Paid from prepurchase agreement {registration.prepurchase}."
    return line


def item_line(item: Item, tenant, currency: str) -> InvoiceLine:
    code, percent = tax_of(item.product, tenant)
    quantity = due_units(item)
    return InvoiceLine(
        tenant_id=tenant.pk,
        kind=LineKind.ITEM,
        item_id=item.pk,
        event_date=item.date,
        product_code=item.product.code,
        description=item.description or item.product.name,
        quantity=quantity,
        unit_price=item.unit_price,
        discount_percent=Decimal(0),
        net=line_net(quantity, item.unit_price, 0, currency),
        tax_code=code,
        tax_percent=percent,
    )


def handling_fee_line(project: Project, tenant, lines: Sequence[InvoiceLine]):
    """The project's handling fee on `lines`, as its own line, or None.

    Charged on the lines' net; on lines paid from a prepurchase agreement (their prepaid value)
    only when the invoicing settings say so (`fee_on_prepaid_lines`, off by default). Code and
    tax rate are the settings' handling-fee product's; without one the line is coded HANDLING
    and taxed at the rate of the lines it is charged on when they all share one, else at the
    company's default rate (a fee on mixed-rate lines has no single rate of its own).
    """
    if not project.handling_fee_percent:
        return None
    settings = invoicing_settings(tenant)
    charged = [
        line
        for line in lines
        if line.kind != LineKind.HANDLING_FEE
        and (settings.fee_on_prepaid_lines or line.kind != LineKind.PREPURCHASE)
    ]
    if not charged:
        return None
    base = sum((line.net + line.prepaid_value for line in charged), Decimal(0))
    fee = round_money(base * project.handling_fee_percent / Decimal(100), project.currency)
    product = settings.handling_fee_product
    if product is not None:
        code, percent = tax_of(product, tenant)
        product_code, label = product.code, product.name
    else:
        rates = {(line.tax_code, Decimal(line.tax_percent)) for line in charged}
        code, percent = rates.pop() if len(rates) == 1 else ("STD", tenant.default_tax_rate)
        product_code, label = HANDLING_FEE_CODE, "Handling fee"
    return InvoiceLine(
        tenant=tenant,
        kind=LineKind.HANDLING_FEE,
        product_code=product_code,
        description=f"{label} {project.handling_fee_percent.normalize():f} % of "
        f"{base:,.2f} {project.currency}",
        quantity=Decimal(1),
        unit_price=fee,
        net=fee,
        tax_code=code,
        tax_percent=percent,
    )


def share_taxes(invoice: Invoice, lines: list[InvoiceLine], result) -> None:
    """Each line's share of its rate's tax (for the exports), set in memory: lines are written
    with it, so a bulk run pays no extra query for it."""
    for line, tax in zip(
        lines, money.allocate_tax(lines, result.bands, invoice.currency), strict=True
    ):
        line.tax_amount = tax


def freeze_line_taxes(invoice: Invoice, lines: list[InvoiceLine], result) -> None:
    """Store the shares of lines already written (a changed draft; one query)."""
    share_taxes(invoice, lines, result)
    InvoiceLine.objects.bulk_update(lines, ["tax_amount"])


def store_totals(invoice: Invoice, lines: Iterable[InvoiceLine]) -> money.Totals:
    lines = list(lines)
    result = money.compute(lines, invoice.currency)
    invoice.net_total, invoice.tax_total, invoice.gross_total = (
        result.net,
        result.tax,
        result.gross,
    )
    return result

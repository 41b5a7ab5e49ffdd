"""Invoice lines built from registrations and items, the handling fee, and the money of a set of
lines (totals, each line's share of its rate's tax).

Every line's VAT treatment (category, code, rate, exemption) comes from `invoicing.vat`, through
the invoice's `VatContext` (the company and the billing account).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.db.models import Value
from django.db.models.functions import Concat

from accounts.platform.audit import audit
from accounts.platform.money import line_net, round_money
from agreements.models import Product
from invoicing import totals as money
from invoicing import vat
from invoicing.models import (
    ADVANCE_KINDS,
    Invoice,
    InvoiceLine,
    LineKind,
)
from invoicing.selectors import invoicing_settings
from projects.billing import ORDERED_STATUSES, due_units
from projects.models import (
    FeeKind,
    Item,
    Project,
    Registration,
)

HANDLING_FEE_CODE = "HANDLING"
FEE_LINE_KINDS = {
    FeeKind.CANCELLATION: LineKind.CANCELLATION_FEE,
    FeeKind.NO_SHOW: LineKind.NO_SHOW_FEE,
}


def line_title(event) -> str:
    """What a registration's line is called: the event's title, after its product's name
    unless the title names the product already ("First-time manager — Reading cohort 1")."""
    product = event.product.name
    if product.casefold() in event.title.casefold():
        return event.title
    return f"{product}: {event.title}"


def registration_line(
    registration: Registration, tenant, currency: str, taxes: vat.VatContext
) -> InvoiceLine:
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
    description = f"{line_title(event)}, {dates}. {who}"
    if registration.po_reference and not registration.purchase_order_id:
        description += f" (ref. {registration.po_reference})"
    net = line_net(quantity, registration.unit_price, registration.discount_percent, currency)
    line = InvoiceLine(
        tenant_id=tenant.pk,
        kind=LineKind.REGISTRATION,
        project_id=registration.project_id,
        registration_id=registration.pk,
        event_title=event.title,
        event_date=event.start_date,
        product_code=event.product.code,
        description=description,
        quantity=quantity,
        unit_price=registration.unit_price,
        discount_percent=registration.discount_percent,
        net=net,
    )
    taxes.for_product(event.product).apply(line)
    if registration.prepurchase_id:
        line.kind = LineKind.PREPURCHASE
        line.prepaid_value = net
        line.net = round_money(Decimal(0), currency)
        line.description += f" Paid from prepurchase agreement {registration.prepurchase}."
    return line


def item_line(item: Item, tenant, currency: str, taxes: vat.VatContext) -> InvoiceLine:
    quantity = due_units(item)
    line = InvoiceLine(
        tenant_id=tenant.pk,
        kind=LineKind.ITEM,
        project_id=item.project_id,
        item_id=item.pk,
        event_date=item.date,
        product_code=item.product.code,
        description=item.description or item.product.name,
        quantity=quantity,
        unit_price=item.unit_price,
        discount_percent=Decimal(0),
        net=line_net(quantity, item.unit_price, 0, currency),
    )
    if item.fee_kind:  # a late cancellation's or a no-show's fee: its own kind of line
        line.kind = FEE_LINE_KINDS[item.fee_kind]
    taxes.for_product(item.product).apply(line)
    return line


def handling_fee_line(
    project: Project, tenant, lines: Sequence[InvoiceLine], taxes: vat.VatContext
):
    """The project's handling fee on `lines` (that project's lines: on an invoice of several
    projects, each charges its own fee on its own lines), as its own line, or None.

    Charged on the lines' net; on lines paid from a prepurchase agreement (their prepaid value)
    only when the invoicing settings say so (`fee_on_prepaid_lines`, off by default). Code and
    VAT treatment are the settings' handling-fee product's (decided like any product's);
    without one the line is coded HANDLING and takes the treatment of the lines it is charged
    on when they all share one, else that of a service at the company's default rate (a fee
    on lines of mixed treatments has no single one of its own).
    """
    if not project.handling_fee_percent:
        return None
    settings = invoicing_settings(tenant)
    charged = [line for line in _charged(settings, lines) if line.project_id == project.pk]
    if not charged:
        return None
    base = sum((line.net + line.prepaid_value for line in charged), Decimal(0))
    fee = round_money(base * project.handling_fee_percent / Decimal(100), project.currency)
    product = settings.handling_fee_product
    if product is not None:
        product_code, label = product.code, product.name
    else:
        product_code, label = HANDLING_FEE_CODE, "Handling fee"
    line = InvoiceLine(
        tenant=tenant,
        kind=LineKind.HANDLING_FEE,
        project=project,
        product_code=product_code,
        description=f"{label} {project.handling_fee_percent.normalize():f} % of "
        f"{base:,.2f} {project.currency}",
        quantity=Decimal(1),
        unit_price=fee,
        net=fee,
    )
    fee_treatment(settings, charged, taxes).apply(line)
    return line


def _charged(settings, lines: Sequence[InvoiceLine]) -> list[InvoiceLine]:
    """The lines a handling fee is charged on (never a deposit or its deduction)."""
    return [
        line
        for line in lines
        if line.kind != LineKind.HANDLING_FEE
        and line.kind not in ADVANCE_KINDS
        and (settings.fee_on_prepaid_lines or line.kind != LineKind.PREPURCHASE)
    ]


def fee_treatment(settings, charged: Sequence[InvoiceLine], taxes: vat.VatContext):
    """The handling fee's VAT treatment: its product's, or the one the charged lines share,
    or a service's at the company's default rate."""
    if settings.handling_fee_product is not None:
        return taxes.for_product(settings.handling_fee_product)
    treatments = {vat.Treatment.of_line(line) for line in charged}
    return treatments.pop() if len(treatments) == 1 else taxes.for_product(None)


def deposit_treatment(project: Project, taxes: vat.VatContext) -> vat.Treatment:
    """A deposit's VAT treatment: the one the project's ordered products share (a deposit on an
    exempt course is exempt), else a service's at the company's default rate."""
    ordered = Registration.objects.filter(project=project, status__in=ORDERED_STATUSES)
    product_ids = set(ordered.values_list("event__product_id", flat=True).distinct()) | set(
        Item.objects.filter(project=project, billable=True)
        .values_list("product_id", flat=True)
        .distinct()
    )
    products = Product.objects.filter(pk__in=product_ids).select_related("tax_rate")
    treatments = {taxes.for_product(product) for product in products}
    return treatments.pop() if len(treatments) == 1 else taxes.for_product(None)


def redecide(tenant, invoice: Invoice, lines: list[InvoiceLine], taxes: vat.VatContext) -> None:
    """Decide the VAT treatment of a draft's lines again (their billing account's country, VAT
    id or override changed since they were drafted): in memory; the caller writes them.
    `lines` have their registration's event's product and their item's product loaded. A
    deposit deduction keeps its deposit's treatment."""
    kept = (LineKind.HANDLING_FEE, LineKind.ADMIN_FEE, LineKind.DEPOSIT_DEDUCTION)
    others = [line for line in lines if line.kind not in kept]
    for line in others:
        if line.kind == LineKind.DEPOSIT:
            deposit_treatment(invoice.project, taxes).apply(line)
            continue
        product = line.registration.event.product if line.registration_id else None
        if line.item_id:
            product = line.item.product
        taxes.for_product(product).apply(line)
    fees = [line for line in lines if line.kind in (LineKind.HANDLING_FEE, LineKind.ADMIN_FEE)]
    if fees:
        settings = invoicing_settings(tenant)
        for line in fees:  # each project's fee follows that project's lines
            charged = [other for other in others if other.project_id == line.project_id]
            fee_treatment(settings, _charged(settings, charged), taxes).apply(line)
    invoice.tax_basis = taxes.basis


# What deciding a line's VAT treatment again rewrites of it.
TAX_FIELDS = [
    "tax_category",
    "tax_code",
    "tax_percent",
    "exemption_reason_code",
    "exemption_reason",
    "tax_amount",
]


def redecide_draft(tenant, by, invoice: Invoice, taxes: vat.VatContext) -> list[InvoiceLine]:
    """Decide a draft's lines' VAT treatment again (its billing account's country, VAT id or
    override changed since it was drafted) and write them, with their shares of the tax, and
    say so in the invoice's history. The invoice's totals and `tax_basis` are set in memory
    (the caller saves them)."""
    before = invoice.tax_basis
    lines = list(
        invoice.lines.select_related(
            "registration__event__product__tax_rate", "item__product__tax_rate"
        ).order_by("position", "pk")
    )
    redecide(tenant, invoice, lines, taxes)
    result = store_totals(invoice, lines)
    share_taxes(invoice, lines, result)
    InvoiceLine.objects.bulk_update(lines, TAX_FIELDS)
    audit(
        tenant=tenant,
        actor=by,
        action="VAT treatment decided again",
        obj=invoice,
        before={"basis": before or "none"},
        after={
            "basis": invoice.tax_basis,
            "treatments": ", ".join(
                f"{band.category} {band.code} {band.percent.normalize():f} %"
                for band in result.bands
            ),
        },
    )
    return lines


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


def name_projects(invoice: Invoice, projects: Sequence[Project]) -> None:
    """On an invoice of several projects, each line's text starts with its project's code,
    written at issue (with the rest of the frozen texts), so that the PDF, the e-invoices and
    every export say which project a line bills. One statement per project."""
    if len(projects) < 2:
        return
    for project in projects:
        prefix = f"{project.code}: "
        InvoiceLine.objects.filter(invoice=invoice, project=project).exclude(
            description__startswith=prefix
        ).update(description=Concat(Value(prefix), "description"))

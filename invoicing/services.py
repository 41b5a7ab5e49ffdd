"""Every write of invoicing (DESIGN.md, "Invoices"): drafts, issuing, credit notes, payment."""

from __future__ import annotations

import datetime
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import groupby
from types import SimpleNamespace

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Prefetch, Q, Sum
from django.utils import timezone

from accounts.bulk import insert_rows
from accounts.money import round_money
from accounts.services import _check_tenant, _require_active, audit, audit_many, next_numbers
from agreements import services as agreement_services
from agreements.models import LedgerKind, PrepurchaseUnit
from invoicing import totals as money
from invoicing.models import (
    BillingClaim,
    ExchangeRate,
    Grouping,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceRun,
    InvoiceStatus,
    LineKind,
)
from projects.models import (
    Item,
    PrivateEvent,
    Project,
    ProjectStatus,
    Registration,
    RegistrationStatus,
)

HANDLING_FEE_CODE = "HANDLING"
CLAIM_CONFLICT = (
    "Some of these rows were invoiced by someone else a moment ago; reload the page "
    "and select again."
)
SEQUENCE_KEYS = {InvoiceKind.INVOICE: "invoice", InvoiceKind.CREDIT_NOTE: "credit_note"}


# --- What may be invoiced -----------------------------------------------------------------------


def project_problem(project: Project, *, include_internal: bool = True) -> str | None:
    if project.do_not_invoice:
        return "the project is marked “do not invoice”"
    if project.status == ProjectStatus.FINISHED:
        return "the project is finished"
    if project.project_type == "internal" and not include_internal:
        return "the project is internal"
    return None


def row_problem(row: Registration | Item, project: Project) -> str | None:
    """Why a registration or item cannot be invoiced now, or None if it can."""
    problem = project_problem(project)
    if problem:
        return problem
    if row.invoiced:
        return "it is on an invoice already"
    if isinstance(row, Registration):
        allowed = [RegistrationStatus.DELIVERED]
        if project.invoice_confirmed:
            allowed.append(RegistrationStatus.CONFIRMED)
        if row.status not in allowed:
            wanted = "delivered or confirmed" if project.invoice_confirmed else "delivered"
            return f"it is {row.get_status_display().lower()}; only {wanted} places are invoiced"
    elif not row.billable:
        return "the item is not billable"
    return None


def billed_total(project: Project, *, exclude: Invoice | None = None) -> Decimal:
    """Net billed on the project: issued invoices less credit notes, plus open drafts."""
    invoices = Invoice.objects.filter(project=project).exclude(status=InvoiceStatus.CANCELLED)
    if exclude is not None:
        invoices = invoices.exclude(pk=exclude.pk)
    return invoices.aggregate(total=Sum("net_total"))["total"] or Decimal(0)


def _check_max_billing(
    project: Project, adding: Decimal, *, exclude=None, pending: Decimal = Decimal(0)
) -> None:
    """`pending`: drafted in the same batch, not yet written."""
    if project.max_billing_amount is None:
        return
    billed = billed_total(project, exclude=exclude) + pending
    left = project.max_billing_amount - billed
    if adding > left:
        raise ValidationError(
            f"{project.code} may be billed at most {project.max_billing_amount:,.2f} "
            f"{project.currency}; {max(left, Decimal(0)):,.2f} is left and this invoice comes to "
            f"{adding:,.2f}."
        )


# --- Lines --------------------------------------------------------------------------------------


def _tax_of(product, tenant) -> tuple[str, Decimal]:
    if product is not None and product.tax_rate_id:
        return product.tax_rate.code, product.tax_rate.percent
    return "STD", tenant.default_tax_rate


def _registration_line(registration: Registration, tenant, currency: str) -> InvoiceLine:
    event = registration.event
    who = (
        registration.learner.full_name
        if registration.learner_id
        else (f"{registration.places} place{'s' if registration.places != 1 else ''}")
    )
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
    code, percent = _tax_of(event.product, tenant)
    net = money.line_net(
        registration.places, registration.unit_price, registration.discount_percent, currency
    )
    line = InvoiceLine(
        tenant_id=tenant.pk,
        kind=LineKind.REGISTRATION,
        registration_id=registration.pk,
        event_title=event.title,
        event_date=event.start_date,
        product_code=event.product.code,
        description=description,
        quantity=registration.places,
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


def _item_line(item: Item, tenant, currency: str) -> InvoiceLine:
    code, percent = _tax_of(item.product, tenant)
    return InvoiceLine(
        tenant_id=tenant.pk,
        kind=LineKind.ITEM,
        item_id=item.pk,
        event_date=item.date,
        product_code=item.product.code,
        description=item.description or item.product.name,
        quantity=item.quantity,
        unit_price=item.unit_price,
        discount_percent=Decimal(0),
        net=money.line_net(item.quantity, item.unit_price, 0, currency),
        tax_code=code,
        tax_percent=percent,
    )


def _handling_fee_line(project: Project, tenant, lines: Sequence[InvoiceLine]):
    if not project.handling_fee_percent:
        return None
    base = sum(
        (line.net + line.prepaid_value for line in lines if line.kind != LineKind.HANDLING_FEE),
        Decimal(0),
    )
    fee = round_money(base * project.handling_fee_percent / Decimal(100), project.currency)
    return InvoiceLine(
        tenant=tenant,
        kind=LineKind.HANDLING_FEE,
        product_code=HANDLING_FEE_CODE,
        description=f"Handling fee {project.handling_fee_percent.normalize():f} % of "
        f"{base:,.2f} {project.currency}",
        quantity=Decimal(1),
        unit_price=fee,
        net=fee,
        tax_code="STD",
        tax_percent=tenant.default_tax_rate,
    )


def _share_taxes(invoice: Invoice, lines: list[InvoiceLine], result) -> None:
    """Each line's share of its rate's tax (for the exports), set in memory: lines are written
    with it, so a bulk run pays no extra query for it."""
    for line, tax in zip(
        lines, money.allocate_tax(lines, result.bands, invoice.currency), strict=True
    ):
        line.tax_amount = tax


def _freeze_line_taxes(invoice: Invoice, lines: list[InvoiceLine], result) -> None:
    """Store the shares of lines already written (a changed draft; one query)."""
    _share_taxes(invoice, lines, result)
    InvoiceLine.objects.bulk_update(lines, ["tax_amount"])


def _store_totals(invoice: Invoice, lines: Iterable[InvoiceLine]) -> money.Totals:
    lines = list(lines)
    result = money.compute(lines, invoice.currency)
    invoice.net_total, invoice.tax_total, invoice.gross_total = (
        result.net,
        result.tax,
        result.gross,
    )
    return result


# --- Drafts -------------------------------------------------------------------------------------


def _group_key(grouping: str, row):
    registration = row if isinstance(row, Registration) else None
    po = (row.purchase_order.number if row.purchase_order_id else row.po_reference) or ""
    if grouping in (Grouping.ALL, Grouping.PROJECT):
        return ("",)
    if grouping == Grouping.BILLING_PO or grouping == Grouping.PURCHASE_ORDER:
        return (po,)
    if grouping == Grouping.EVENT:
        return ("event", registration.event_id) if registration else ("items", 0)
    if grouping == Grouping.REGISTRATION:
        return (type(row).__name__, row.pk)
    raise ValidationError("Choose how to group the invoices.")


def _sort_key(row):
    """A fixed order, so the result never depends on the order in which rows were picked."""
    if isinstance(row, Registration):
        return (0, row.event.start_date, row.event_id, row.pk)
    return (1, row.date, 0, row.pk)


@dataclass
class DraftGroup:
    """The rows of one invoice to be: a project's registrations and items, grouped."""

    project: Project
    rows: list
    po_reference: str = ""


def _grouped(project: Project, rows: list, grouping: str) -> list[DraftGroup]:
    """The invoices a selection makes, in an order that never depends on the selection's."""
    rows = sorted(rows, key=lambda row: (_group_key(grouping, row), _sort_key(row)))
    groups = []
    for key, group in groupby(rows, key=lambda row: _group_key(grouping, row)):
        group = list(group)
        po = (
            key[0]
            if grouping in (Grouping.BILLING_PO, Grouping.PURCHASE_ORDER)
            else _common_po(group)
        )
        groups.append(DraftGroup(project=project, rows=group, po_reference=po))
    return groups


def _draft_in_memory(tenant, by, group: DraftGroup, run) -> tuple[Invoice, list[InvoiceLine]]:
    project = group.project
    invoice = Invoice(
        tenant=tenant,
        project=project,
        billing_account=project.billing_account,
        currency=project.currency,
        po_reference=group.po_reference[:60],
        tags=project.tags,
        external_notes=project.external_notes,
        run=run,
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    lines = [
        _registration_line(row, tenant, project.currency)
        if isinstance(row, Registration)
        else _item_line(row, tenant, project.currency)
        for row in group.rows
    ]
    fee = _handling_fee_line(project, tenant, lines)
    if fee is not None:
        lines.append(fee)
    _share_taxes(invoice, lines, _store_totals(invoice, lines))
    for position, line in enumerate(lines):
        line.position = position
    return invoice, lines


def _write_drafts(*, tenant, by, groups: Sequence[DraftGroup], run=None) -> list[Invoice]:
    """Draft one invoice per group, all in the caller's transaction: a few statements for the
    lot (invoices, lines, claims, flags, audit), however many invoices and lines there are.

    The groups' projects are locked first (in one order, so two writers cannot deadlock), so
    the maximum billing amount is checked against what is really billed.
    """
    project_ids = sorted({group.project.pk for group in groups})
    list(Project.objects.select_for_update().filter(pk__in=project_ids).order_by("pk"))
    drafts = [_draft_in_memory(tenant, by, group, run) for group in groups]
    drafting: dict[int, Decimal] = defaultdict(Decimal)  # drafted in this batch, per project
    for group, (invoice, _lines) in zip(groups, drafts, strict=True):
        _check_max_billing(group.project, invoice.net_total, pending=drafting[group.project.pk])
        drafting[group.project.pk] += invoice.net_total
    invoices = Invoice.objects.bulk_create([invoice for invoice, _lines in drafts])
    lines = []
    for invoice, invoice_lines in drafts:
        for line in invoice_lines:
            line.invoice = invoice
        lines.extend(invoice_lines)
    insert_rows(InvoiceLine, lines)
    _claim(invoices, lines)
    audit_many(
        tenant=tenant,
        actor=by,
        action="draft created",
        changes=[
            (invoice, None, {"lines": len(group.rows), "net": invoice.net_total})
            for group, invoice in zip(groups, invoices, strict=True)
        ],
    )
    return invoices


def _claim(invoices: Sequence[Invoice], lines: Sequence[InvoiceLine]) -> None:
    """Claim the sources of the invoices' lines; unique constraints refuse a second live claim.

    The claims are copied from the lines just written by one INSERT … SELECT: a bulk run then
    builds no claim objects in Python.
    """
    claim, line = BillingClaim._meta, InvoiceLine._meta
    columns = [claim.get_field(name).column for name in ("tenant", "line", "registration", "item")]
    sources = [line.get_field(name).column for name in ("tenant", "id", "registration", "item")]
    invoice_column, registration_column, item_column = (
        line.get_field(name).column for name in ("invoice", "registration", "item")
    )
    qn = connection.ops.quote_name
    # A second live claim violates a unique constraint: the IntegrityError ends the caller's
    # transaction and is turned into CLAIM_CONFLICT where that transaction is opened.
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {qn(claim.db_table)} ({', '.join(map(qn, columns))}) "
            f"SELECT {', '.join(map(qn, sources))} FROM {qn(line.db_table)} "
            f"WHERE {qn(invoice_column)} IN ({', '.join(['%s'] * len(invoices))}) "
            f"AND ({qn(registration_column)} IS NOT NULL OR {qn(item_column)} IS NOT NULL)",
            [invoice.pk for invoice in invoices],
        )
    registration_ids = [line.registration_id for line in lines if line.registration_id]
    item_ids = [line.item_id for line in lines if line.item_id]
    if registration_ids:
        Registration.objects.filter(pk__in=registration_ids).update(invoiced=True)
    if item_ids:
        Item.objects.filter(pk__in=item_ids).update(invoiced=True)


def _release(lines: Iterable[InvoiceLine]) -> None:
    lines = list(lines)
    BillingClaim.objects.filter(line__in=lines).delete()
    registration_ids = [line.registration_id for line in lines if line.registration_id]
    item_ids = [line.item_id for line in lines if line.item_id]
    if registration_ids:
        Registration.objects.filter(pk__in=registration_ids).update(invoiced=False)
    if item_ids:
        Item.objects.filter(pk__in=item_ids).update(invoiced=False)


# What drafting reads of a registration (a bulk run loads thousands): the rest stays deferred.
LINE_SOURCE_FIELDS = (
    "tenant",
    "project",
    "event",
    "places",
    "status",
    "unit_price",
    "discount_percent",
    "net_amount",
    "invoiced",
    "po_reference",
    "learner__first_name",
    "learner__last_name",
    "purchase_order__number",
    "prepurchase__number",
    "prepurchase__name",
)


def _load_rows(
    projects: Sequence[Project], registration_ids, item_ids, *, strict: bool = True
) -> dict[int, list]:
    """The selected registrations and items of the projects, per project id, in a few queries
    however many projects there are. `strict`: refused if any of them is not found in those
    projects (a bulk run skips rows deleted since it found them)."""
    registration_ids, item_ids = set(registration_ids), set(item_ids)
    # Events, products and tax rates are shared by many rows: prefetched once, not joined into
    # (and instantiated for) every registration.
    registrations = list(
        Registration.objects.filter(project__in=projects, pk__in=list(registration_ids))
        .order_by()  # sorted in Python (_sort_key): no join to events for the default order
        .select_related("learner", "purchase_order", "prepurchase")
        .only(*LINE_SOURCE_FIELDS)
        .prefetch_related(
            Prefetch("event", queryset=PrivateEvent.objects.select_related("product__tax_rate"))
        )
    )
    items = list(
        Item.objects.filter(project__in=projects, pk__in=list(item_ids)).select_related(
            "product__tax_rate", "purchase_order"
        )
    )
    if strict and (len(registrations) != len(registration_ids) or len(items) != len(item_ids)):
        raise ValidationError("Some of the selected rows do not belong to this project.")
    rows = {project.pk: [] for project in projects}
    for row in registrations + items:
        rows[row.project_id].append(row)
    return rows


def drafts_create(**kwargs) -> list[Invoice]:
    """Draft invoices for the selected registrations and items of one project: all or none."""
    try:
        return _drafts_create(**kwargs)
    except IntegrityError:
        raise ValidationError(CLAIM_CONFLICT) from None


@transaction.atomic
def _drafts_create(
    *,
    tenant,
    by,
    project: Project,
    registration_ids: Iterable[int] = (),
    item_ids: Iterable[int] = (),
    grouping: str = Grouping.ALL,
    run: InvoiceRun | None = None,
) -> list[Invoice]:
    """Draft invoices for the selected registrations and items of one project: all or none."""
    _require_active(tenant)
    _check_tenant(tenant, project)
    project = (
        Project.objects.select_for_update().select_related("billing_account").get(pk=project.pk)
    )
    rows = _load_rows([project], registration_ids, item_ids)[project.pk]
    if not rows:
        raise ValidationError("Select at least one registration or item to invoice.")
    problems = [f"{row}: {problem}" for row in rows if (problem := row_problem(row, project))]
    if problems:
        raise ValidationError(problems)
    return _write_drafts(tenant=tenant, by=by, groups=_grouped(project, rows, grouping), run=run)


def _common_po(rows) -> str:
    references = {
        (row.purchase_order.number if row.purchase_order_id else row.po_reference) for row in rows
    }
    return references.pop() if len(references) == 1 else ""


def _lock_draft(invoice: Invoice) -> Invoice:
    invoice = (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("project", "billing_account")
        .get(pk=invoice.pk)
    )
    if not invoice.is_draft:
        raise ValidationError(f"{invoice} is issued: it cannot be changed, only credited.")
    return invoice


@transaction.atomic
def draft_line_update(*, tenant, by, line: InvoiceLine, quantity, unit_price) -> InvoiceLine:
    """Adjust what a draft invoices of one row: quantity (at most the row's) and unit price."""
    _require_active(tenant)
    _check_tenant(tenant, line)
    invoice = _lock_draft(line.invoice)
    line = InvoiceLine.objects.select_related("registration", "item").get(pk=line.pk)
    if line.kind == LineKind.HANDLING_FEE:
        raise ValidationError("The handling fee follows the other lines; change those instead.")
    source_quantity = line.registration.places if line.registration_id else line.item.quantity
    quantity, unit_price = Decimal(quantity), Decimal(unit_price)
    if quantity <= 0 or quantity > source_quantity:
        raise ValidationError(
            f"Invoice between 1 and {Decimal(source_quantity).normalize():f} of this row."
        )
    if unit_price < 0:
        raise ValidationError("A unit price cannot be negative.")
    before = {"quantity": line.quantity, "unit_price": line.unit_price}
    line.quantity = quantity
    line.unit_price = round_money(unit_price, invoice.currency)
    net = money.line_net(quantity, line.unit_price, line.discount_percent, invoice.currency)
    if line.kind == LineKind.PREPURCHASE:
        line.prepaid_value = net
    else:
        line.net = net
    line.save()
    _refresh_draft(tenant, invoice)
    audit(
        tenant=tenant,
        actor=by,
        action="draft line changed",
        obj=invoice,
        before=before,
        after={"quantity": line.quantity, "unit_price": line.unit_price},
    )
    return line


def _refresh_draft(tenant, invoice: Invoice) -> None:
    lines = list(invoice.lines.all())
    fee_lines = [line for line in lines if line.kind == LineKind.HANDLING_FEE]
    others = [line for line in lines if line.kind != LineKind.HANDLING_FEE]
    fee = _handling_fee_line(invoice.project, tenant, others)
    for old in fee_lines:
        old.delete()
    if fee is not None:
        fee.invoice = invoice
        fee.position = len(others)
        fee.save()
        others.append(fee)
    _freeze_line_taxes(invoice, others, _store_totals(invoice, others))
    _check_max_billing(invoice.project, invoice.net_total, exclude=invoice)
    invoice.save(update_fields=["net_total", "tax_total", "gross_total"])


@transaction.atomic
def draft_delete(*, tenant, by, invoice: Invoice) -> None:
    """Delete a draft; its registrations and items can be invoiced again."""
    _require_active(tenant)
    _check_tenant(tenant, invoice)
    invoice = _lock_draft(invoice)
    audit(
        tenant=tenant,
        actor=by,
        action="draft deleted",
        obj=invoice,
        before={"net": invoice.net_total, "lines": invoice.lines.count()},
    )
    _release(invoice.lines.all())
    invoice.delete()


# --- Issuing ------------------------------------------------------------------------------------


def rate_for(tenant, currency: str, day: datetime.date) -> Decimal:
    if currency == tenant.base_currency:
        return Decimal(1)
    rate = ExchangeRate.objects.filter(currency=currency, date__lte=day).order_by("-date").first()
    if rate is None:
        raise ValidationError(
            f"There is no {currency} → {tenant.base_currency} exchange rate for "
            f"{day:%d %b %Y}: enter it under Invoicing → Exchange rates, then issue again."
        )
    return rate.rate


SNAPSHOT_FIELDS = [
    "seller_name",
    "seller_address",
    "seller_vat_number",
    "billing_name",
    "billing_account_number",
    "billing_address",
    "billing_tax_id",
    "payment_terms_days",
]


def _snapshot(invoice: Invoice, tenant) -> None:
    account = invoice.billing_account
    invoice.seller_name = tenant.name
    invoice.seller_address = tenant.address
    invoice.seller_vat_number = tenant.vat_number
    invoice.billing_name = account.name
    invoice.billing_account_number = account.number
    invoice.billing_address = "\n".join(
        part
        for part in (
            account.address,
            f"{account.postal_code} {account.city}".strip(),
            account.country,
        )
        if part
    )
    invoice.billing_tax_id = account.tax_id
    invoice.payment_terms_days = tenant.payment_terms_days


def _number(tenant, invoices: Sequence[Invoice]) -> None:
    """Give each document the next number of its kind, in the given order, gapless."""
    for kind, prefix in (
        (InvoiceKind.INVOICE, tenant.invoice_prefix),
        (InvoiceKind.CREDIT_NOTE, tenant.credit_note_prefix),
    ):
        documents = [invoice for invoice in invoices if invoice.kind == kind]
        if not documents:
            continue
        numbers = next_numbers(tenant=tenant, key=SEQUENCE_KEYS[kind], count=len(documents))
        for invoice, number in zip(documents, numbers, strict=True):
            invoice.sequence_number = number
            invoice.number = f"{prefix}{number:05d}"


def _stored_bands(invoices: Sequence[Invoice]) -> dict[int, list[SimpleNamespace]]:
    """Each invoice's lines summed per tax rate by the database: what issuing needs of them,
    without loading every line of a large invoice."""
    bands = defaultdict(list)
    rows = (
        InvoiceLine.objects.filter(invoice__in=[invoice.pk for invoice in invoices])
        .order_by()
        .values("invoice_id", "tax_code", "tax_percent")
        .annotate(
            net=Sum("net"),
            tax_shares=Sum("tax_amount"),
            unshared_lines=Count("pk", filter=Q(tax_amount__isnull=True)),
            prepurchase_lines=Count("pk", filter=Q(kind=LineKind.PREPURCHASE)),
        )
    )
    for row in rows:
        bands[row.pop("invoice_id")].append(SimpleNamespace(**row))
    return bands


ISSUE_FIELDS = [
    "number",
    "sequence_number",
    "status",
    "exchange_rate",
    "issue_date",
    "due_date",
    "issued_at",
    "net_total",
    "tax_total",
    "gross_total",
    *SNAPSHOT_FIELDS,
]


@transaction.atomic
def invoice_issue(
    *, tenant, by, invoice: Invoice, on_date: datetime.date | None = None, render_pdf: bool = True
) -> Invoice:
    """Number, freeze and issue a draft (see `_issue_drafts`)."""
    _require_active(tenant)
    _check_tenant(tenant, invoice)
    (issued,) = _issue_drafts(
        tenant=tenant, by=by, invoice_ids=[invoice.pk], on_date=on_date, render_pdf=render_pdf
    )
    return issued


def _issue_drafts(
    *, tenant, by, invoice_ids: Sequence[int], on_date=None, render_pdf: bool = True
) -> list[Invoice]:
    """Number, freeze and issue drafts, all in the caller's transaction, numbered in the order
    of their ids. The numbers come from the tenant's counter row, locked until the transaction
    ends, so they are gapless (a rollback gives them back). Any draft that cannot be issued
    refuses the lot."""
    invoices = list(
        Invoice.objects.select_for_update(of=("self",))
        .select_related("project", "billing_account")
        .filter(pk__in=invoice_ids)
        .order_by("pk")
    )
    if len(invoices) != len(set(invoice_ids)):
        raise ValidationError("Some of these drafts were deleted meanwhile; reload the page.")
    for invoice in invoices:
        if not invoice.is_draft:
            raise ValidationError(f"{invoice} is issued: it cannot be changed, only credited.")
    bands = _stored_bands(invoices)
    day = on_date or timezone.localdate()
    rates: dict[str, Decimal] = {}
    for invoice in invoices:
        invoice_bands = bands.get(invoice.pk)
        if not invoice_bands:
            raise ValidationError(f"{invoice}: a draft without lines cannot be issued.")
        if invoice.kind == InvoiceKind.INVOICE:
            _check_max_billing(invoice.project, invoice.net_total, exclude=invoice)
            if invoice.currency not in rates:
                rates[invoice.currency] = rate_for(tenant, invoice.currency, day)
            invoice.exchange_rate = rates[invoice.currency]
            if any(band.prepurchase_lines for band in invoice_bands):
                for line in invoice.lines.filter(kind=LineKind.PREPURCHASE):
                    _use_prepurchase(tenant, by, invoice, line, day)
        _snapshot(invoice, tenant)
        totals = money.compute(invoice_bands, invoice.currency)
        invoice.net_total, invoice.tax_total, invoice.gross_total = (
            totals.net,
            totals.tax,
            totals.gross,
        )
        stored_shares = {
            (band.tax_code, band.tax_percent): band.tax_shares for band in invoice_bands
        }
        if any(band.unshared_lines for band in invoice_bands) or any(
            stored_shares[(band.code, band.percent)] != band.tax for band in totals.bands
        ):  # drafts keep their shares up to date; this is the safety net
            _freeze_line_taxes(invoice, list(invoice.lines.all()), totals)
        invoice.status = InvoiceStatus.ISSUED
        invoice.issue_date = day
        invoice.due_date = day + datetime.timedelta(days=tenant.payment_terms_days)
        invoice.issued_at = timezone.now()
    _number(tenant, invoices)
    Invoice.objects.bulk_update(invoices, ISSUE_FIELDS)
    audit_many(
        tenant=tenant,
        actor=by,
        action="issued",
        changes=[
            (
                invoice,
                {"status": "draft"},
                {"number": invoice.number, "net": invoice.net_total, "gross": invoice.gross_total},
            )
            for invoice in invoices
        ],
    )
    if render_pdf:
        from accounts.tasking import enqueue_on_commit
        from invoicing.tasks import render_invoice_pdf

        for invoice in invoices:
            enqueue_on_commit(render_invoice_pdf, tenant=tenant, invoice_id=invoice.pk)
    return invoices


def _use_prepurchase(tenant, by, invoice, line: InvoiceLine, day) -> None:
    registration = Registration.objects.select_related("prepurchase", "event__product").get(
        pk=line.registration_id
    )
    agreement = registration.prepurchase
    if agreement.unit == PrepurchaseUnit.TRAINING_UNITS:
        per_place = registration.event.product.training_units_price or Decimal(0)
        amount = per_place * line.quantity
    else:
        amount = line.prepaid_value
    if amount <= 0:
        return
    entry = agreement_services.prepurchase_use(
        tenant=tenant,
        by=by,
        agreement=agreement,
        amount=amount,
        reference=f"{registration} on invoice",
        on_date=min(day, agreement.end_date),
    )
    line.prepurchase_entry = entry
    line.save(update_fields=["prepurchase_entry"])


# --- Credit notes and payment -------------------------------------------------------------------


@transaction.atomic
def invoice_credit(
    *, tenant, by, invoice: Invoice, line_ids: Iterable[int] | None = None, reason: str = ""
) -> Invoice:
    """Credit an issued invoice in full or by lines: a new numbered credit note with the lines
    negated. Its registrations and items are released, so they can be invoiced again."""
    _require_active(tenant)
    _check_tenant(tenant, invoice)
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.is_credit_note:
        raise ValidationError("A credit note cannot be credited.")
    if invoice.status not in (InvoiceStatus.ISSUED, InvoiceStatus.PAID):
        raise ValidationError(
            f"{invoice} is {invoice.get_status_display().lower()}: only "
            "issued invoices are credited (a draft is simply deleted)."
        )
    open_lines = list(
        invoice.lines.filter(credited_by__isnull=True).select_related("prepurchase_entry")
    )
    if line_ids is not None:
        wanted = set(line_ids)
        chosen = [line for line in open_lines if line.pk in wanted]
        if len(chosen) != len(wanted):
            raise ValidationError(
                "Some of those lines are credited already or not on this invoice."
            )
    else:
        chosen = open_lines
    if not chosen:
        raise ValidationError("Every line of this invoice is credited already.")
    note = Invoice(
        tenant=tenant,
        kind=InvoiceKind.CREDIT_NOTE,
        credits=invoice,
        project=invoice.project,
        billing_account=invoice.billing_account,
        currency=invoice.currency,
        exchange_rate=invoice.exchange_rate,
        po_reference=invoice.po_reference,
        tags=invoice.tags,
        external_notes=reason or f"Credit for {invoice.number}.",
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    note.save()
    credit_lines = [
        InvoiceLine(
            tenant=tenant,
            invoice=note,
            kind=line.kind,
            registration=line.registration,
            item=line.item,
            credited_line=line,
            position=position,
            event_title=line.event_title,
            event_date=line.event_date,
            product_code=line.product_code,
            description=f"Credit: {line.description}",
            quantity=line.quantity,
            unit_price=-line.unit_price,
            discount_percent=line.discount_percent,
            net=-line.net,
            prepaid_value=-line.prepaid_value,
            tax_code=line.tax_code,
            tax_percent=line.tax_percent,
        )
        for position, line in enumerate(chosen)
    ]
    _share_taxes(note, credit_lines, _store_totals(note, credit_lines))
    InvoiceLine.objects.bulk_create(credit_lines)
    for line in chosen:
        if line.prepurchase_entry_id and line.prepurchase_entry.kind == LedgerKind.USE:
            agreement_services.prepurchase_reverse(
                tenant=tenant,
                by=by,
                entry=line.prepurchase_entry,
                reason=f"Credited on {invoice.number}",
            )
    _release(chosen)
    _snapshot(note, tenant)
    _number(tenant, [note])
    day = timezone.localdate()
    note.status = InvoiceStatus.ISSUED
    note.issue_date = note.due_date = day
    note.issued_at = timezone.now()
    note.save()
    if len(chosen) == len(open_lines):
        invoice.status = InvoiceStatus.CANCELLED
        invoice.save(update_fields=["status"])
    audit(
        tenant=tenant,
        actor=by,
        action="issued",
        obj=note,
        after={
            "number": note.number,
            "credits": invoice.number,
            "net": note.net_total,
            "reason": reason,
        },
    )
    audit(
        tenant=tenant,
        actor=by,
        action="credited",
        obj=invoice,
        after={
            "credit_note": note.number,
            "lines": len(chosen),
            "net": note.net_total,
            "reason": reason,
        },
    )
    from accounts.tasking import enqueue_on_commit
    from invoicing.tasks import render_invoice_pdf

    enqueue_on_commit(render_invoice_pdf, tenant=tenant, invoice_id=note.pk)
    return note


@transaction.atomic
def invoice_mark_paid(
    *, tenant, by, invoice: Invoice, paid_on: datetime.date | None = None
) -> Invoice:
    _require_active(tenant)
    _check_tenant(tenant, invoice)
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status != InvoiceStatus.ISSUED or invoice.is_credit_note:
        raise ValidationError(
            f"{invoice} is {invoice.get_status_display().lower()}: only an "
            "issued invoice can be marked paid."
        )
    invoice.status = InvoiceStatus.PAID
    invoice.paid_on = paid_on or timezone.localdate()
    invoice.save(update_fields=["status", "paid_on"])
    audit(
        tenant=tenant,
        actor=by,
        action="marked paid",
        obj=invoice,
        before={"status": "issued"},
        after={"status": "paid", "paid_on": invoice.paid_on},
    )
    return invoice


@transaction.atomic
def exchange_rate_save(*, tenant, by, rate: ExchangeRate) -> ExchangeRate:
    _require_active(tenant)
    rate.tenant = tenant
    rate.currency = rate.currency.upper()
    if rate.currency == tenant.base_currency:
        raise ValidationError(
            {"currency": f"{tenant.base_currency} is your base currency: it needs no rate."}
        )
    rate.full_clean()
    rate.save()
    return rate


def invoices_of_project(project: Project):
    return Invoice.objects.filter(project=project).select_related("billing_account")


def open_balance(account_id) -> Decimal:
    """What the billing account owes: issued and paid invoices less credit notes (gross)."""
    return Invoice.objects.filter(billing_account_id=account_id).exclude(
        Q(status=InvoiceStatus.DRAFT)
    ).aggregate(total=Sum("gross_total"))["total"] or Decimal(0)


# --- Bulk runs ----------------------------------------------------------------------------------


@transaction.atomic
def run_start(*, tenant, by, key: str, selection: dict, grouping: str) -> tuple[InvoiceRun, bool]:
    """Start a bulk run, or return the run this key started already (a double click, a replayed
    form). The drafting task is queued once the run row is committed."""
    _require_active(tenant)
    if grouping not in Grouping.values or grouping == Grouping.ALL:
        raise ValidationError("Choose how to group the invoices.")
    run, created = InvoiceRun.objects.get_or_create(
        tenant=tenant,
        key=key[:64],
        defaults={
            "created_by": by if getattr(by, "is_authenticated", False) else None,
            "selection": selection,
            "grouping": grouping,
        },
    )
    if created:
        from accounts.tasking import enqueue_on_commit
        from invoicing.tasks import draft_run

        enqueue_on_commit(draft_run, tenant=tenant, run_id=run.pk)
    return run, created


PROGRESS_EVERY_SECONDS = 0.3
COUNTERS = ("processed", "invoices_created", "invoices_issued", "errors")


def _update_run(run: InvoiceRun, *, progress: bool = False, **fields) -> None:
    """Record a run's state. Progress ticks are written at most every PROGRESS_EVERY_SECONDS
    (the page polls every second); any other update writes every counter at once."""
    for name, value in fields.items():
        setattr(run, name, value)
    now = time.monotonic()
    if progress and now - getattr(run, "_written_at", 0.0) < PROGRESS_EVERY_SECONDS:
        return
    run._written_at = now
    InvoiceRun.objects.filter(pk=run.pk).update(
        **{name: getattr(run, name) for name in {*COUNTERS, *fields}}
    )


# Invoices per transaction in a bulk run: each batch is written whole or not at all, in a few
# statements (most of a run's time was the fixed cost of a transaction per invoice).
RUN_BATCH = 25


def _draft_batch(tenant, run: InvoiceRun, groups: list[DraftGroup], errors: list[str]) -> None:
    """Draft a batch in one transaction; if anything in it is refused, draft its invoices one
    by one, so that only the refused ones are left out, each with its reason."""
    try:
        with transaction.atomic():
            _write_drafts(tenant=tenant, by=run.created_by, groups=groups, run=run)
        created = len(groups)
    except (ValidationError, IntegrityError) as error:
        if len(groups) > 1:
            for group in groups:
                _draft_batch(tenant, run, [group], errors)
            return
        project = groups[0].project
        reason = CLAIM_CONFLICT if isinstance(error, IntegrityError) else " ".join(error.messages)
        errors.append(f"{project.code}: {reason}")
        created = 0
    _update_run(
        run,
        progress=True,
        processed=run.processed + sum(len(group.rows) for group in groups),
        invoices_created=run.invoices_created + created,
        errors=errors,
    )


def run_draft(*, tenant, run: InvoiceRun) -> InvoiceRun:
    """Create the run's drafts, RUN_BATCH invoices per transaction (called by the task). Rows
    that are invoiced meanwhile are skipped, so running it again finishes the rest without
    duplicates."""
    from accounts.models import Account, Region

    _require_active(tenant)
    from invoicing.selectors import parse_date, run_candidates

    selection = run.selection
    included, _excluded = run_candidates(
        date_from=parse_date(selection.get("date_from")),
        date_to=parse_date(selection.get("date_to")),
        account=Account.objects.filter(pk=selection.get("account")).first()
        if selection.get("account")
        else None,
        region=Region.objects.filter(pk=selection.get("region")).first()
        if selection.get("region")
        else None,
        project=Project.objects.filter(pk=selection.get("project")).first()
        if selection.get("project")
        else None,
        include_internal=bool(selection.get("include_internal")),
    )
    total = sum(len(e["registrations"]) + len(e["items"]) for e in included.values())
    _update_run(run, status="drafting", total=run.processed + total)
    errors = list(run.errors)
    grouping = Grouping.ALL if run.grouping == Grouping.PROJECT else run.grouping
    entries = list(included.values())
    batch: list[DraftGroup] = []
    for start in range(0, len(entries), RUN_BATCH):
        chunk = entries[start : start + RUN_BATCH]
        rows = _load_rows(
            [entry["project"] for entry in chunk],
            [pk for entry in chunk for pk in entry["registrations"]],
            [pk for entry in chunk for pk in entry["items"]],
            strict=False,
        )
        for entry in chunk:
            batch += _grouped(entry["project"], rows[entry["project"].pk], grouping)
        while len(batch) >= RUN_BATCH:
            _draft_batch(tenant, run, batch[:RUN_BATCH], errors)
            batch = batch[RUN_BATCH:]
    if batch:
        _draft_batch(tenant, run, batch, errors)
    _update_run(
        run,
        status="drafted" if run.invoices_created else "failed",
        errors=errors
        or ([] if run.invoices_created else ["Nothing in this selection is ready to invoice."]),
    )
    return run


@transaction.atomic
def run_issue_start(*, tenant, by, run: InvoiceRun) -> InvoiceRun:
    _require_active(tenant)
    run = InvoiceRun.objects.select_for_update().get(pk=run.pk)
    if (
        run.status not in ("drafted", "failed")
        or not run.invoices.filter(status=InvoiceStatus.DRAFT).exists()
    ):
        raise ValidationError("This run has no drafts waiting to be issued.")
    _update_run(run, status="issuing")
    from accounts.tasking import enqueue_on_commit
    from invoicing.tasks import issue_run

    enqueue_on_commit(issue_run, tenant=tenant, run_id=run.pk)
    return run


def run_issue(*, tenant, run: InvoiceRun, render_pdfs: bool = True) -> InvoiceRun:
    """Issue every draft of the run, RUN_BATCH per transaction (called by the task)."""
    _require_active(tenant)
    errors = list(run.errors)
    drafts = list(
        run.invoices.filter(status=InvoiceStatus.DRAFT).order_by("pk").values_list("pk", flat=True)
    )
    for start in range(0, len(drafts), RUN_BATCH):
        _issue_batch(tenant, run, drafts[start : start + RUN_BATCH], errors, render_pdfs)
    _update_run(
        run,
        status="done" if not run.invoices.filter(status=InvoiceStatus.DRAFT).exists() else "failed",
        finished_at=timezone.now(),
    )
    return run


def _issue_batch(tenant, run, invoice_ids: list[int], errors: list[str], render_pdfs) -> None:
    """Issue a batch in one transaction; if any draft in it is refused, issue them one by one,
    so that only the refused ones stay drafts, each with its reason."""
    try:
        with transaction.atomic():
            _issue_drafts(
                tenant=tenant, by=run.created_by, invoice_ids=invoice_ids, render_pdf=render_pdfs
            )
    except ValidationError as error:
        if len(invoice_ids) > 1:
            for invoice_id in invoice_ids:
                _issue_batch(tenant, run, [invoice_id], errors, render_pdfs)
            return
        errors.append(f"Draft invoice #{invoice_ids[0]}: {' '.join(error.messages)}")
        _update_run(run, errors=errors)
        return
    _update_run(run, progress=True, invoices_issued=run.invoices_issued + len(invoice_ids))

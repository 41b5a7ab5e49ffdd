"""Issuing: gapless numbers, the frozen snapshot, the exchange rate, prepurchase uses."""

from __future__ import annotations

import datetime
import json
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from types import SimpleNamespace

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Count, Max, OuterRef, Q, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext

from accounts.platform.audit import audit_many
from accounts.platform.guards import check_tenant, require_active
from accounts.platform.sequences import next_numbers
from accounts.platform.tasks import enqueue_on_commit
from agreements import services as agreement_services
from agreements.models import PrepurchaseUnit
from agreements.pricing import resolve_prepurchase_price
from invoicing import totals as money
from invoicing import vat
from invoicing.models import (
    ADVANCE_KINDS,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
)
from invoicing.selectors import LINE_PROJECT_ID, rate_for
from invoicing.services import deposits, parties
from invoicing.services.billing_cap import check_max_billing
from invoicing.services.lines import freeze_line_taxes, name_projects, redecide_draft
from invoicing.tasks import render_invoice_pdf, render_invoice_pdfs
from projects.models import (
    Project,
    Registration,
)

SEQUENCE_KEYS = {InvoiceKind.INVOICE: "invoice", InvoiceKind.CREDIT_NOTE: "credit_note"}


SNAPSHOT_FIELDS = [
    "seller_name",
    "seller_address",
    "seller_vat_number",
    "billing_name",
    "billing_account_number",
    "billing_address",
    "billing_tax_id",
    "customer_name",
    "customer_number",
    "project_code",
    "customer_tags",
    "payment_terms_days",
    "seller_details",
    "buyer_details",
    "payment_details",
    "tax_notes",
]


def snapshot(invoice: Invoice, tenant) -> None:
    """Freeze who sells, who buys and where to pay (`parties`), as the PDF, the e-invoices and
    the exports will read them from now on."""
    parties.freeze(invoice, tenant)


def number(tenant, invoices: Sequence[Invoice]) -> None:
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
    """Each invoice's lines summed per tax band (VAT category, code, rate) by the database: what
    issuing needs of them, without loading every line of a large invoice."""
    bands = defaultdict(list)
    rows = (
        InvoiceLine.objects.filter(invoice__in=[invoice.pk for invoice in invoices])
        .order_by()
        .values("invoice_id", "tax_category", "tax_code", "tax_percent")
        .annotate(
            # Deposits and their deductions: not work, so not what the billing cap counts
            # (before `net`, which names the band's sum from here on).
            advance_net=Sum("net", filter=Q(kind__in=ADVANCE_KINDS)),
            deposit_net=Sum("net", filter=Q(kind=LineKind.DEPOSIT)),
            net=Sum("net"),
            # One exemption per band: the lines of a band took it from the same rule.
            exemption_reason_code=Max("exemption_reason_code"),
            exemption_reason=Max("exemption_reason"),
            tax_shares=Sum("tax_amount"),
            unshared_lines=Count("pk", filter=Q(tax_amount__isnull=True)),
            prepurchase_lines=Count("pk", filter=Q(kind=LineKind.PREPURCHASE)),
        )
    )
    for row in rows:
        bands[row.pop("invoice_id")].append(SimpleNamespace(**row))
    return bands


def _project_parts(invoices: Sequence[Invoice]) -> dict[int, list[tuple[Project, dict]]]:
    """Each invoice's lines summed per project (the line's, `LINE_PROJECT`): what each project's
    maximum billing amount is checked against, on an invoice of several projects too. One
    query, and one more for the projects of invoices of several."""
    rows = list(
        InvoiceLine.objects.filter(invoice__in=[invoice.pk for invoice in invoices])
        .order_by()
        .values("invoice_id", LINE_PROJECT_ID)
        .annotate(
            advance_net=Sum("net", filter=Q(kind__in=ADVANCE_KINDS)),
            deposit_net=Sum("net", filter=Q(kind=LineKind.DEPOSIT)),
            net=Sum("net"),
        )
        .order_by("invoice_id", LINE_PROJECT_ID)
    )
    projects = {invoice.project_id: invoice.project for invoice in invoices}
    missing = {row[LINE_PROJECT_ID] for row in rows} - set(projects)
    if missing:
        projects.update(Project.objects.in_bulk(list(missing)))
    parts = defaultdict(list)
    for row in rows:
        parts[row.pop("invoice_id")].append((projects[row.pop(LINE_PROJECT_ID)], row))
    return parts


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
    """Number, freeze and issue a draft (see `issue_drafts`)."""
    require_active(tenant)
    check_tenant(tenant, invoice)
    (issued,) = issue_drafts(
        tenant=tenant, by=by, invoice_ids=[invoice.pk], on_date=on_date, render_pdf=render_pdf
    )
    return issued


def issue_drafts(
    *, tenant, by, invoice_ids: Sequence[int], on_date=None, render_pdf: bool = True
) -> list[Invoice]:
    """Number, freeze and issue drafts, all in the caller's transaction, numbered in the order
    of their ids. The numbers come from the tenant's counter row, locked until the transaction
    ends, so they are gapless (a rollback gives them back). Any draft that cannot be issued
    refuses the lot."""
    invoices = list(
        Invoice.objects.select_for_update(of=("self",))
        .select_related("project__account", "billing_account")
        .filter(pk__in=invoice_ids)
        .order_by("pk")
    )
    if len(invoices) != len(set(invoice_ids)):
        raise ValidationError(
            gettext("Some of these drafts were deleted meanwhile; reload the page.")
        )
    bases: dict[int, str] = {}  # each billing account's VAT basis, worked out once
    for invoice in invoices:
        if not invoice.is_draft:
            raise ValidationError(
                gettext("%(invoice)s is issued: it cannot be changed, only credited.")
                % {"invoice": invoice}
            )
        if invoice.billing_account_id not in bases:
            bases[invoice.billing_account_id] = vat.context(tenant, invoice.billing_account).basis
        if bases[invoice.billing_account_id] != invoice.tax_basis:  # changed since drafting (rare)
            taxes = vat.context(tenant, invoice.billing_account)
            redecide_draft(tenant, by, invoice, taxes)
    # What is unused of the deposits now (issued since drafting, or the VAT decided again).
    deposits.deduct_at_issue(tenant, by, invoices)
    bands = _stored_bands(invoices)
    parts = _project_parts(invoices)
    for invoice in invoices:  # an invoice of several projects: its lines say which
        if invoice.kind == InvoiceKind.INVOICE:  # a credit note copies its invoice's texts
            name_projects(invoice, [project for project, _part in parts.get(invoice.pk, [])])
    parties.preload(tenant, invoices)  # what the snapshots read, once for the batch
    day = on_date or timezone.localdate()
    rates: dict[str, Decimal] = {}
    issuing: dict[int, Decimal] = defaultdict(Decimal)  # what the batch bills, per project
    for invoice in invoices:
        invoice_bands = bands.get(invoice.pk)
        if not invoice_bands:
            raise ValidationError(
                gettext("%(invoice)s: a draft without lines cannot be issued.")
                % {"invoice": invoice}
            )
        _check_vat_ids(tenant, invoice, {band.tax_category for band in invoice_bands})
        if invoice.kind == InvoiceKind.INVOICE:
            # What it bills the customer against the cap: its net (work less deductions, or a
            # deposit), with what the batch's invoices of the project before it bill.
            # Per project: an invoice of several projects bills each its own lines.
            for project, part in parts.get(invoice.pk, []):
                net = part["net"] or Decimal(0)
                advance, deposit = part["advance_net"] or 0, part["deposit_net"] or 0
                check_max_billing(
                    project,
                    net,
                    drafts=False,
                    pending=issuing[project.pk],
                    deposit=bool(deposit),
                    deducted=deposit - advance,
                )
                issuing[project.pk] += net
            if invoice.currency not in rates:
                rates[invoice.currency] = rate_for(tenant, invoice.currency, day)
            invoice.exchange_rate = rates[invoice.currency]
            if any(band.prepurchase_lines for band in invoice_bands):
                for line in invoice.lines.filter(kind=LineKind.PREPURCHASE):
                    _use_prepurchase(tenant, by, invoice, line, day)
        snapshot(invoice, tenant)
        totals = money.compute(invoice_bands, invoice.currency)
        invoice.net_total, invoice.tax_total, invoice.gross_total = (
            totals.net,
            totals.tax,
            totals.gross,
        )
        invoice.tax_notes = vat.notes(totals.bands, seller_country=tenant.country)
        stored_shares = {money.band_key(band): band.tax_shares for band in invoice_bands}
        if any(band.unshared_lines for band in invoice_bands) or any(
            stored_shares[band.key] != band.tax for band in totals.bands
        ):  # drafts keep their shares up to date; this is the safety net
            freeze_line_taxes(invoice, list(invoice.lines.all()), totals)
        invoice.status = InvoiceStatus.ISSUED
        invoice.issue_date = day
        invoice.due_date = day + datetime.timedelta(days=tenant.payment_terms_days)
        invoice.issued_at = timezone.now()
    number(tenant, invoices)
    _store_issued(invoices)
    # Each line's project code, frozen with the rest (one statement for the batch): drafting
    # wrote it, so only the lines of a project renamed since (or drafted without it) are
    # rewritten. Unordered: with the projects' default order PostgreSQL walked the company's
    # projects in that order for every line instead of looking the one up by its key.
    code = Subquery(
        Project.objects.filter(pk=OuterRef(LINE_PROJECT_ID)).order_by().values("code")[:1]
    )
    InvoiceLine.objects.filter(invoice__in=[invoice.pk for invoice in invoices]).exclude(
        project_code=code
    ).update(project_code=code)
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
        _queue_pdfs(tenant, [invoice.pk for invoice in invoices])
    return invoices


def _check_vat_ids(tenant, invoice: Invoice, categories) -> None:
    """Refuse reverse-charge (AE) and intra-community (K) lines without both VAT ids: EN 16931
    (BR-AE-02, BR-IC-02) and the law need the seller's and the buyer's."""
    account = invoice.billing_account
    missing = vat.missing_vat_ids(
        categories, seller_vat_number=tenant.vat_number, buyer_vat_id=account.tax_id
    )
    if not missing:
        return
    fixes = []  # each in the company's language (they were glued English)
    if "seller" in missing:
        fixes.append(gettext("enter your company's VAT number under Company settings"))
    if "buyer" in missing:
        fixes.append(
            gettext("enter the VAT id of %(account)s on its account") % {"account": account.name}
        )
    if account.tax_treatment:
        fixes.append(gettext("or clear its VAT treatment to let the rules decide"))
    raise ValidationError(
        gettext(
            "%(invoice)s is reverse-charged or an intra-community supply, which needs both VAT "
            "numbers: %(fixes)s; then issue again."
        )
        % {"invoice": invoice, "fixes": ", ".join(fixes)}
    )


def _use_prepurchase(tenant, by, invoice, line: InvoiceLine, day) -> None:
    """Pay a prepurchase line from its agreement: a ledger use, linked from the line (only
    crediting the line reverses it). Never skipped: a line that would use nothing refuses the
    issue, since the registration would otherwise be billed free."""
    registration = Registration.objects.select_related(
        "prepurchase__price_list", "event__product", "project"
    ).get(pk=line.registration_id)
    agreement = registration.prepurchase
    if agreement is None:
        raise ValidationError(
            gettext(
                "%(invoice)s: the line “%(description)s” is paid from a prepurchase agreement but "
                "its registration names none: delete the draft and draft it again."
            )
            % {"invoice": invoice, "description": line.description[:60]}
        )
    if agreement.unit == PrepurchaseUnit.TRAINING_UNITS:
        # The same rule as at registration: the list's units price, less the agreement's discount.
        price = resolve_prepurchase_price(
            agreement=agreement,
            product=registration.event.product,
            on_date=registration.requested_date,
            currency=registration.project.currency,
        )
        amount = price.units_for(line.quantity)
    else:
        amount = line.prepaid_value
    if not amount or amount <= 0:
        raise ValidationError(
            gettext(
                "%(invoice)s: %(registration)s is paid from %(agreement)s but comes to nothing "
                "(%(or)s %(unit_label)s), so it would be billed free: correct its price on the "
                "draft (or the list's price), then issue again."
            )
            % {
                "invoice": invoice,
                "registration": registration,
                "agreement": agreement,
                "or": amount or 0,
                "unit_label": agreement.unit_label,
            }
        )
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


# Invoices whose PDFs one task renders (a couple of seconds' work), so that a bulk run queues a
# task per PDF_BATCH invoices, not one per invoice, and several workers still share its PDFs.
PDF_BATCH = 25


def _queue_pdfs(tenant, invoice_ids: list[int]) -> None:
    """Render the PDFs once the issuing transaction has committed."""
    if len(invoice_ids) == 1:
        enqueue_on_commit(render_invoice_pdf, tenant=tenant, invoice_id=invoice_ids[0])
        return
    for start in range(0, len(invoice_ids), PDF_BATCH):
        enqueue_on_commit(
            render_invoice_pdfs, tenant=tenant, invoice_ids=invoice_ids[start : start + PDF_BATCH]
        )


def _store_issued(invoices: Sequence[Invoice]) -> None:
    """Write what issuing set on the invoices (ISSUE_FIELDS). On PostgreSQL the values are
    streamed through COPY into a temporary table and the invoices updated from it in one
    statement, as `accounts.platform.bulk.insert_rows` writes new rows: `bulk_update` builds a
    CASE of every invoice for every field, which cost more than the rest of issuing together
    (milliseconds of Python per invoice), and binding thousands of parameters client-side
    (a VALUES list, arrays) costs a good part of that still."""
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        Invoice.objects.bulk_update(invoices, ISSUE_FIELDS)
        return
    meta = Invoice._meta
    fields = [meta.get_field(name) for name in ISSUE_FIELDS]
    quote = connection.ops.quote_name
    table, key = quote(meta.db_table), quote(meta.pk.column)
    staging = quote(f"issued_{meta.db_table}")
    columns = ", ".join([key] + [quote(field.column) for field in fields])

    def value(field, invoice):
        # Issuing set these itself (text, numbers, Decimals, dates, an aware datetime), which
        # psycopg writes as they are; COPY's text format takes JSON as its text.
        if isinstance(field, models.JSONField):
            return json.dumps(getattr(invoice, field.attname), cls=field.encoder)
        return getattr(invoice, field.attname)

    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {staging} ON COMMIT DROP AS "
            f"SELECT {columns} FROM {table} WITH NO DATA"
        )
        with cursor.cursor.copy(f"COPY {staging} ({columns}) FROM STDIN") as copy:
            for invoice in invoices:
                copy.write_row([invoice.pk, *(value(field, invoice) for field in fields)])
        cursor.execute(
            f"UPDATE {table} AS invoice SET "
            + ", ".join(f"{quote(field.column)} = issued.{quote(field.column)}" for field in fields)
            + f" FROM {staging} AS issued WHERE invoice.{key} = issued.{key}"
        )
        updated = cursor.rowcount
        cursor.execute(f"DROP TABLE {staging}")
    if updated != len(invoices):  # the rows were locked above: never expected
        raise RuntimeError(f"Issued {updated} of {len(invoices)} invoices.")

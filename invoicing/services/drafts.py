"""Draft invoices: created from a selection (or a bulk run's batch), adjusted line by line,
deleted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.utils.translation import gettext

from accounts.platform.audit import audit, audit_many
from accounts.platform.bulk import insert_rows
from accounts.platform.guards import check_tenant, require_active
from accounts.platform.money import line_net, round_money
from agreements.models import Product
from invoicing import vat
from invoicing.models import (
    Grouping,
    Invoice,
    InvoiceLine,
    InvoiceRun,
    LineKind,
)
from invoicing.services import deposits
from invoicing.services.billing_cap import check_max_billing
from invoicing.services.claims import CLAIM_CONFLICT, claim, release
from invoicing.services.funding import Funding, Share, is_shared
from invoicing.services.grouping import DraftGroup, grouped, grouped_across
from invoicing.services.lines import (
    freeze_line_taxes,
    handling_fee_line,
    item_line,
    redecide_draft,
    registration_line,
    share_taxes,
    store_totals,
)
from projects.billing import due_units, row_problem, units
from projects.models import (
    Item,
    Project,
    Registration,
)


def row_product(row):
    return row.event.product if isinstance(row, Registration) else row.product


def _draft_in_memory(
    tenant, by, group: DraftGroup, run, funding: Funding
) -> list[tuple[Invoice, list[InvoiceLine]]]:
    """The group's invoices: one per payer of its lines (the customer alone unless the project
    has funders: `invoicing.services.funding`)."""
    project = group.project
    taxes = funding.context(project.billing_account)
    lines = [
        registration_line(row, tenant, project.currency, taxes)
        if isinstance(row, Registration)
        else item_line(row, tenant, project.currency, taxes)
        for row in group.rows
    ]
    if len(group.projects) > 1 and not group.po_reference:
        _name_orders(group.rows, lines)
    products = [row_product(row) for row in group.rows]
    # Each project's lines are split to its own funders; what no funder takes goes to the billing
    # account on one invoice for all the group's projects (the group shares that account).
    payers: list[tuple[Project, Share]] = []
    rest: Share | None = None
    for member in group.projects:
        mine = [i for i, line in enumerate(lines) if line.project_id == member.pk]
        for share in funding.split(member, [lines[i] for i in mine], [products[i] for i in mine]):
            if share.funder is None and rest is not None:
                rest.lines.extend(share.lines)
                continue
            if share.funder is None:
                rest = share
            payers.append((project if share.funder is None else member, share))
    drafts = []
    for filed_under, share in payers:
        invoice = Invoice(
            tenant=tenant,
            project=filed_under,
            billing_account=share.account,
            currency=project.currency,
            po_reference=group.po_reference[:60] if share.is_customer else "",
            tags=filed_under.tags,
            external_notes=filed_under.external_notes,
            run=run,
            created_by=by if getattr(by, "is_authenticated", False) else None,
        )
        invoice.tax_basis = share.taxes.basis
        share_lines = share.lines
        if share.is_customer:
            for member in group.projects:  # each project's handling fee on its own lines
                fee = handling_fee_line(member, tenant, share_lines, share.taxes)
                if fee is not None:
                    share_lines.append(fee)
        share_taxes(invoice, share_lines, store_totals(invoice, share_lines))
        for position, line in enumerate(share_lines):
            line.position = position
        drafts.append((invoice, share_lines))
    return drafts


def _name_orders(rows, lines) -> None:
    """On an invoice of several projects without one purchase order for all, each line of a
    row charged to a purchase order names it (a project's orders are its own, so the invoice's
    reference cannot say them all)."""
    for row, line in zip(rows, lines, strict=False):
        if row.purchase_order_id:
            line.description += f" (PO {row.purchase_order.number})"


def write_drafts(*, tenant, by, groups: Sequence[DraftGroup], run=None) -> list[Invoice]:
    """Draft one invoice per group and payer, all in the caller's transaction: a few statements
    for the lot (invoices, lines, claims, flags, audit), however many invoices and lines there
    are.

    The groups' projects are locked first (in one order, so two writers cannot deadlock), so
    the maximum billing amount (per project, on an invoice of several projects too) and the
    funders' caps are checked against what is really billed.
    """
    project_ids = sorted({member.pk for group in groups for member in group.projects})
    list(
        Project.objects.select_for_update()
        .filter(pk__in=project_ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    # One VAT context per billing account: each product's treatment is decided once for all the
    # invoices of the batch that go to that account.
    contexts: dict[int, vat.VatContext] = {}

    def context(account) -> vat.VatContext:
        if account.pk not in contexts:
            contexts[account.pk] = vat.context(tenant, account)
        return contexts[account.pk]

    funding = Funding(tenant, [member for group in groups for member in group.projects], context)
    made = [
        (group, draft)
        for group in groups
        for draft in _draft_in_memory(tenant, by, group, run, funding)
    ]
    drafts = [draft for _group, draft in made]
    # Deposits not used yet are deducted here, for the review page and bulk runs alike.
    for (invoice, lines), added in zip(drafts, deposits.deduct(tenant, drafts), strict=True):
        if added:
            share_taxes(invoice, lines, store_totals(invoice, lines))
    # What each draft bills the customer (its work less what it deducts) against the cap, with
    # what the batch's earlier drafts of the project bill.
    drafting: dict[int, Decimal] = defaultdict(Decimal)
    for group, (_invoice, lines) in made:
        for member, member_lines in project_lines(group.projects, lines):
            if not member_lines:
                continue
            net = _billed_net(member_lines)
            check_max_billing(
                member,
                net,
                pending=drafting[member.pk],
                deducted=deposits.work_net(member_lines) - net,
            )
            drafting[member.pk] += net
    # The invoices' and the lines' ids are drawn before they are written (one COPY each), so
    # the lines point at their invoices and are claimed as built, not read back for their ids.
    invoices = [invoice for invoice, _lines in drafts]
    insert_rows(Invoice, invoices, ids=True)
    # Each line carries its project's code from the start; issuing freezes it, and rewrites
    # only the lines of a project whose code changed since (a bulk run's issue rewrote every
    # line otherwise, a twentieth of a run of small invoices).
    codes = {member.pk: member.code for group in groups for member in group.projects}
    lines = []
    for invoice, invoice_lines in drafts:
        for line in invoice_lines:
            line.invoice = invoice
            line.project_code = codes.get(line.project_id, "")
        lines.extend(invoice_lines)
    insert_rows(InvoiceLine, lines, ids=True)
    claim(lines)
    audit_many(
        tenant=tenant,
        actor=by,
        action="draft created",
        changes=[
            (invoice, None, {"lines": _rows_billed(lines), "net": invoice.net_total})
            for invoice, (_invoice, lines) in zip(invoices, drafts, strict=True)
        ],
    )
    return invoices


def _billed_net(lines) -> Decimal:
    """What lines add to the project's billed total against its maximum: an internal budget's
    share is work billed to the project like a funder's, so the line taking it off the
    customer's invoice does not lower it."""
    return sum(
        (Decimal(line.net) for line in lines if line.kind != LineKind.INTERNAL_BUDGET), Decimal(0)
    )


def _rows_billed(lines) -> int:
    return sum(1 for line in lines if line.registration_id or line.item_id)


def project_lines(projects, lines) -> list[tuple[Project, list[InvoiceLine]]]:
    """An invoice's lines per project (`projects`: those it may bill): what each project's
    maximum billing amount and deposits are checked against, on an invoice of several."""
    return [
        (project, [line for line in lines if line.project_id == project.pk]) for project in projects
    ]


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
    "billed_quantity",
    "po_reference",
    "learner__first_name",
    "learner__last_name",
    "purchase_order__number",
    "prepurchase__number",
    "prepurchase__name",
)


def load_rows(
    projects: Sequence[Project], registration_ids, item_ids, *, strict: bool = True
) -> dict[int, list]:
    """The selected registrations and items of the projects, per project id, in a few queries
    however many projects there are. `strict`: refused if any of them is not found in those
    projects (a bulk run skips rows deleted since it found them)."""
    registration_ids, item_ids = set(registration_ids), set(item_ids)
    # Events, products and tax rates are shared by many rows: prefetched once, not joined into
    # (and instantiated for) every registration; a product once for all its events.
    registrations = list(
        Registration.objects.filter(project__in=projects, pk__in=list(registration_ids))
        .order_by()  # sorted in Python (_sort_key): no join to events for the default order
        .select_related("learner", "purchase_order", "prepurchase")
        .only(*LINE_SOURCE_FIELDS)
        .prefetch_related(
            "event",
            "event__phase",  # `row_problem` asks whether its phase is billed by milestone
            Prefetch("event__product", queryset=Product.objects.select_related("tax_rate")),
        )
    )
    items = list(
        Item.objects.filter(project__in=projects, pk__in=list(item_ids)).select_related(
            "product__tax_rate", "purchase_order", "phase", "milestone__phase"
        )
    )
    if strict and (len(registrations) != len(registration_ids) or len(items) != len(item_ids)):
        raise ValidationError(gettext("Some of the selected rows do not belong to this project."))
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
    require_active(tenant)
    check_tenant(tenant, project)
    project = (
        Project.objects.select_for_update().select_related("billing_account").get(pk=project.pk)
    )
    rows = load_rows([project], registration_ids, item_ids)[project.pk]
    if not rows:
        raise ValidationError(gettext("Select at least one registration or item to invoice."))
    problems = [f"{row}: {problem}" for row in rows if (problem := row_problem(row, project))]
    if problems:
        raise ValidationError(problems)
    return write_drafts(tenant=tenant, by=by, groups=grouped(project, rows, grouping), run=run)


def account_drafts_create(**kwargs) -> list[Invoice]:
    """Draft invoices for the selected rows of several projects billed to one account: all or
    none."""
    try:
        return _account_drafts_create(**kwargs)
    except IntegrityError:
        raise ValidationError(CLAIM_CONFLICT) from None


@transaction.atomic
def _account_drafts_create(
    *,
    tenant,
    by,
    billing_account,
    registration_ids: Iterable[int] = (),
    item_ids: Iterable[int] = (),
    grouping: str = Grouping.BILLING_ACCOUNT,
) -> list[Invoice]:
    """Draft invoices for the selected registrations and items of the projects billed to
    `billing_account` (the account's review page): per billing account (Grouping.BILLING_ACCOUNT)
    the projects' rows on one invoice per currency, lines saying which project; otherwise each
    project's rows grouped as on its own page. Every project's maximum billing amount, purchase
    orders and deposits are still checked per project (`write_drafts`)."""
    require_active(tenant)
    check_tenant(tenant, billing_account)
    if grouping not in Grouping.values:
        raise ValidationError(gettext("Choose how to group the invoices."))
    projects = list(
        Project.objects.select_for_update()
        .filter(billing_account=billing_account)
        .select_related("billing_account")
        .order_by("pk")
    )
    rows = load_rows(projects, registration_ids, item_ids)  # refused if not of these projects
    by_pk = {project.pk: project for project in projects}
    if not any(rows.values()):
        raise ValidationError(gettext("Select at least one registration or item to invoice."))
    problems = [
        f"{row}: {problem}"
        for project_rows in rows.values()
        for row in project_rows
        if (problem := row_problem(row, by_pk[row.project_id]))
    ]
    if problems:
        raise ValidationError(problems)
    return write_drafts(
        tenant=tenant, by=by, groups=grouped_across(projects, rows, grouping), run=None
    )


def _lock_draft(invoice: Invoice) -> Invoice:
    invoice = (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("project", "billing_account")
        .get(pk=invoice.pk)
    )
    if not invoice.is_draft:
        raise ValidationError(
            gettext("%(invoice)s is issued: it cannot be changed, only credited.")
            % {"invoice": invoice}
        )
    return invoice


@transaction.atomic
def draft_line_update(*, tenant, by, line: InvoiceLine, quantity, unit_price) -> InvoiceLine:
    """Adjust what a draft invoices of one row: quantity (at most the row's) and unit price."""
    require_active(tenant)
    check_tenant(tenant, line)
    invoice = _lock_draft(line.invoice)
    line = InvoiceLine.objects.select_related("registration", "item").get(pk=line.pk)
    if line.kind == LineKind.HANDLING_FEE:
        raise ValidationError(
            gettext("The handling fee follows the other lines; change those instead.")
        )
    if line.kind == LineKind.DEPOSIT_DEDUCTION:
        raise ValidationError(
            gettext("The deposit deduction follows the other lines; change those instead.")
        )
    if line.kind == LineKind.DEPOSIT:
        raise ValidationError(
            gettext(
                "A deposit's amount is not changed on its draft: delete the draft and invoice the "
                "deposit again."
            )
        )
    if line.kind == LineKind.ADMIN_FEE:
        raise ValidationError(
            gettext(
                "The administration fee follows the funder's other lines; change those instead."
            )
        )
    row = line.registration if line.registration_id else line.item
    if is_shared(line):
        raise ValidationError(
            gettext(
                "%(row)s is shared between the project's funders: delete the draft, change the "
                "row or the funders, and invoice it again (each payer's share follows the row)."
            )
            % {"row": row}
        )
    most = Decimal(line.quantity) + due_units(row)  # this line's part and what is still due
    try:
        quantity, unit_price = Decimal(quantity), Decimal(unit_price)
    except (ArithmeticError, TypeError, ValueError):
        raise ValidationError(gettext("Enter the quantity and unit price as numbers.")) from None
    if quantity <= 0 or quantity > most:
        raise ValidationError(
            f"Invoice more than 0 and at most {most.normalize():f} of this row "
            f"({units(row).normalize():f} in all, {(units(row) - most).normalize():f} of it on "
            "other invoices)."
            if most != units(row)
            else f"Invoice more than 0 and at most {most.normalize():f} of this row."
        )
    if unit_price < 0:
        raise ValidationError(gettext("A unit price cannot be negative."))
    before = {"quantity": line.quantity, "unit_price": line.unit_price}
    unit_price = round_money(unit_price, invoice.currency)
    if (quantity, unit_price) == (line.quantity, line.unit_price):
        return line  # nothing changed: nothing to write or to put in the history
    line.quantity = quantity
    line.unit_price = unit_price
    net = line_net(quantity, line.unit_price, line.discount_percent, invoice.currency)
    if line.kind == LineKind.PREPURCHASE:
        line.prepaid_value = net
    else:
        line.net = net
    line.save()
    release([line])  # its units follow its new quantity; what it no longer bills is due again
    try:
        with transaction.atomic():
            claim([line])
    except IntegrityError:
        raise ValidationError(CLAIM_CONFLICT) from None
    _refresh_draft(tenant, by, invoice)
    audit(
        tenant=tenant,
        actor=by,
        action="draft line changed",
        obj=invoice,
        before={"line": line.description[:80], **before},
        after={
            "line": line.description[:80],
            "quantity": line.quantity,
            "unit_price": line.unit_price,
        },
    )
    return line


def _refresh_draft(tenant, by, invoice: Invoice) -> None:
    taxes = vat.context(tenant, invoice.billing_account)
    if taxes.basis != invoice.tax_basis:  # the account changed since: decide every line again
        redecide_draft(tenant, by, invoice, taxes)
    lines = list(invoice.lines.all())
    fee_lines = [line for line in lines if line.kind == LineKind.HANDLING_FEE]
    deductions = [line for line in lines if line.kind == LineKind.DEPOSIT_DEDUCTION]
    others = [line for line in lines if line not in fee_lines and line not in deductions]
    members = _projects_of(invoice, others + fee_lines + deductions)
    for old in fee_lines:
        old.delete()
    for member in members:  # each project's handling fee follows its own lines
        fee = handling_fee_line(member, tenant, others, taxes)
        if fee is not None:
            fee.invoice = invoice
            fee.position = len(others)
            fee.save()
            others.append(fee)
    # What the draft deducts of the project's deposits follows its other lines.
    others += deposits.deduct_again(tenant, invoice, others, deductions)
    totals = store_totals(invoice, others)
    freeze_line_taxes(invoice, others, totals)
    for member, member_lines in project_lines(members, others):
        net = _billed_net(member_lines)
        check_max_billing(
            member, net, exclude=invoice, deducted=deposits.work_net(member_lines) - net
        )
    invoice.save(update_fields=["net_total", "tax_total", "gross_total", "tax_basis"])


def _projects_of(invoice: Invoice, lines) -> list[Project]:
    """The projects an invoice's lines bill, in code order (its own project when it has none)."""
    ids = {line.project_id for line in lines} or {invoice.project_id}
    return list(Project.objects.filter(pk__in=ids).order_by("code", "pk"))


@transaction.atomic
def draft_delete(*, tenant, by, invoice: Invoice) -> None:
    """Delete a draft; its registrations and items can be invoiced again."""
    require_active(tenant)
    check_tenant(tenant, invoice)
    invoice = _lock_draft(invoice)
    audit(
        tenant=tenant,
        actor=by,
        action="draft deleted",
        obj=invoice,
        before={"net": invoice.net_total, "lines": invoice.lines.count()},
    )
    release(invoice.lines.all())
    invoice.delete()

"""Deposits and down-payment invoices (issue 14, part 4).

- **A deposit** is a draft invoice of one DEPOSIT line (`deposit_create`): an amount, or a
  percentage of the project's *committed value* (`committed_value`: the net of its ordered
  places, requested, confirmed or delivered, and of its billable items, as the project's
  overview counts them). It is issued like any invoice (`invoice_issue`: number, snapshot, PDF,
  e-invoice, e-mail). Its VAT treatment is the one the project's ordered products share, else
  a service's at the company's default rate (as a handling fee without a product).
- **Deductions** are made in one place, `deduct`, called by `write_drafts` for the review
  page's drafts and the bulk runs' batches alike (one query for all the projects of a batch),
  again (`deduct_again`) whenever a draft's lines change, and again when drafts are issued
  (`deduct_at_issue`: a deposit issued since a draft was made is deducted from it). Every
  later invoice of the project deducts what is still unused of its issued deposits, oldest
  first, as a negative DEDUCTION line ("Deposit deducted: invoice INV-00012 of 12 Mar 2026")
  with the deposit's VAT treatment (negative tax, so the VAT reconciles), never more than the
  net of the invoice's lines taxed like the deposit: neither the invoice nor any of its VAT
  bands goes negative.
- **Used** is what deductions deduct, on issued invoices and on drafts (a draft reserves it;
  deleting the draft gives it back); crediting a deduction line makes its amount unused again.
  Crediting the deposit itself is refused while any of it is used (`check_credit` says how much
  and where); an unused deposit is credited whole. Crediting work lines credits with them the
  deductions the rest of the invoice no longer covers (`deductions_to_credit`): asked for on
  the credit page, done with the place when a cancellation credits it.
- **Money**: a deposit is an advance, not revenue. Neither its line nor the deductions count in
  what is invoiced of the project (`invoicing.selectors.revenue_lines`: the profitability
  facts, the tabs, the dashboard); they count in the invoices' totals, VAT and what the
  customer owes. The maximum billing amount counts what the customer is billed
  (`invoicing.selectors.cap_room`): the work, and a deposit while it is not deducted (what it
  pays for is not invoiced yet); an invoice adds its work less what it deducts
  (`billing_cap.check_max_billing`, `check_deposit_cap`).
- **Concurrency**: everything that uses or credits a deposit locks the project's row first
  (as drafting does), so two drafts made at once never use the same deposit twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

from accounts.platform.audit import audit, audit_many
from accounts.platform.guards import check_tenant, require_active
from accounts.platform.money import round_money
from invoicing import selectors, vat
from invoicing import totals as money
from invoicing.models import (
    ADVANCE_KINDS,
    NOT_REVENUE,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    LineKind,
)
from invoicing.services.billing_cap import check_max_billing
from invoicing.services.lines import deposit_treatment, share_taxes, store_totals
from projects.billing import project_problem
from projects.models import Project
from projects.selectors import project_totals

DEPOSIT_CODE = "DEPOSIT"
# What the pages say the committed value is.
COMMITTED_VALUE_TEXT = (
    "the net of its ordered places (requested, confirmed or delivered) and billable items"
)


def committed_value(project: Project) -> Decimal:
    """The project's committed value: the net of its ordered places and billable items (the
    overview's *ordered* total, `projects.selectors.project_totals`)."""
    return project_totals(project)["ordered_total"]


def work_net(lines) -> Decimal:
    """The net of the lines that are work (not a deposit or a deduction): what an invoice adds
    to the project's invoiced total and its billing cap."""
    return sum((Decimal(line.net) for line in lines if line.kind not in NOT_REVENUE), Decimal(0))


def _lock_project(project_id: int) -> None:
    list(Project.objects.select_for_update().filter(pk=project_id).values_list("pk", flat=True))


# --- A deposit invoice ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DepositPlan:
    """What a deposit invoice will be, before it is drafted: what the confirmation shows."""

    project: Project
    amount: Decimal
    percent: Decimal | None
    committed: Decimal | None
    description: str
    treatment: vat.Treatment
    totals: money.Totals


def _number(value, what: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError(gettext("Enter the %(what)s as a number.") % {"what": what}) from None
    if not number.is_finite():
        raise ValidationError(gettext("Enter the %(what)s as a number.") % {"what": what})
    return number


def deposit_plan(*, tenant, project: Project, amount=None, percent=None) -> DepositPlan:
    """The deposit invoice an amount or a percentage of the committed value makes, refused with
    a message when it cannot be invoiced (past the maximum billing amount too). Writes
    nothing: what the confirmation shows, and what `deposit_create` drafts."""
    check_tenant(tenant, project)
    problem = project_problem(project)
    if problem:
        raise ValidationError(
            gettext("No deposit can be invoiced on %(code)s: %(problem)s.")
            % {"code": project.code, "problem": problem}
        )
    amount, percent = _number(amount, "amount"), _number(percent, "percentage")
    if (amount is None) == (percent is None):
        raise ValidationError(
            gettext("Enter either an amount or a percentage of the committed value.")
        )
    committed = None
    currency = project.currency
    if percent is not None:
        if not Decimal(0) < percent <= Decimal(100):
            raise ValidationError(gettext("A percentage is more than 0 and at most 100."))
        committed = committed_value(project)
        if committed <= 0:
            raise ValidationError(
                gettext(
                    "%(code)s has nothing ordered yet (committed value 0.00 %(currency)s), so a "
                    "percentage of it comes to nothing: enter an amount instead."
                )
                % {"code": project.code, "currency": currency}
            )
        amount = round_money(committed * percent / Decimal(100), currency)
        description = (
            f"Deposit of {percent.normalize():f} % of the committed value of {project.code} "
            f"{project.name}, {committed:,.2f} {currency} (its ordered places and billable "
            "items)"
        )
    else:
        amount = round_money(amount, currency)
        description = f"Deposit on {project.code} {project.name}"
    if amount <= 0:
        raise ValidationError(
            gettext("A deposit comes to more than 0.00 %(currency)s.") % {"currency": currency}
        )
    check_deposit_cap(project, amount)
    treatment = deposit_treatment(project, vat.context(tenant, project.billing_account))
    line = InvoiceLine(net=amount)
    treatment.apply(line)
    return DepositPlan(
        project=project,
        amount=amount,
        percent=percent,
        committed=committed,
        description=description,
        treatment=treatment,
        totals=money.compute([line], currency),
    )


@transaction.atomic
def deposit_create(*, tenant, by, project: Project, amount=None, percent=None) -> Invoice:
    """Draft a deposit invoice on the project (see `deposit_plan`); it is issued like any
    invoice. Refused past the project's maximum billing amount (`check_deposit_cap`), checked
    with the project's row locked."""
    require_active(tenant)
    check_tenant(tenant, project)
    project = (
        Project.objects.select_for_update().select_related("billing_account").get(pk=project.pk)
    )
    plan = deposit_plan(tenant=tenant, project=project, amount=amount, percent=percent)
    invoice = Invoice(
        tenant=tenant,
        project=project,
        billing_account=project.billing_account,
        currency=project.currency,
        tags=project.tags,
        external_notes=project.external_notes,
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    invoice.tax_basis = vat.context(tenant, project.billing_account).basis
    line = InvoiceLine(
        tenant=tenant,
        kind=LineKind.DEPOSIT,
        project=project,
        product_code=DEPOSIT_CODE,
        description=plan.description,
        quantity=Decimal(1),
        unit_price=plan.amount,
        net=plan.amount,
    )
    plan.treatment.apply(line)
    share_taxes(invoice, [line], store_totals(invoice, [line]))
    invoice.save()
    line.invoice = invoice
    line.save()
    audit(
        tenant=tenant,
        actor=by,
        action="deposit drafted",
        obj=invoice,
        after={
            "net": plan.amount,
            "percent": plan.percent if plan.percent is not None else "",
            "committed value": plan.committed if plan.committed is not None else "",
        },
    )
    return invoice


# --- The maximum billing amount ------------------------------------------------------------------


def check_deposit_cap(project: Project, amount: Decimal, *, drafts: bool = True) -> None:
    """Refuse a deposit that would take what the customer is billed past the project's maximum
    billing amount (`check_max_billing`): a deposit is billed ahead of the work it pays for,
    and deducting it later bills nothing more."""
    check_max_billing(project, amount, drafts=drafts, deposit=True)


# --- Deductions: the one place drafting deducts deposits -----------------------------------------


def deduct(tenant, drafts: Sequence[tuple[Invoice, list[InvoiceLine]]]) -> list[list[InvoiceLine]]:
    """Add to each draft (an invoice and its lines, in memory, without deductions) a deduction
    line per issued deposit of its project with something unused, oldest first, and return the
    lines added to each. Each deducts at most what is unused and the net of the draft's lines
    in the deposit's VAT band (what earlier deductions left of it): the draft never goes
    negative, nor does any of its VAT bands. Drafts of one project share its deposits (a bulk
    run's batch). One query for all the projects; their rows must be locked by the caller."""
    added: list[list[InvoiceLine]] = [[] for _ in drafts]
    wanted = [
        index
        for index, (invoice, lines) in enumerate(drafts)
        if invoice.kind == InvoiceKind.INVOICE
        and not any(line.kind == LineKind.DEPOSIT for line in lines)
        # A funder's invoice: the customer's deposits are deducted from the customer's share.
        and not any(line.funder_id for line in lines)
    ]
    if not wanted:
        return added
    balances = selectors.deposit_balances(
        set().union(*(_projects_billed(*drafts[index]) for index in wanted))
    )
    for index in wanted:
        invoice, lines = drafts[index]
        # Per project: an invoice of several projects deducts each one's deposits from that
        # project's own lines only.
        for project_id in sorted(_projects_billed(invoice, lines)):
            _deduct_project(
                tenant, balances.get(project_id, []), project_id, invoice, lines, added[index]
            )
    return added


def _project_of(invoice: Invoice, line: InvoiceLine) -> int:
    return line.project_id or invoice.project_id


def _projects_billed(invoice: Invoice, lines) -> set[int]:
    """The projects a draft bills: its own and those of its lines (an invoice of several)."""
    return {invoice.project_id} | {_project_of(invoice, line) for line in lines}


def _deduct_project(tenant, balances, project_id: int, invoice, lines, added) -> None:
    """Deduct the project's unused deposits from its lines on a draft (see `deduct`)."""
    deposits = [deposit for deposit in balances if deposit.left > 0]
    if deposits:
        room: dict[tuple, Decimal] = defaultdict(Decimal)
        for line in lines:
            if _project_of(invoice, line) == project_id:
                room[money.band_key(line)] += Decimal(line.net)
        for deposit in deposits:
            key = money.band_key(deposit)
            amount = min(deposit.left, room[key])
            if amount <= 0:
                continue
            line = InvoiceLine(
                tenant_id=tenant.pk,
                kind=LineKind.DEPOSIT_DEDUCTION,
                project_id=project_id,
                deposit_id=deposit.line_id,
                product_code=DEPOSIT_CODE,
                description=f"Deposit deducted: {deposit.label}",
                quantity=Decimal(1),
                unit_price=-amount,
                net=-amount,
                tax_category=deposit.tax_category,
                tax_code=deposit.tax_code,
                tax_percent=deposit.tax_percent,
                exemption_reason_code=deposit.exemption_reason_code,
                exemption_reason=deposit.exemption_reason,
                position=len(lines),
            )
            deposit.used += amount  # the batch's next draft of the project sees it used
            room[key] -= amount
            lines.append(line)
            added.append(line)


def deduct_again(tenant, invoice: Invoice, lines: list[InvoiceLine], old) -> list[InvoiceLine]:
    """A draft's lines changed (`lines`, written, without deductions): its deductions (`old`)
    are made again from what is unused now, so they follow its net. The new ones are written
    and returned; the caller totals the draft."""
    for project_id in sorted({_project_of(invoice, line) for line in [*lines, *old]}):
        _lock_project(project_id)
    if old:
        InvoiceLine.objects.filter(pk__in=[line.pk for line in old]).delete()
    work = list(lines)
    (new,) = deduct(tenant, [(invoice, work)])
    for line in new:
        line.invoice = invoice
        line.save()
    return new


def deduct_at_issue(tenant, by, invoices: Sequence[Invoice]) -> None:
    """Issuing: the work invoices being issued deduct again what is unused now, so a deposit
    issued since a draft was made is deducted from it (a draft deducts only issued deposits),
    and one whose lines' VAT was decided again deducts only from lines taxed like the deposit.
    The projects' rows are locked first, as drafting does. Nothing more is read or written for
    projects without deposits; for the others a few queries for the batch. The caller totals
    the invoices (issuing does, from their lines); a changed deduction is in their history."""
    # The projects each invoice bills (its lines' projects: an invoice may bill several).
    billed: dict[int, set[int]] = defaultdict(set)
    for invoice_id, project_id in (
        InvoiceLine.objects.filter(invoice__in=[invoice.pk for invoice in invoices])
        .order_by()
        .values_list("invoice_id", selectors.LINE_PROJECT_ID)
        .distinct()
    ):
        billed[invoice_id].add(project_id)
    for invoice in invoices:
        billed[invoice.pk].add(invoice.project_id)
    project_ids = sorted(set().union(*billed.values()))
    list(
        Project.objects.select_for_update()
        .filter(pk__in=project_ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    work = [invoice for invoice in invoices if invoice.kind == InvoiceKind.INVOICE]
    if not work:
        return
    with_deposits = selectors.deposit_balances(
        set().union(*(billed[invoice.pk] for invoice in work))
    )
    work = [
        invoice
        for invoice in work
        if any(with_deposits.get(project_id) for project_id in billed[invoice.pk])
    ]
    if not work:
        return
    lines: dict[int, list[InvoiceLine]] = defaultdict(list)
    for line in InvoiceLine.objects.filter(invoice__in=work).order_by("position", "pk"):
        lines[line.invoice_id].append(line)
    old = {
        invoice.pk: [line for line in lines[invoice.pk] if line.kind == LineKind.DEPOSIT_DEDUCTION]
        for invoice in work
    }
    InvoiceLine.objects.filter(
        pk__in=[line.pk for deductions in old.values() for line in deductions]
    ).delete()
    drafts = [
        (invoice, [line for line in lines[invoice.pk] if line.kind != LineKind.DEPOSIT_DEDUCTION])
        for invoice in work
    ]
    added = deduct(tenant, drafts)  # from what is unused once their old deductions are gone
    new = []
    changes = []
    for (invoice, _lines), deductions in zip(drafts, added, strict=True):
        for line in deductions:
            line.invoice = invoice
        new.extend(deductions)
        before = -sum((Decimal(line.net) for line in old[invoice.pk]), Decimal(0))
        after = -sum((Decimal(line.net) for line in deductions), Decimal(0))
        if before != after:
            changes.append((invoice, {"deducted": f"{before:.2f}"}, {"deducted": f"{after:.2f}"}))
    InvoiceLine.objects.bulk_create(new)
    if changes:
        audit_many(tenant=tenant, actor=by, action="deposits deducted again", changes=changes)


# --- Credit notes ---------------------------------------------------------------------------------


def credit_deposit_of(line: InvoiceLine) -> int | None:
    """The deposit a credit note's line crediting `line` names: a deduction's deposit, or the
    deposit line itself."""
    if line.kind == LineKind.DEPOSIT:
        return line.pk
    return line.deposit_id


def deductions_to_credit(open_lines, chosen) -> list[InvoiceLine]:
    """The deduction lines (not among `chosen`) that crediting `chosen` must credit too, so that
    what the invoice keeps deducts no more in any VAT band than its other lines there come to:
    per band, its latest deductions first (the last deposit deducted), until the band is not
    negative. A credit note credits whole lines, so that part of the deposit may be more than
    the band lacks; it is unused again and later invoices deduct it."""
    chosen_ids = {line.pk for line in chosen}
    kept = [line for line in open_lines if line.pk not in chosen_ids]
    # Per project and band: a project's deductions come off its own lines only.
    per_band: dict[tuple, Decimal] = defaultdict(Decimal)
    for line in kept:
        per_band[(line.project_id, money.band_key(line))] += Decimal(line.net)
    needed = []
    deductions = [line for line in kept if line.kind == LineKind.DEPOSIT_DEDUCTION]
    for line in sorted(deductions, key=lambda line: (line.position, line.pk), reverse=True):
        key = (line.project_id, money.band_key(line))
        if per_band[key] < 0:
            needed.append(line)
            per_band[key] -= Decimal(line.net)
    return needed


def check_credit(invoice: Invoice, chosen: Sequence[InvoiceLine], open_lines) -> None:
    """Refuse a credit that would leave a deposit's books wrong: crediting a deposit of which
    some is used (saying how much and on which invoices); crediting the lines a deduction was
    deducted from while keeping the deduction (`deductions_to_credit`); or making deductions
    unused again past the project's maximum billing amount while keeping the work they were
    deducted from. (A deduction credited because its work is credited never counts there: the
    customer paid that deposit already, and a cancellation is never refused for it.)"""
    if not any(line.kind in ADVANCE_KINDS for line in open_lines):
        return
    project = invoice.project  # a deposit invoice's only project
    by_pk = {project.pk: project}
    others = {_project_of(invoice, line) for line in open_lines} - set(by_pk)
    by_pk.update(Project.objects.in_bulk(list(others)) if others else {})
    for project_id in sorted(by_pk):
        _lock_project(project_id)
    deposits = [line for line in chosen if line.kind == LineKind.DEPOSIT]
    if deposits:
        balances = {
            balance.line_id: balance
            for balance in selectors.deposit_balances([project.pk]).get(project.pk, [])
        }
        selectors.deposit_uses(list(balances.values()))
        for line in deposits:
            balance = balances.get(line.pk)
            if balance is not None and balance.used > 0:
                where = ", ".join(
                    f"{label} ({amount:,.2f})" for _invoice, label, amount in balance.uses
                )
                raise ValidationError(
                    gettext(
                        "The deposit of %(invoice_number)s (%(received)s %(currency)s) is used: "
                        "%(used)s of it is deducted on %(where)s. Credit those deductions (or "
                        "delete the drafts) first, then credit the deposit."
                    )
                    % {
                        "invoice_number": invoice.number,
                        "received": format(balance.received, ",.2f"),
                        "currency": invoice.currency,
                        "used": format(balance.used, ",.2f"),
                        "where": where,
                    }
                )
    missing = deductions_to_credit(open_lines, chosen)
    if missing:
        ticks = " and ".join(f"“{line.description}”" for line in missing)
        raise ValidationError(
            gettext(
                "Crediting these lines would leave %(invoice_number)s deducting more of its "
                "deposit than its other lines come to: tick %(ticks)s too, which makes that part "
                "of the deposit unused again."
            )
            % {"invoice_number": invoice.number, "ticks": ticks}
        )
    # The deductions crediting the chosen work forces, left out of what the credit bills more.
    work = [line for line in chosen if line.kind != LineKind.DEPOSIT_DEDUCTION]
    forced = {line.pk for line in deductions_to_credit(open_lines, work)}
    counted = [line for line in chosen if line.pk not in forced]
    for project in by_pk.values():  # each project's cap, on an invoice of several projects
        mine = [line for line in counted if _project_of(invoice, line) == project.pk]
        _check_credit_cap(project, mine, chosen)


def _check_credit_cap(project: Project, counted, chosen) -> None:
    more = -sum((Decimal(line.net) for line in counted), Decimal(0))  # billed more after it
    if more > 0 and project.max_billing_amount is not None:
        left = selectors.cap_room(project).left
        if more > left:
            restored = -sum(
                (
                    Decimal(line.net)
                    for line in chosen
                    if line.kind == LineKind.DEPOSIT_DEDUCTION and line.project_id == project.pk
                ),
                Decimal(0),
            )
            raise ValidationError(
                gettext(
                    "Crediting the deduction alone would make %(restored)s of the deposit unused "
                    "again while the work it paid stays invoiced, which bills %(code)s past its "
                    "maximum of %(max_billing_amount)s %(currency)s (%(Decimal)s is left): credit "
                    "the work lines with it."
                )
                % {
                    "restored": format(restored, ",.2f"),
                    "code": project.code,
                    "max_billing_amount": format(project.max_billing_amount, ",.2f"),
                    "currency": project.currency,
                    "Decimal": format(max(left, Decimal(0)), ",.2f"),
                }
            )

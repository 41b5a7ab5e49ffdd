"""Reads of invoicing: lists, the bulk run's candidates and preview. What is paid and
outstanding (and overdue): `invoicing.payment_selectors`."""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import (
    Count,
    DecimalField,
    Q,
    QuerySet,
    Sum,
)
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django.utils.translation import gettext

from accounts.platform.built_once import built_once_per_scope
from accounts.platform.models import AuditEntry
from invoicing import totals
from invoicing.models import (
    ADVANCE_KINDS,
    NOT_REVENUE,
    ExchangeRate,
    Grouping,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    InvoicingSettings,
    LineKind,
)
from invoicing.payment_selectors import state_of, with_state
from projects.billing import (
    ITEM_DELIVERY,
    REGISTRATION_DELIVERY,
    due_value,
    invoiceable_items,
    invoiceable_registrations,
    project_problem,
    row_problem,
)
from projects.models import Item, Project, Registration

MONEY = DecimalField(max_digits=16, decimal_places=3)


def invoice_list() -> QuerySet[Invoice]:
    """Every document, newest first, with its outstanding amount and state (`with_state`),
    judged on today's date."""
    return _invoice_list_on(today=timezone.localdate())


@built_once_per_scope  # resolving with_state's expressions cost 1.2 ms of each list (issue 18)
def _invoice_list_on(*, today: datetime.date) -> QuerySet[Invoice]:
    return with_state(
        Invoice.objects.select_related("billing_account", "project").order_by(
            "-issue_date", "-sequence_number", "-pk"
        ),
        today=today,
    )


def invoice_detail(invoice: Invoice) -> dict:
    """What the invoice page shows: its lines (each saying whether it is credited and, on a
    draft, which issued documents invoiced its registration before), the tax bands, the credit
    notes and the history of the invoice; the invoice carries its `state`, `allocated` and
    `outstanding` (`payment_selectors.with_state`)."""

    lines = list(
        invoice.lines.select_related(
            "registration", "item", "credited_line", "deposit__invoice", LINE_PROJECT
        ).prefetch_related("credited_by")
    )
    for name, value in state_of(invoice).items():  # its state, allocated and outstanding
        setattr(invoice, name, value)
    previous = previously_invoiced(lines, exclude=invoice) if invoice.is_draft else {}
    for line in lines:
        line.previous = previous.get(line.registration_id, [])
        line.is_credited = bool(line.credited_by.all())
        # A draft's line of a registration or item is adjusted; a fee, a deposit or a
        # deduction follows from the others.
        line.adjustable = line.kind not in (LineKind.HANDLING_FEE, *NOT_REVENUE)
    projects = {line.project_id: line.project for line in lines}
    return {
        "invoice": invoice,
        "lines": lines,
        # An invoice of several projects (one billing account): each line says its project.
        "line_projects": sorted(projects.values(), key=lambda project: project.code)
        if len(projects) > 1
        else [],
        "bands": totals.compute(lines, invoice.currency).bands,
        "credit_notes": invoice.credit_notes.all(),
        "history": AuditEntry.objects.filter(
            object_type=Invoice._meta.label_lower, object_id=invoice.pk
        ).select_related("actor"),
    }


def previously_invoiced(lines, *, exclude: Invoice) -> dict[int, list[Invoice]]:
    """{registration id: the issued documents (invoices and credit notes, cancelled ones too)
    with a line for it}, for the registrations of these lines, `exclude` left out."""
    previous: dict[int, list[Invoice]] = {}
    registrations = [line.registration_id for line in lines if line.registration_id]
    if not registrations:
        return previous
    for line in (
        issued_lines()
        .filter(registration_id__in=registrations)
        .exclude(invoice=exclude)
        .select_related("invoice")
    ):
        previous.setdefault(line.registration_id, []).append(line.invoice)
    return previous


def selection_rows(project: Project, *, registration_ids, item_ids) -> list[tuple]:
    """The ticked registrations and items of a project, each with why it cannot be invoiced
    (empty when it can): what the page before drafting shows."""
    registrations = Registration.objects.filter(
        project=project, pk__in=registration_ids
    ).select_related("event__product", "event__phase", "learner")
    items = Item.objects.filter(project=project, pk__in=item_ids).select_related(
        "product", "phase", "milestone__phase"
    )
    return [(row, row_problem(row, project)) for row in [*registrations, *items]]


def run_counts(run) -> dict:
    """What a run has done, counted in the database (never added up by the task): invoices
    drafted, issued, and the registrations and items on them."""
    counts = Invoice.objects.filter(run=run).aggregate(
        created=Count("pk"), issued=Count("pk", filter=~Q(status=InvoiceStatus.DRAFT))
    )
    rows = (
        InvoiceLine.objects.filter(invoice__run=run).exclude(registration=None, item=None).count()
    )
    return {**counts, "rows": rows, "drafts": counts["created"] - counts["issued"]}


def run_detail(run) -> dict:
    """A bulk run's page: the run, its invoices, and its counts from the database."""
    counts = run_counts(run)
    run.invoices_created, run.invoices_issued, run.processed = (
        counts["created"],
        counts["issued"],
        counts["rows"],
    )
    return {
        "run": run,
        "invoices": with_state(run.invoices.select_related("billing_account", "project")),
        "drafts": counts["drafts"],
    }


def run_candidates(
    *, date_from=None, date_to=None, account=None, region=None, project=None, **rules
):
    """Everything invoiceable across projects, and the projects left out with the reason;
    `rules`: `projects.billing.project_problem`'s options (internal projects left out unless
    `include_internal`; `skip_no_more_transactions`)."""
    rules = {"include_internal": False, **rules}
    projects = Project.objects.select_related("billing_account", "account")
    if account is not None:
        projects = projects.filter(Q(account=account) | Q(billing_account=account))
    if region is not None:
        projects = projects.filter(region=region)
    if project is not None:
        projects = projects.filter(pk=project.pk)
    registrations = Registration.objects.filter(invoiceable_registrations())
    items = Item.objects.filter(invoiceable_items())
    if date_from:
        registrations = registrations.filter(**{f"{REGISTRATION_DELIVERY}__gte": date_from})
        items = items.filter(**{f"{ITEM_DELIVERY}__gte": date_from})
    if date_to:
        registrations = registrations.filter(**{f"{REGISTRATION_DELIVERY}__lte": date_to})
        items = items.filter(**{f"{ITEM_DELIVERY}__lte": date_to})
    wanted = projects.values("pk")
    registrations = registrations.filter(project__in=wanted)
    items = items.filter(project__in=wanted)
    by_project: dict[int, dict] = defaultdict(
        lambda: {"registrations": [], "items": [], "net": Decimal(0), "due": {}}
    )
    registrations = registrations.annotate(due=due_value("places"))
    items = items.annotate(due=due_value("quantity"))
    for pk, project_id, net in registrations.values_list("pk", "project_id", "due"):
        entry = by_project[project_id]
        entry["registrations"].append(pk)
        entry["net"] += net
        entry["due"][("Registration", pk)] = net  # each row's part, for the preview's invoices
    for pk, project_id, net in items.values_list("pk", "project_id", "due"):
        entry = by_project[project_id]
        entry["items"].append(pk)
        entry["net"] += net
        entry["due"][("Item", pk)] = net
    included, excluded = {}, []
    for candidate in projects.filter(pk__in=list(by_project)).order_by("code"):
        reason = project_problem(candidate, **rules)
        if reason:
            excluded.append((candidate, reason))
        else:
            included[candidate.pk] = {"project": candidate, **by_project[candidate.pk]}
    return included, excluded


def run_preview(included: dict, grouping: str) -> dict:
    """How many invoices and rows the run would create, with totals per currency."""

    per_currency: dict[str, Decimal] = defaultdict(Decimal)
    rows = invoices = 0
    accounts = set()  # per billing account: one invoice per billing account and currency
    for entry in included.values():
        count = len(entry["registrations"]) + len(entry["items"])
        rows += count
        project = entry["project"]
        per_currency[project.currency] += entry["net"]
        if grouping == Grouping.REGISTRATION:
            invoices += count
        elif grouping == Grouping.BILLING_ACCOUNT:
            accounts.add((project.billing_account_id, project.currency))
        else:
            invoices += 1  # at least one; grouping by event or PO can make more
    invoices += len(accounts)
    return {
        "rows": rows,
        "invoices": invoices,
        "projects": len(included),
        "per_currency": sorted(per_currency.items()),
    }


def parse_date(value):
    if not value:
        return None
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(value)


# --- What is invoiced ---------------------------------------------------------------------------
#
# *Invoiced* means issued invoices net of their credit notes: every document that is not a draft,
# credit notes counting negative (an invoice credited in full and its credit note net to zero).
# Drafts are *on drafts*, never invoiced. Reports, the project's tabs, the dashboard and the
# maximum billing amount all read these.


# The path from an invoice line to its project (`invoicing.project_lines`), the one every
# figure per project takes.
from invoicing.project_lines import (  # noqa: E402, F401
    LINE_PROJECT,
    LINE_PROJECT_ID,
    lines_of_projects,
)


def issued_documents() -> QuerySet[Invoice]:
    """Issued invoices and credit notes (cancelled ones too): what *invoiced* sums."""
    return Invoice.objects.exclude(status=InvoiceStatus.DRAFT)


def issued_lines() -> QuerySet[InvoiceLine]:
    return InvoiceLine.objects.exclude(invoice__status=InvoiceStatus.DRAFT)


def revenue_lines() -> QuerySet[InvoiceLine]:
    """The issued lines that are revenue: every line of issued invoices and credit notes but
    deposits and their deductions (`ADVANCE_KINDS`), which move money ahead of the work and are
    invoiced with it later. What `invoiced_net`, the profitability facts and the dashboard sum."""
    return issued_lines().exclude(kind__in=NOT_REVENUE)


def _work_net(lines) -> Decimal:
    return lines.exclude(kind__in=NOT_REVENUE).aggregate(total=Sum("net"))["total"] or Decimal(0)


# The lines of the project's drafts that count as *on drafts* (credit notes are never drafts).
DRAFT_LINES = Q(invoice__status=InvoiceStatus.DRAFT, invoice__kind=InvoiceKind.INVOICE)


def invoiced_net(project) -> Decimal:
    """Net invoiced on a project: issued invoices less their credit notes, deposits and their
    deductions left out (`revenue_lines`)."""
    return _work_net(lines_of_projects(issued_lines(), project))


def drafts_net(project, *, exclude: Invoice | None = None) -> Decimal:
    """Net of the project's draft invoices (not invoiced until issued), deposits and their
    deductions left out: `cap_room`'s *on drafts*."""
    return cap_room(project, exclude=exclude).on_drafts


@dataclass(frozen=True)
class CapRoom:
    """What a project is billed against its maximum billing amount, and what is left under it.

    Billed is what the customer is billed: the work invoiced (`invoiced_net`), the work on
    drafts, and the deposits not deducted yet (a deposit is billed ahead of the work it pays
    for; deducting it bills nothing more). Its sum is the net of every document of the
    project. An invoice adds its net to it: its work less what it deducts of deposits; a
    deposit invoice its amount."""

    cap: Decimal | None
    invoiced: Decimal
    on_drafts: Decimal
    unused: Decimal  # deposits not deducted yet: issued, and (counting drafts) on drafts

    @property
    def billed(self) -> Decimal:
        return self.invoiced + self.on_drafts + self.unused

    @property
    def left(self) -> Decimal | None:
        return None if self.cap is None else self.cap - self.billed


def cap_room(project, *, drafts: bool = True, exclude: Invoice | None = None) -> CapRoom:
    """*Left under the cap*, the one definition that drafting, issuing, deposits, credits, the
    invoices tab and the deposit form use (one query). `drafts`: count the drafts (work, draft
    deposit invoices and what drafts deduct); issuing counts issued documents only. `exclude`:
    a draft being changed, whose lines and deductions are left out."""
    draft = Q(invoice__status=InvoiceStatus.DRAFT)
    lines = lines_of_projects(InvoiceLine.objects.all(), project).filter(
        (~draft | DRAFT_LINES) if drafts else ~draft
    )
    if exclude is not None:
        lines = lines.exclude(invoice=exclude)
    work = ~Q(kind__in=NOT_REVENUE)
    sums = lines.aggregate(
        invoiced=Sum("net", filter=~draft & work),
        on_drafts=Sum("net", filter=draft & work),
        unused=Sum("net", filter=Q(kind__in=ADVANCE_KINDS)),
    )
    return CapRoom(
        cap=project.max_billing_amount,
        **{name: value or Decimal(0) for name, value in sums.items()},
    )


def billing_summary(project) -> dict:
    """What the project's invoices tab and the maximum billing amount show."""
    room = cap_room(project)
    return {
        "invoiced": room.invoiced,
        "on_drafts": room.on_drafts,
        "cap": room.cap,
        "cap_unused_deposits": room.unused,
        "cap_left": room.left,
    }


def invoice_count_of_project(project: Project) -> int:
    """Invoices, credit notes and drafts of the project, whatever their state."""
    return Invoice.objects.filter(project=project).count()


def invoice_ids_of_account(account) -> list[int]:
    """The documents billed to `account` or filed under one of its projects, as ids read from
    two indexed parts: "billed to it OR of its projects" in one query read every invoice of the
    company (26 ms on a large one, issue 18)."""
    billed = Invoice.objects.filter(billing_account=account).order_by().values_list("pk", flat=True)
    of_its_projects = (
        Invoice.objects.filter(project__account=account).order_by().values_list("pk", flat=True)
    )
    return list(billed.union(of_its_projects))


def invoices_of_project(project: Project):
    """The project's documents: those filed under it and those of several projects with a line
    of it (`LINE_PROJECT`)."""
    # The ids first, in one query of two indexed parts: "filed under it OR has a line of it"
    # in one query made PostgreSQL read every invoice of the company (100 ms on a large one,
    # issue 18), and so did an IN (… UNION …) it expected thousands of rows from.
    filed = Invoice.objects.filter(project=project).order_by().values_list("pk", flat=True)
    with_a_line = (
        lines_of_projects(InvoiceLine.objects.order_by(), project)
        .values_list("invoice_id", flat=True)
        .distinct()
    )
    ids = list(filed.union(with_a_line))
    return with_state(Invoice.objects.filter(pk__in=ids).select_related("billing_account"))


def invoicing_settings(tenant) -> InvoicingSettings:
    """The company's invoicing settings: its row, or the defaults (unsaved) when it has none."""
    found = (
        InvoicingSettings.objects.select_related("handling_fee_product__tax_rate")
        .filter(tenant=tenant)
        .first()
    )
    return found or InvoicingSettings(tenant=tenant)


def rate_for(tenant, currency: str, day: datetime.date) -> Decimal:
    """Base currency per unit of `currency` on `day`: the latest rate on or before it, and at
    most the settings' `max_rate_age_days` older (a rate of 2020 never prices a 2026 invoice)."""
    if currency == tenant.base_currency:
        return Decimal(1)
    rate = ExchangeRate.objects.filter(currency=currency, date__lte=day).order_by("-date").first()
    if rate is None:
        raise ValidationError(
            gettext(
                "There is no %(currency)s → %(base_currency)s exchange rate for %(day)s: enter it "
                "under Invoices → Exchange rates, then issue again."
            )
            % {
                "currency": currency,
                "base_currency": tenant.base_currency,
                "day": format(day, "%d %b %Y"),
            }
        )
    limit = invoicing_settings(tenant).max_rate_age_days
    age = (day - rate.date).days
    if age > limit:
        raise ValidationError(
            gettext(
                "The latest %(currency)s → %(base_currency)s exchange rate is of %(date)s, %(age)s "
                "day%(age2)s before the issue date %(day)s; rates may be at most %(limit)s "
                "day%(limit2)s old. Enter a newer rate under Invoices → Exchange rates (or change "
                "the limit in the invoicing settings), then issue again."
            )
            % {
                "currency": currency,
                "base_currency": tenant.base_currency,
                "date": format(rate.date, "%d %b %Y"),
                "age": age,
                "age2": pluralize(age),
                "day": format(day, "%d %b %Y"),
                "limit": limit,
                "limit2": pluralize(limit),
            }
        )
    return rate.rate


def invoices_of_prepurchase_uses(entries) -> dict[int, str]:
    """{ledger row id: invoice number} for the prepurchase uses that invoice lines wrote (one
    query). Registered with `agreements.services.entry_writers`, so the ledger refuses
    to reverse such a use by hand: crediting its line does it."""
    rows = (
        InvoiceLine.objects.filter(
            prepurchase_entry__in=[entry.pk for entry in entries], invoice__kind=InvoiceKind.INVOICE
        )
        .order_by()
        .values_list("prepurchase_entry_id", "invoice__number", "invoice_id")
    )
    return {entry_id: number or f"#{invoice_id}" for entry_id, number, invoice_id in rows}


# The deposits' reads: a module of their own (this one holds what is invoiced).
# The e-mail deliveries' reads: a module of their own (this one holds what is invoiced).
from invoicing.delivery_selectors import (  # noqa: E402, F401
    SENDING_STALE_AFTER,
    deliveries_of,
    latest_issued,
    latest_round,
    run_mail_counts,
)
from invoicing.deposit_selectors import (  # noqa: E402, F401
    DepositBalance,
    deposit_balances,
    deposit_summary,
    deposit_uses,
)

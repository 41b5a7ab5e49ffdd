"""Reads of invoicing: lists, the bulk run's candidates and preview."""

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.utils import timezone

from invoicing.models import Invoice, InvoiceStatus
from invoicing.services import project_problem
from projects.models import Item, Project, Registration, RegistrationStatus


def invoice_list() -> QuerySet[Invoice]:
    return Invoice.objects.select_related("billing_account", "project").order_by(
        "-issue_date", "-sequence_number", "-pk"
    )


def overdue(queryset):
    return queryset.filter(
        status=InvoiceStatus.ISSUED, kind="invoice", due_date__lt=timezone.localdate()
    )


def run_candidates(
    *, date_from=None, date_to=None, account=None, region=None, project=None, include_internal=False
):
    """Everything invoiceable across projects, and the projects left out with the reason."""
    projects = Project.objects.select_related("billing_account", "account")
    if account is not None:
        projects = projects.filter(Q(account=account) | Q(billing_account=account))
    if region is not None:
        projects = projects.filter(region=region)
    if project is not None:
        projects = projects.filter(pk=project.pk)
    registrations = Registration.objects.filter(invoiced=False).filter(
        Q(status=RegistrationStatus.DELIVERED)
        | Q(status=RegistrationStatus.CONFIRMED, project__invoice_confirmed=True)
    )
    items = Item.objects.filter(invoiced=False, billable=True)
    if date_from:
        registrations = registrations.filter(event__start_date__gte=date_from)
        items = items.filter(date__gte=date_from)
    if date_to:
        registrations = registrations.filter(event__start_date__lte=date_to)
        items = items.filter(date__lte=date_to)
    wanted = projects.values("pk")
    registrations = registrations.filter(project__in=wanted)
    items = items.filter(project__in=wanted)
    by_project: dict[int, dict] = defaultdict(
        lambda: {"registrations": [], "items": [], "net": Decimal(0)}
    )
    for pk, project_id, net in registrations.values_list("pk", "project_id", "net_amount"):
        entry = by_project[project_id]
        entry["registrations"].append(pk)
        entry["net"] += net
    for pk, project_id, net in items.values_list("pk", "project_id", "net_amount"):
        entry = by_project[project_id]
        entry["items"].append(pk)
        entry["net"] += net
    included, excluded = {}, []
    for candidate in projects.filter(pk__in=list(by_project)).order_by("code"):
        reason = project_problem(candidate, include_internal=include_internal)
        if reason:
            excluded.append((candidate, reason))
        else:
            included[candidate.pk] = {"project": candidate, **by_project[candidate.pk]}
    return included, excluded


def run_preview(included: dict, grouping: str) -> dict:
    """How many invoices and rows the run would create, with totals per currency."""
    from invoicing.models import Grouping

    per_currency: dict[str, Decimal] = defaultdict(Decimal)
    rows = invoices = 0
    for entry in included.values():
        count = len(entry["registrations"]) + len(entry["items"])
        rows += count
        per_currency[entry["project"].currency] += entry["net"]
        if grouping == Grouping.REGISTRATION:
            invoices += count
        else:
            invoices += 1  # at least one; grouping by event or PO can make more
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


def invoiced_net(project) -> Decimal:
    """Net invoiced on a project: issued (and paid, and cancelled) invoices plus their credit
    notes, whose totals are negative. Drafts do not count."""
    from django.db.models import Sum

    return Invoice.objects.filter(project=project).exclude(status=InvoiceStatus.DRAFT).aggregate(
        total=Sum("net_total")
    )["total"] or Decimal(0)

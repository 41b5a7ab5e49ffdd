"""What each funder of a project has paid and has left under its cap: the one definition that
splitting (`invoicing.services.funding`) and the project's Funders tab read."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, Sum

from invoicing.models import NOT_REVENUE, InvoiceLine, InvoiceStatus, LineKind
from invoicing.selectors import DRAFT_LINES
from projects.models import Project, ProjectFunder

# The work a funder pays for (what its cap counts): not its administration fee, not advances,
# not the line taking an internal budget's share off the customer's invoice.
_NOT_WORK = [*NOT_REVENUE, LineKind.ADMIN_FEE]


@dataclass(frozen=True)
class FunderUse:
    funder: ProjectFunder
    invoiced: Decimal  # issued invoices net of their credit notes
    on_drafts: Decimal
    admin_fees: Decimal  # issued, net of credit notes; outside the cap

    @property
    def used(self) -> Decimal:
        """What counts against the cap: invoiced and on drafts (so two drafts cannot both
        spend the same room)."""
        return self.invoiced + self.on_drafts

    @property
    def left(self) -> Decimal | None:
        if self.funder.cap is None:
            return None
        return max(self.funder.cap - self.used, Decimal(0))


def funder_uses(funders: Iterable[ProjectFunder]) -> dict[int, FunderUse]:
    """Each funder's invoiced, on-drafts and fee figures, in one query for them all."""
    funders = list(funders)
    if not funders:
        return {}
    draft = Q(invoice__status=InvoiceStatus.DRAFT)
    work = ~Q(kind__in=_NOT_WORK)
    sums = {
        row["funder"]: row
        for row in InvoiceLine.objects.filter(funder__in=[funder.pk for funder in funders])
        .filter(~draft | DRAFT_LINES)
        .values("funder")
        .order_by()
        .annotate(
            invoiced=Sum("net", filter=~draft & work),
            on_drafts=Sum("net", filter=draft & work),
            admin_fees=Sum("net", filter=~draft & Q(kind=LineKind.ADMIN_FEE)),
        )
    }
    zero = Decimal(0)
    return {
        funder.pk: FunderUse(
            funder=funder,
            invoiced=sums.get(funder.pk, {}).get("invoiced") or zero,
            on_drafts=sums.get(funder.pk, {}).get("on_drafts") or zero,
            admin_fees=sums.get(funder.pk, {}).get("admin_fees") or zero,
        )
        for funder in funders
    }


def project_funders(project: Project) -> list[FunderUse]:
    """The project's funders by priority with what each has paid and has left (the Funders
    tab): two queries (funders with their accounts and scopes, then their lines' sums)."""
    funders = list(
        ProjectFunder.objects.filter(project=project)
        .select_related("account")
        .prefetch_related("scopes__product", "scopes__package")
    )
    uses = funder_uses(funders)
    return [uses[funder.pk] for funder in funders]


def customer_share(project: Project) -> Decimal:
    """What the project's billing account is invoiced of the work when others fund part of it
    (issued, net of credit notes): the lines no funder pays."""
    return InvoiceLine.objects.filter(invoice__project=project, funder__isnull=True).exclude(
        invoice__status=InvoiceStatus.DRAFT
    ).exclude(kind__in=_NOT_WORK).aggregate(total=Sum("net"))["total"] or Decimal(0)

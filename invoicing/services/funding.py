"""Funding sources at invoicing (issue 13, part 2): a group's lines are split to the project's
funders before they become invoices, each payer billed on its own invoice.

For each line (whatever produced it: a registration, an item, a fee, a milestone), the funders
that fund its product are offered it by priority: each takes its percentage of the line's net
(all of it without one), no more than what is left of the line nor what is left under its cap;
what it does not take falls to the next; the project's billing account pays the rest. Shares are
rounded cumulatively (a funder's share is its running percentage's rounded amount less what the
funders before it took), so the parts always sum to the unsplit net to the cent, and the rounding
remainder lands on the lowest-priority payer. Caps count what a funder is invoiced net of credit
notes plus what is on drafts (`invoicing.funder_selectors`), and the room a batch's earlier
invoices spend, so two drafts never both spend the same room; the projects are locked by the
caller (`write_drafts`), so two writers never do either.

Each share is a copy of the line for its payer (`funder`), claiming the row's units for that
funder (`claims`): a row is on at most one live line per payer. The unit price and discount stay
the row's, so every invoice shows what the work costs and what part of it this payer pays.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from accounts.models import Account
from accounts.platform.money import round_money
from invoicing import vat
from invoicing.funder_selectors import funder_uses
from invoicing.models import InvoiceLine, LineKind
from invoicing.selectors import invoicing_settings
from invoicing.services.lines import fee_treatment
from projects.models import FunderKind, Project, ProjectFunder

ADMIN_FEE_CODE = "ADMIN"
HUNDRED = Decimal(100)


@dataclass
class Share:
    """One payer's invoice to be: a funder (None: the project's billing account, for what no
    funder takes), the account it goes to, that account's VAT context and its lines."""

    funder: ProjectFunder | None
    account: Account
    taxes: vat.VatContext
    lines: list[InvoiceLine] = field(default_factory=list)

    @property
    def is_customer(self) -> bool:
        """The customer's invoice: it carries the purchase order and the project's handling fee
        (a funder's carries its administration fee instead)."""
        return self.funder is None or self.funder.kind == FunderKind.CUSTOMER


class Funding:
    """The funders of a batch's projects and the room each has left under its cap: three queries
    at most for the batch (funders, their scopes, what the capped ones have used), one when no
    project has funders. `split` spends the room, so a batch's later invoices see what its
    earlier ones took."""

    def __init__(
        self, tenant, projects: Sequence[Project], context: Callable, *, fees: bool = True
    ):
        self.tenant = tenant
        self.fees = fees  # administration fees (the run preview leaves them to the drafts)
        self.context = context  # account -> VatContext, shared with the caller's cache
        self.funders: dict[int, list[ProjectFunder]] = defaultdict(list)
        funders = list(
            ProjectFunder.objects.filter(project__in=[project.pk for project in projects])
            .select_related("account")
            .prefetch_related("scopes")
            .order_by("priority", "pk")
        )
        for funder in funders:
            self.funders[funder.project_id].append(funder)
        uses = funder_uses([funder for funder in funders if funder.cap is not None])
        self.room: dict[int, Decimal] = {pk: use.left for pk, use in uses.items()}

    def split(
        self, project: Project, lines: Sequence[InvoiceLine], products: Sequence
    ) -> list[Share]:
        """The payers of `lines` (`products`: each line's product, or None), funders by
        priority first and the project's billing account last, each with its share of them."""
        customer = Share(None, project.billing_account, self.context(project.billing_account))
        funders = self.funders.get(project.pk)
        if not funders:
            customer.lines = list(lines)
            return [customer]
        # An internal budget's share stays on the customer's invoice (`_internal`): one
        # definition of invoiced and of revenue, and nothing sent to anyone for it.
        shares = {
            funder.pk: customer
            if funder.kind == FunderKind.INTERNAL
            else Share(funder, funder.account or project.billing_account, None)
            for funder in funders
        }
        for share in shares.values():
            share.taxes = share.taxes or self.context(share.account)
        for line, product in zip(lines, products, strict=True):
            whole = Decimal(line.net)
            taken = self._split_line(project, funders, line, product)
            parts = []
            for funder, amount in taken:
                part = copy.copy(line)
                part.funder = funder
                part.net = amount
                part.description = (
                    f"{line.description} — {funder.name} pays {amount:,.2f} of {whole:,.2f}"
                )
                shares[funder.pk].taxes.for_product(product).apply(part)
                shares[funder.pk].lines.append(part)
                parts.append(part)
                if funder.kind == FunderKind.INTERNAL:
                    customer.lines.append(_internal(part, funder, amount, customer, product))
            rest = whole - sum((amount for _funder, amount in taken), Decimal(0))
            if rest or not taken:
                if taken:
                    line.description = (
                        f"{line.description} — funded in part; you pay {rest:,.2f} of {whole:,.2f}"
                    )
                line.net = rest
                customer.lines.append(line)
                parts.append(line)
            _set_shares(parts, whole)
        result = [share for share in shares.values() if share.lines and share is not customer]
        for share in result:
            fee = self._admin_fee(project, share)
            if fee is not None:
                share.lines.append(fee)
        return result + ([customer] if customer.lines else [])

    def _split_line(self, project, funders, line, product) -> list[tuple[ProjectFunder, Decimal]]:
        net = Decimal(line.net)
        if net <= 0 or line.kind in NOT_SHARED:
            return []  # nothing to share, or not the work
        taken, left, nominal = [], net, Decimal(0)
        currency = project.currency
        for funder in funders:
            if left <= 0:
                break
            if not _funds(funder, product):
                continue
            percent = funder.percent if funder.percent is not None else HUNDRED
            # Cumulative rounding: the funders so far take their running percentage, rounded once.
            want = round_money(net * (nominal + percent) / HUNDRED, currency) - round_money(
                net * nominal / HUNDRED, currency
            )
            nominal += percent
            amount = min(want, left)
            if funder.pk in self.room:
                amount = min(amount, self.room[funder.pk])
            if amount <= 0:
                continue  # its cap is spent: the line falls to the next payer
            if funder.pk in self.room:
                self.room[funder.pk] -= amount
            left -= amount
            taken.append((funder, amount))
        return taken

    def _admin_fee(self, project: Project, share: Share) -> InvoiceLine | None:
        """The funder's administration fee on its share, as a line of its own (the handling
        fee's shape: `lines.handling_fee_line`); outside its cap."""
        funder = share.funder
        if funder is None or not funder.admin_fee_percent or not self.fees:
            return None
        base = sum((Decimal(line.net) for line in share.lines), Decimal(0))
        fee = round_money(base * funder.admin_fee_percent / HUNDRED, project.currency)
        if fee <= 0:
            return None
        line = InvoiceLine(
            tenant_id=self.tenant.pk,
            kind=LineKind.ADMIN_FEE,
            project=project,
            funder=funder,
            product_code=ADMIN_FEE_CODE,
            description=f"Administration fee {funder.admin_fee_percent.normalize():f} % of "
            f"{base:,.2f} {project.currency}",
            quantity=Decimal(1),
            unit_price=fee,
            net=fee,
        )
        fee_treatment(invoicing_settings(self.tenant), share.lines, share.taxes).apply(line)
        return line


# Lines funders never share: the fees charged on top of the work, advances, and what the
# customer's prepurchase agreement pays. Every other kind of line is work (a registration, an
# item, a fee for a late cancellation, a milestone...), shared whatever produced it.
NOT_SHARED = {
    LineKind.HANDLING_FEE,
    LineKind.ADMIN_FEE,
    LineKind.DEPOSIT,
    LineKind.DEPOSIT_DEDUCTION,
    LineKind.PREPURCHASE,
}


def _internal(part: InvoiceLine, funder: ProjectFunder, amount: Decimal, customer: Share, product):
    """The line taking an internal budget's share off the customer's invoice: the share's work
    line stays on it (revenue, the funder's cap, its claim on the row), this line makes the
    customer owe nothing for it and is no revenue (`NOT_REVENUE`); a credit note reverses both."""
    line = InvoiceLine(
        tenant_id=part.tenant_id,
        kind=LineKind.INTERNAL_BUDGET,
        project=part.project,
        funder=funder,
        product_code=part.product_code,
        description=f"Paid from internal budget {funder.name}: {amount:,.2f}",
        quantity=Decimal(1),
        unit_price=-amount,
        net=-amount,
        share=Decimal(0),
    )
    customer.taxes.for_product(product).apply(line)
    return line


def internal_offsets(open_lines: Sequence[InvoiceLine], chosen: list[InvoiceLine]) -> list:
    """The lines a credit note credits: `chosen` with, for each internal budget share in it, the
    line that took that share off the customer's invoice (an open one of the same budget and
    amount: such lines differ in nothing else), so the customer is credited what it paid, not
    the budget's share. Such a line is never credited without its share."""
    picked = [line for line in chosen if line.kind == LineKind.INTERNAL_BUDGET]
    work = [line for line in chosen if line.kind != LineKind.INTERNAL_BUDGET]
    spare = [
        line
        for line in open_lines
        if line.kind == LineKind.INTERNAL_BUDGET and line.pk not in {o.pk for o in picked}
    ]
    offsets = []
    for line in work:
        if not line.funder_id:
            continue
        for pool in (picked, spare):
            match = next(
                (o for o in pool if o.funder_id == line.funder_id and o.net == -line.net), None
            )
            if match is not None:
                pool.remove(match)
                offsets.append(match)
                break
    if picked:  # chosen alone, without the share it takes off
        raise ValidationError(
            gettext(
                "A line paid from an internal budget is credited with the line it pays for: "
                "choose that line instead."
            )
        )
    return work + offsets


SHARE = Decimal("1e-10")


def _set_shares(parts: list[InvoiceLine], whole: Decimal) -> None:
    """Each part's share of its row's value; the last takes what the others leave of 1, so a
    row's shares always sum to exactly 1 (reports count its units once)."""
    if len(parts) < 2:
        return
    given = Decimal(0)
    for part in parts[:-1]:
        part.share = (Decimal(part.net) / whole).quantize(SHARE)
        given += part.share
    parts[-1].share = Decimal(1) - given


def _funds(funder: ProjectFunder, product) -> bool:
    scopes = list(funder.scopes.all())  # prefetched
    if not scopes:
        return True
    if product is None:
        return False
    return any(
        scope.product_id == product.pk
        or (scope.package_id is not None and scope.package_id == product.package_id)
        for scope in scopes
    )


def is_shared(line: InvoiceLine) -> bool:
    """Whether a line bills a share of its row (a funder's, or the customer's rest of a row that
    funders share): such a line follows the split and is not changed on its own."""
    if line.funder_id:
        return True
    source = {"registration": line.registration_id} if line.registration_id else {}
    source = source or {"item": line.item_id}
    return (
        InvoiceLine.objects.filter(**source, funder__isnull=False, claims__isnull=False).first()
        is not None
    )

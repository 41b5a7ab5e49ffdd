"""Phases of a project and their billing milestones (issue 13, part 1).

A milestone is billed as an Item linked to it (`Item.milestone`), like a cancellation fee: its
amount (or its percentage of the phase's budget, resolved again whenever the phase or the
milestone changes, until it is invoiced) is the item's price, and the item says which
milestone it bills. Drafting, the review page, bulk runs, credit notes and reports then treat
it as any item; `projects.billing` decides when it is due."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.db.models.deletion import ProtectedError
from django.utils.translation import gettext as _

from accounts.platform.audit import audit
from accounts.platform.guards import check_tenant, require_active
from accounts.platform.money import format_percent, round_money
from agreements.models import ProductKind
from agreements.pricing import PriceSource
from projects.models import Item, Milestone, Phase, PrivateEvent, Project


def _check_open(project: Project) -> None:
    if not project.is_active:
        raise ValidationError(
            _("%(project)s is %(status)s: its phases and milestones cannot change.")
            % {"project": project, "status": project.get_status_display().lower()}
        )


def _check_within_project(phase: Phase, project: Project) -> None:
    """A phase lies within its project's dates (the timeline and the figures assume it)."""
    errors = {}
    if phase.start_date and phase.start_date < project.start_date:
        errors["start_date"] = _(
            "Phase %(phase)s cannot start before the project does (%(day)s): choose a later date."
        ) % {"phase": phase.name, "day": f"{project.start_date:%d %b %Y}"}
    if phase.end_date and phase.end_date > project.end_date:
        errors["end_date"] = _(
            "Phase %(phase)s cannot end after the project does (%(day)s): choose an earlier date."
        ) % {"phase": phase.name, "day": f"{project.end_date:%d %b %Y}"}
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def phase_save(*, tenant, by, phase: Phase) -> Phase:
    """Create or change a phase; its milestones not invoiced yet follow its new budget."""
    require_active(tenant)
    phase.tenant = tenant
    check_tenant(tenant, phase.project)
    project = Project.objects.select_for_update().get(pk=phase.project_id)
    _check_open(project)
    if phase.budget is not None:
        phase.budget = round_money(phase.budget, project.currency)
    _check_within_project(phase, project)
    phase.full_clean()
    phase.save()
    for milestone in phase.milestones.select_related("product"):
        _bill(tenant, milestone)
    audit(tenant=tenant, actor=by, action="phase saved", obj=project, after={"phase": phase.name})
    return phase


def milestone_amount(milestone: Milestone) -> Decimal:
    """What a milestone bills: its amount, or its percentage of its phase's budget."""
    currency = milestone.phase.project.currency
    if milestone.amount is not None:
        return round_money(milestone.amount, currency)
    return round_money(milestone.phase.budget * milestone.percent / Decimal(100), currency)


def milestone_description(milestone: Milestone) -> str:
    """What its invoice line says: "Milestone 2 of phase Design (Sign-off): 40 % of 10,000.00
    GBP"."""
    phase = milestone.phase
    text = _("Milestone %(number)s of phase %(phase)s (%(name)s)") % {
        "number": milestone.number,
        "phase": phase.name,
        "name": milestone.name,
    }
    if milestone.percent is not None:
        text += _(": %(percent)s %% of %(budget)s %(currency)s") % {
            "percent": format_percent(milestone.percent),
            "budget": f"{phase.budget:,.2f}",
            "currency": phase.project.currency,
        }
    return text[:255]


@transaction.atomic
def milestone_save(*, tenant, by, milestone: Milestone) -> Milestone:
    """Create or change a milestone and the item that bills it. Once (part of) it is on an
    invoice its amount and phase are frozen: credit the invoice first."""
    require_active(tenant)
    milestone.tenant = tenant
    check_tenant(tenant, milestone.phase, milestone.product)
    phase = Phase.objects.select_related("project").get(pk=milestone.phase_id)
    _check_open(Project.objects.select_for_update().get(pk=phase.project_id))
    milestone.phase = phase
    if milestone.product_id and milestone.product.kind == ProductKind.LEARNING_PATH:
        raise ValidationError(
            {"product": _("Learning paths are never part of a project: choose another product.")}
        )
    if milestone.amount is not None:
        milestone.amount = round_money(milestone.amount, phase.project.currency)
    if not milestone.pk:
        last = Milestone.objects.filter(phase=phase).aggregate(last=Max("number"))["last"]
        milestone.number = (last or 0) + 1
    milestone.full_clean()
    milestone.save()
    _bill(tenant, milestone)
    audit(
        tenant=tenant,
        actor=by,
        action="milestone saved",
        obj=phase.project,
        after={"milestone": str(milestone), "phase": phase.name},
    )
    return milestone


def _bill(tenant, milestone: Milestone) -> Item:
    """The item billing a milestone, created or brought up to date (until invoiced)."""
    phase = milestone.phase
    item = Item.objects.filter(milestone=milestone).first()
    amount = milestone_amount(milestone)
    if item is not None and item.invoiced:
        if item.unit_price != amount or item.product_id != milestone.product_id:
            raise ValidationError(
                _(
                    "Milestone %(milestone)s is on an invoice already: its amount cannot change. "
                    "Credit that invoice first."
                )
                % {"milestone": milestone}
            )
        return item
    item = item or Item(tenant=tenant, milestone=milestone, quantity=Decimal(1), billable=True)
    item.project = phase.project
    item.phase = phase
    item.product = milestone.product
    item.date = milestone.due_date or phase.end_date
    item.description = milestone_description(milestone)
    item.unit_price = item.net_amount = amount
    item.price_source = PriceSource.MILESTONE
    item.unit_cost = Decimal(0)
    item.full_clean()
    item.save()
    return item


def _check_not_invoiced(milestone: Milestone, item: Item | None) -> None:
    # `invoiced` is kept by invoicing while any of the item is on a live line, draft or issued.
    if item is not None and item.invoiced:
        raise ValidationError(
            _(
                "Milestone %(milestone)s is on an invoice: credit that invoice (or delete the "
                "draft) first, then remove the milestone."
            )
            % {"milestone": milestone}
        )


def _delete_milestone_rows(milestone: Milestone, item: Item | None) -> None:
    if item is not None:
        try:
            with transaction.atomic():
                item.delete()
        except ProtectedError:
            # Invoiced once and credited since: the invoice and its credit note keep naming the
            # item, so it stays as their record, billing nothing more (not billable, no
            # milestone) — the credit note already made it due again.
            Item.objects.filter(pk=item.pk).update(milestone=None, billable=False)
    milestone.delete()


@transaction.atomic
def milestone_delete(*, tenant, by, milestone: Milestone) -> None:
    """Remove a milestone and the item that bills it, unless that item is on an invoice."""
    require_active(tenant)
    check_tenant(tenant, milestone)
    phase = Phase.objects.select_related("project").get(pk=milestone.phase_id)
    _check_open(Project.objects.select_for_update().get(pk=phase.project_id))
    item = Item.objects.filter(milestone=milestone).first()
    _check_not_invoiced(milestone, item)
    audit(  # before the delete, which clears the row's id
        tenant=tenant,
        actor=by,
        action="milestone removed",
        obj=milestone,
        before={"project": phase.project.code, "phase": phase.name, "milestone": str(milestone)},
    )
    _delete_milestone_rows(milestone, item)


@transaction.atomic
def phase_delete(*, tenant, by, phase: Phase) -> None:
    """Remove a phase with its milestones (none may be invoiced); its events and items stay on
    the project, in no phase."""
    require_active(tenant)
    check_tenant(tenant, phase)
    project = Project.objects.select_for_update().get(pk=phase.project_id)
    _check_open(project)
    milestones = list(Milestone.objects.filter(phase=phase).order_by("number"))
    items = {item.milestone_id: item for item in Item.objects.filter(milestone__phase=phase)}
    for milestone in milestones:
        _check_not_invoiced(milestone, items.get(milestone.pk))
    audit(  # before the delete, which clears the row's id
        tenant=tenant,
        actor=by,
        action="phase removed",
        obj=phase,
        before={
            "project": project.code,
            "phase": phase.name,
            "milestones": [str(milestone) for milestone in milestones],
        },
    )
    for milestone in milestones:
        _delete_milestone_rows(milestone, items.get(milestone.pk))
    PrivateEvent.objects.filter(phase=phase).update(phase=None)
    Item.objects.filter(phase=phase).update(phase=None)
    phase.delete()

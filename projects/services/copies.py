"""Copying a project's plan (issue 13, part 4): its phases, events (dates shifted to a new
start), items and milestones, into a new project (`project_copy` with `with_plan`, templates
included) or into an open one ("copy lines from another project").

Everything is written through the services that write it by hand (`phase_save`, `event_save`,
`item_add`, `milestone_save`), so a copy is priced, checked and audited like typed rows: an
item is priced again for its new project (its booking may agree another price). Registrations
are people's places and are never copied; nor are fees (they follow a cancellation)."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.platform.audit import audit
from accounts.platform.guards import check_tenant, require_active
from projects.models import EventStatus, Item, Milestone, Phase, PrivateEvent, Project
from projects.services.events import event_save
from projects.services.phases import milestone_save, phase_save
from projects.services.rows import item_add


def _shifted(day: datetime.date | None, shift: datetime.timedelta) -> datetime.date | None:
    return None if day is None else day + shift


def copy_plan(*, tenant, by, source: Project, target: Project, shift: datetime.timedelta) -> dict:
    """Copy the source's phases, events, items and milestones into the target, every date moved
    by `shift`. A phase of the same name on the target is reused (its rows join it). Inside the
    caller's transaction; returns what was copied, counted."""
    phases = {}
    existing = {phase.name: phase for phase in Phase.objects.filter(project=target)}
    for phase in Phase.objects.filter(project=source).order_by("start_date", "pk"):
        phases[phase.pk] = existing.get(phase.name) or phase_save(
            tenant=tenant,
            by=by,
            phase=Phase(
                project=target,
                name=phase.name,
                start_date=phase.start_date + shift,
                end_date=phase.end_date + shift,
                budget=phase.budget,
                billing_moment=phase.billing_moment,
            ),
        )
    events = PrivateEvent.objects.filter(project=source).exclude(status=EventStatus.CANCELLED)
    for event in events.select_related("product", "discount_agreement").order_by("start_date"):
        event_save(
            tenant=tenant,
            by=by,
            event=PrivateEvent(
                project=target,
                product=event.product,
                title=event.title,
                start_date=event.start_date + shift,
                end_date=event.end_date + shift,
                venue=event.venue,
                trainer=event.trainer,
                capacity=event.capacity,
                trainer_fee=event.trainer_fee,
                venue_cost=event.venue_cost,
                other_cost=event.other_cost,
                discount_agreement=event.discount_agreement,
                unit_price=event.unit_price,
                phase=phases.get(event.phase_id),
            ),
        )
    items = Item.objects.filter(project=source, fee_kind="", milestone__isnull=True)
    for item in items.select_related("product").order_by("date", "pk"):
        item_add(
            tenant=tenant,
            by=by,
            project=target,
            product=item.product,
            date=item.date + shift,
            quantity=item.quantity,
            description=item.description,
            billable=item.billable,
            notes=item.notes,
            phase=phases.get(item.phase_id),
            confirm=True,  # the budget's warnings were the source's to confirm
        )
    milestones = Milestone.objects.filter(phase__project=source).select_related("product")
    for milestone in milestones.order_by("phase__start_date", "number"):
        milestone_save(
            tenant=tenant,
            by=by,
            milestone=Milestone(
                phase=phases[milestone.phase_id],
                name=milestone.name,
                amount=milestone.amount,
                percent=milestone.percent,
                due=milestone.due,
                due_date=_shifted(milestone.due_date, shift),
                product=milestone.product,
            ),
        )
    return {
        "phases": len(phases),
        "events": events.count(),
        "items": items.count(),
        "milestones": milestones.count(),
    }


@transaction.atomic
def project_copy_lines(
    *, tenant, by, target: Project, source: Project, start_date: datetime.date | None = None
) -> dict:
    """Copy another project's plan into an open project, its first day moved to `start_date`
    (default: the target's start)."""
    require_active(tenant)
    check_tenant(tenant, target, source)
    if source.pk == target.pk:
        raise ValidationError(_("Choose another project to copy from."))
    if source.currency != target.currency:
        raise ValidationError(
            _(
                "%(source)s is priced in %(theirs)s and this project in %(ours)s: copy from a "
                "project in %(ours)s."
            )
            % {"source": source, "theirs": source.currency, "ours": target.currency}
        )
    shift = (start_date or target.start_date) - source.start_date
    copied = copy_plan(tenant=tenant, by=by, source=source, target=target, shift=shift)
    audit(
        tenant=tenant,
        actor=by,
        action="lines copied",
        obj=target,
        after={"from": source.code, **copied},
    )
    return copied

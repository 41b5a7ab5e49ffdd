"""Private events of a project."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext

from accounts.platform.audit import audit
from accounts.platform.guards import check_tenant, require_active
from accounts.platform.money import round_money
from projects.billing import COSTED_STATUSES
from projects.models import (
    EventStatus,
    PrivateEvent,
    Project,
    Registration,
    RegistrationStatus,
)


@transaction.atomic
def event_save(*, tenant, by, event: PrivateEvent) -> PrivateEvent:
    """Create or update a private event; an event without a title takes its course's name. Its
    own price (optional) prices the registrations added from then on (`agreements.pricing`)."""
    require_active(tenant)
    event.tenant = tenant
    check_tenant(tenant, event.project, event.product, event.discount_agreement)
    if not (event.title or "").strip() and event.product_id:
        event.title = event.product.name
    project = Project.objects.get(pk=event.project_id)  # its status now, not as loaded
    if not event.pk and not project.is_active:
        raise ValidationError(
            gettext("%(project)s is %(lower)s: no new events can be added.")
            % {"project": project, "lower": project.get_status_display().lower()}
        )
    for field in ("trainer_fee", "venue_cost", "other_cost"):
        setattr(event, field, round_money(getattr(event, field), event.project.currency))
    if event.unit_price is not None:  # the event's own price, in the project's currency
        event.unit_price = round_money(event.unit_price, event.project.currency)
    event.full_clean()
    event.save()
    return event


def deliver_completed_events(*, tenant, by, event_ids: Iterable[int]) -> list[PrivateEvent]:
    """Mark delivered those of the events whose every place is now delivered, a no-show or
    cancelled (at least one held), so their delivery cost is recognised at once
    (`projects.billing`). Called inside the transaction of the change that completed them."""
    open_places = Registration.objects.filter(event=OuterRef("pk")).exclude(
        status__in=[*COSTED_STATUSES, RegistrationStatus.CANCELLED]
    )
    held = Registration.objects.filter(event=OuterRef("pk"), status__in=COSTED_STATUSES)
    completed = list(
        PrivateEvent.objects.filter(pk__in=set(event_ids))
        .exclude(status__in=[EventStatus.DELIVERED, EventStatus.CANCELLED])
        .filter(Exists(held))
        .exclude(Exists(open_places))
        .select_related("project")
        .order_by("start_date", "pk")
    )
    PrivateEvent.objects.filter(pk__in=[event.pk for event in completed]).update(
        status=EventStatus.DELIVERED
    )
    for event in completed:
        audit(
            tenant=tenant,
            actor=by,
            action="event delivered",
            obj=event.project,
            before={"event": event.title, "status": event.status},
            after={"event": event.title, "status": EventStatus.DELIVERED},
        )
    return completed

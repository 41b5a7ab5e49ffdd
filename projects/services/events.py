"""Private events of a project."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.platform.guards import check_tenant, require_active
from accounts.platform.money import round_money
from projects.models import (
    PrivateEvent,
    Project,
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
            f"{project} is {project.get_status_display().lower()}: no new events can be added."
        )
    for field in ("trainer_fee", "venue_cost", "other_cost"):
        setattr(event, field, round_money(getattr(event, field), event.project.currency))
    if event.unit_price is not None:  # the event's own price, in the project's currency
        event.unit_price = round_money(event.unit_price, event.project.currency)
    event.full_clean()
    event.save()
    return event

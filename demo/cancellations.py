"""Demo rows of the cancellation terms at work (issue 14): a late cancellation billed as a fee and
a free transfer to a colleague, on the latest event with confirmed places. No-shows
billed by the terms come from `projects` (some delivered events have one). Runs after `projects`,
before `invoicing` (which bills the fees with everything else)."""

import datetime
import random

from projects import services
from projects.models import Registration, RegistrationStatus


def build(tenant, *, user, rng: random.Random) -> None:
    latest = (
        Registration.objects.filter(status=RegistrationStatus.CONFIRMED)
        .select_related("event")
        .order_by("-event__start_date", "pk")
        .first()
    )
    if latest is None:
        return
    event = latest.event
    places = list(
        Registration.objects.filter(event=event, status=RegistrationStatus.CONFIRMED)
        .select_related("learner", "event", "project__booking")
        .order_by("pk")
    )
    # Cancelled nine days before the start: the fee of the band nine days fall in.
    services.registration_cancel(
        tenant=tenant,
        by=user,
        registration=places[0],
        on_date=event.start_date - datetime.timedelta(days=9),
    )
    # Handed to a colleague who was not yet on the course, three weeks before: free.
    taken = set(Registration.objects.filter(event=event).values_list("learner_id", flat=True))
    account = places[0].project.account
    colleague = next(
        (contact for contact in account.contacts.order_by("pk") if contact.pk not in taken), None
    )
    if colleague is not None and len(places) > 1:
        services.registration_transfer(
            tenant=tenant,
            by=user,
            registration=places[1],
            learner=colleague,
            on_date=event.start_date - datetime.timedelta(days=21),
        )

"""Demo data of the agreements' commercial terms (issue 14): the company's default cancellation
terms, one booking with terms of its own, and the products billed on booking or on confirmation
rather than on delivery. Runs after `agreements`, before `projects` (whose no-shows use them)."""

import random
from decimal import Decimal

from agreements import cancellations
from agreements import services as agreement_services
from agreements.models import BillingMoment, Booking, BookingStatus, Product

# Billed once registered: the exam is booked with the awarding body when the learner is.
ON_BOOKING = ["EXAM-P2F", "EXAM-P2P", "EXAM-IOSH"]
# Billed once confirmed: the e-learning course's licences are bought when the place is confirmed.
ON_CONFIRMATION = ["DIG-100"]


def build(tenant, *, user, rng: random.Random) -> None:
    cancellations.cancellation_terms_save(
        tenant=tenant,
        by=user,
        booking=None,
        bands=[(15, Decimal(0)), (7, Decimal(50)), (0, Decimal(100))],
        no_show_percent=Decimal(100),
        free_transfer_days=3,
        notes="Standard terms: schedule 2 of our framework agreements.",
    )
    bookings = list(Booking.objects.filter(status=BookingStatus.SIGNED).select_related("account"))
    bookings.sort(key=lambda booking: booking.number)
    if len(bookings) > 1:
        # A customer who negotiated gentler terms: see its booking's "Cancellation terms" tab.
        cancellations.cancellation_terms_save(
            tenant=tenant,
            by=user,
            booking=bookings[1],
            bands=[(30, Decimal(0)), (14, Decimal(25)), (0, Decimal(75))],
            no_show_percent=Decimal(50),
            free_transfer_days=7,
            notes="Negotiated in clause 9.2 of the agreement.",
        )
    for codes, moment in (
        (ON_BOOKING, BillingMoment.ON_BOOKING),
        (ON_CONFIRMATION, BillingMoment.ON_CONFIRMATION),
    ):
        for product in Product.objects.filter(code__in=codes):
            product.billing_moment = moment
            agreement_services.product_save(tenant=tenant, by=user, product=product)

"""Cancellation, transfer and no-show terms: what a framework agreement (or, by default, the
company) charges when a place is cancelled late or the learner does not come, and until when a
place can be handed to someone else or moved to a later event for free.

The rule itself (which band applies, the fee) is `agreements.cancellations`."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.platform.tenancy import TenantOwned
from agreements.models.catalogue import PERCENT
from agreements.models.contracts import Booking


class CancellationTerms(TenantOwned):
    """One set of terms: the company's default (no booking) or a booking's own."""

    booking = models.OneToOneField(
        Booking,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="cancellation_terms",
        help_text=_("Empty: the company's default terms, used by bookings without their own."),
    )
    no_show_percent = models.DecimalField(
        _("no-show fee (% of the place's price)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("100"),
        validators=PERCENT,
    )
    free_transfer_days = models.PositiveIntegerField(
        _("free transfers until (days before the start)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(365)],
        help_text=_(
            "A place can go to another learner or a later event of the same course "
            "for free until this many days before the event starts. Empty: any time before it "
            "starts."
        ),
    )
    notes = models.CharField(max_length=255, blank=True)

    class Meta:
        verbose_name_plural = _("cancellation terms")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant"],
                condition=models.Q(booking__isnull=True),
                name="cancellation_terms_one_default",
                violation_error_message=_("The company has default cancellation terms already."),
            )
        ]

    def __str__(self):
        return f"Cancellation terms of {self.booking}" if self.booking_id else "Default terms"

    def clean(self):
        if self.booking_id and self.booking.tenant_id != self.tenant_id:
            raise ValidationError({"booking": gettext("Choose a booking of your own company.")})


class CancellationBand(TenantOwned):
    """A cancellation made at least `min_days_before` days before the event's start costs
    `percent` of the place's price (the band with the largest `min_days_before` that the
    cancellation reaches applies)."""

    terms = models.ForeignKey(CancellationTerms, on_delete=models.CASCADE, related_name="bands")
    min_days_before = models.PositiveIntegerField(
        _("cancelled at least (days before the start)"), validators=[MinValueValidator(0)]
    )
    percent = models.DecimalField(
        _("fee (% of the place's price)"), max_digits=5, decimal_places=2, validators=PERCENT
    )

    class Meta:
        ordering = ["-min_days_before"]
        constraints = [
            models.UniqueConstraint(
                fields=["terms", "min_days_before"],
                name="cancellation_band_unique_days",
                violation_error_message=_("Two bands start at the same number of days."),
            )
        ]

    def __str__(self):
        return f"{self.min_days_before}+ days: {self.percent.normalize():f} %"

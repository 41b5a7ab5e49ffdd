"""Phases of a project and their billing milestones (issue 13, part 1).

A phase groups a project's events and items over dates, with a budget. A milestone is an amount
(or a percentage of its phase's budget) billed when its due condition holds: a date is reached,
or every event of the phase is delivered. It is billed as an Item linked to it (`Item.milestone`),
so claims, drafting, the review page, bulk runs, credit notes and reports treat it as every item.
A phase *billed by milestone* has its registrations and items invoiced through its milestones
only (`projects.billing`)."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.platform.tenancy import TenantOwned
from agreements.models import Product, money_field

PERCENT = [MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100"))]
NOT_NEGATIVE = [MinValueValidator(Decimal("0"))]


class PhaseBilling(models.TextChoices):
    ROWS = "", _("Row by row (the project's billing moment)")
    BY_MILESTONE = "by_milestone", _("By milestone")


class Phase(TenantOwned):
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="phases")
    name = models.CharField(_("name"), max_length=120)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    budget = money_field(
        _("budget"),
        null=True,
        blank=True,
        validators=NOT_NEGATIVE,
        help_text=_("What the phase is planned to bill, in the project's currency."),
    )
    billing_moment = models.CharField(
        _("billing"),
        max_length=16,
        choices=PhaseBilling.choices,
        blank=True,
        help_text=_(
            "By milestone: the phase's registrations and items are not invoiced one by one; "
            "its milestones are."
        ),
    )

    class Meta:
        ordering = ["start_date", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "name"],
                name="phase_unique_name",
                violation_error_message=_("The project has a phase of this name already."),
            ),
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="phase_end_after_start",
                violation_error_message=_("The phase cannot end before it starts."),
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def by_milestone(self) -> bool:
        return self.billing_moment == PhaseBilling.BY_MILESTONE


class MilestoneDue(models.TextChoices):
    ON_DATE = "date", _("On a date")
    EVENTS_DELIVERED = "events_delivered", _("When the phase's events are delivered")


class Milestone(TenantOwned):
    phase = models.ForeignKey(Phase, on_delete=models.CASCADE, related_name="milestones")
    number = models.PositiveSmallIntegerField(editable=False)
    name = models.CharField(_("name"), max_length=120)
    amount = money_field(_("amount"), null=True, blank=True, validators=NOT_NEGATIVE)
    percent = models.DecimalField(
        _("% of the phase budget"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=PERCENT,
    )
    due = models.CharField(
        _("due"), max_length=16, choices=MilestoneDue.choices, default=MilestoneDue.ON_DATE
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    product = models.ForeignKey(
        Product,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("billed as"),
        help_text=_("The product whose code and VAT treatment the milestone's line takes."),
    )

    class Meta:
        ordering = ["phase", "number"]
        constraints = [
            models.UniqueConstraint(fields=["phase", "number"], name="milestone_unique_number"),
            models.CheckConstraint(
                condition=models.Q(amount__isnull=False, percent__isnull=True)
                | models.Q(amount__isnull=True, percent__isnull=False),
                name="milestone_amount_or_percent",
                violation_error_message=_(
                    "Give either an amount or a percentage of the phase budget."
                ),
            ),
        ]

    def __str__(self):
        return f"M{self.number} {self.name}"

    def clean(self):
        errors = {}
        if self.due == MilestoneDue.ON_DATE and self.due_date is None:
            errors["due_date"] = _("Give the date the milestone is due on.")
        if (self.amount is None) == (self.percent is None):
            errors["amount"] = _("Give either an amount or a percentage of the phase budget.")
        elif self.percent is not None and self.phase_id and self.phase.budget is None:
            errors["percent"] = _(
                "The phase has no budget: give the phase a budget or the milestone an amount."
            )
        if self.product_id and self.phase_id and self.product.tenant_id != self.phase.tenant_id:
            errors["product"] = _("Choose a product of your own company.")
        if errors:
            raise ValidationError(errors)

"""Funding sources of a project (issue 13, part 2): who pays which share of its invoice lines.

The split itself is invoicing's (`invoicing.services.funding`): these tables only say who funds
what, in which order, and how much at most. A project without funders bills its customer alone.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from accounts.platform.tenancy import TenantOwned
from agreements.models import Product, TrainingPackage, money_field

PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


class FunderKind(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    GRANT = "grant", _("Grant or levy fund")
    ACCOUNT = "account", _("Another account")
    # Nobody is invoiced for its share: the share stays on the customer's invoice as the work it
    # is, less a "paid from internal budget" line (invoicing.services.funding).
    INTERNAL = "internal", _("Internal budget")


class ProjectFunder(TenantOwned):
    """One payer of a project's lines: lines are offered to funders by priority (lowest number
    first); each takes its percentage of what it funds (all of it when no percentage is set), up
    to what its cap has left; whatever no funder takes is billed to the project's billing account.
    """

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="funders"
    )
    kind = models.CharField(max_length=10, choices=FunderKind.choices, default=FunderKind.GRANT)
    name = models.CharField(
        _("name"), max_length=120, help_text=_("How the funder is called on pages and invoices.")
    )
    account = models.ForeignKey(
        Account,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="funded_projects",
        help_text=_("Its invoices go here (the project's billing account for the customer)."),
    )
    priority = models.PositiveSmallIntegerField(
        default=1, help_text=_("Lower numbers pay first; the customer pays what is left.")
    )
    percent = models.DecimalField(
        _("percentage"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=PERCENT,
        help_text=_("The share of each line it funds; empty: all of it (up to the cap)."),
    )
    cap = money_field(
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("The most it pays for the project's work, in the project's currency."),
    )
    admin_fee_percent = models.DecimalField(
        _("administration fee %"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=PERCENT,
        help_text=_("Charged to this funder on its share, as a line of its own."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["priority", "pk"]
        indexes = [models.Index(fields=["tenant", "project"], name="funder_project")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(percent__isnull=True)
                | models.Q(percent__gt=0, percent__lte=100),
                name="funder_percent_range",
                violation_error_message=_("A percentage is more than 0 and at most 100."),
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.kind == FunderKind.INTERNAL and self.admin_fee_percent:
            raise ValidationError(
                {"admin_fee_percent": _("An internal budget is not charged a fee: leave it empty.")}
            )
        if self.kind not in (FunderKind.CUSTOMER, FunderKind.INTERNAL) and not self.account_id:
            raise ValidationError({"account": _("Choose the account its invoices go to.")})


class FunderScope(TenantOwned):
    """A product, or a training package (a product group), that a funder funds. A funder with no
    scope funds every line."""

    funder = models.ForeignKey(ProjectFunder, on_delete=models.CASCADE, related_name="scopes")
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    package = models.ForeignKey(
        TrainingPackage, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(product__isnull=False, package__isnull=True)
                | models.Q(product__isnull=True, package__isnull=False),
                name="funderscope_one_target",
            ),
        ]

    def __str__(self):
        return str(self.product or self.package)

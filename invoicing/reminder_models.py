"""Payment reminders (issue 16, part 3): a company's dunning levels, the reminders sent, and
accounts on hold.

A `DunningLevel` says how many days after its due date an open invoice is reminded at that
level, with the e-mail's subject and text (placeholders, `invoicing.reminder_mail`) and an
optional fee. A `Reminder` is one invoice reminded at one level: (invoice, level) is unique in
the database, so two runs of the daily job at once can never send the same level twice. A
`ReminderHold` stops every reminder to a billing account (with its reason) until it is lifted.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from accounts.models import Account
from accounts.platform.tenancy import TenantOwned, tenant_reverse
from agreements.models import ProductKind, money_field

DEFAULT_REMINDER_SUBJECT = gettext_noop("Payment reminder: {invoice_numbers}")
DEFAULT_REMINDER_BODY = gettext_noop("""Dear {account},

according to our records the following invoices are overdue:

{items}

Total overdue: {amount}. Please pay at your earliest convenience; if you have paid already,
please ignore this reminder.

Kind regards,
{company}""")


class DunningLevel(TenantOwned):
    """One level of a company's reminders: sent `days_after_due` days after an invoice's due
    date, with its own text, and optionally a fee billed on the project's next invoice."""

    level = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(9)],
        help_text=_("1 for the first reminder, 2 for the second, …"),
    )
    days_after_due = models.PositiveSmallIntegerField(
        _("days after the due date"),
        validators=[MinValueValidator(1), MaxValueValidator(730)],
    )
    subject = models.CharField(max_length=200, default=DEFAULT_REMINDER_SUBJECT)
    body = models.TextField(_("text"), default=DEFAULT_REMINDER_BODY)
    fee_amount = money_field(
        _("fee"),
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_(
            "Optional: charged in the overdue invoice's currency, as an item of its "
            "project (billed on the next invoice)."
        ),
    )
    fee_product = models.ForeignKey(
        "agreements.Product",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": ProductKind.FEE},
        help_text=_("The fee product (its code and tax rate) the fee item is billed as."),
    )

    class Meta:
        ordering = ["level"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "level"],
                name="dunning_level_unique",
                violation_error_message=_("There is a level with this number already."),
            ),
            models.CheckConstraint(
                condition=models.Q(fee_amount__isnull=True) | models.Q(fee_product__isnull=False),
                name="dunning_fee_has_product",
            ),
        ]

    def __str__(self):
        return f"Level {self.level} ({self.days_after_due} days after the due date)"

    def get_absolute_url(self):
        return tenant_reverse(
            "invoicing:dunning-level-edit", tenant_id=self.tenant_id, kwargs={"pk": self.pk}
        )

    def clean(self):
        if self.fee_amount is not None and self.fee_product_id is None:
            raise ValidationError(
                {"fee_product": _("Choose the fee product the fee is billed as.")}
            )
        if self.fee_product_id is not None:
            product = self.fee_product
            if product.tenant_id != self.tenant_id:
                raise ValidationError({"fee_product": _("Choose a product of your own company.")})
            if product.kind != ProductKind.FEE:
                raise ValidationError(
                    {
                        "fee_product": _("%(product)s is not a fee: choose a fee product.")
                        % {"product": product}
                    }
                )


class ReminderStatus(models.TextChoices):
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")


class Reminder(TenantOwned):
    """One invoice reminded at one level. Written (claimed) before the e-mail goes out and
    marked sent after; a failed e-mail removes its claims so that the next run tries again."""

    invoice = models.ForeignKey(
        "invoicing.Invoice", on_delete=models.PROTECT, related_name="reminders"
    )
    level = models.PositiveSmallIntegerField()
    days_overdue = models.PositiveSmallIntegerField()
    outstanding = money_field(help_text=_("What was outstanding on the invoice when reminded."))
    recipient = models.EmailField()
    subject = models.CharField(max_length=300)
    status = models.CharField(
        max_length=10, choices=ReminderStatus.choices, default=ReminderStatus.SENDING
    )
    fee_item = models.ForeignKey(
        "projects.Item",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The fee this reminder charged (on the e-mail's first invoice)."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-level", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "level"],
                name="reminder_once_per_level",
                violation_error_message=_("This invoice was reminded at this level already."),
            )
        ]
        indexes = [models.Index(fields=["tenant", "invoice"], name="reminder_invoice")]

    def __str__(self):
        return f"Reminder level {self.level} of invoice #{self.invoice_id}"


class ReminderHold(TenantOwned):
    """A billing account on hold: no reminders until the hold is lifted (audited both ways)."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=255)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~models.Q(reason=""), name="hold_has_reason")
        ]

    def __str__(self):
        return f"Reminders on hold for account #{self.account_id}"

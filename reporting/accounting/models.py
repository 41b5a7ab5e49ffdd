"""The accounting mapping and the files of a batch (issue 16, part 5)."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.platform.tenancy import TenantOwned, tenant_reverse


class AccountingSystem(models.TextChoices):
    XERO = "xero", _("Xero")
    QBO = "qbo", _("QuickBooks Online")
    SAGE = "sage", _("Sage 50 / Business Cloud")
    DATEV = "datev", _("DATEV")


class MappingKind(models.TextChoices):
    REVENUE = "revenue", _("Revenue account")
    TAX = "tax", _("Tax code")


class AccountingSettings(TenantOwned):
    """What the accounting files need besides the code mapping: DATEV's numbers and fiscal year,
    the bank accounts payments are booked to. At most one row per company."""

    tenant = models.OneToOneField("accounts.Tenant", on_delete=models.PROTECT, related_name="+")
    datev_consultant_number = models.PositiveIntegerField(
        _("DATEV Beraternummer"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1001), MaxValueValidator(9999999)],
        help_text=_("Your tax adviser's consultant number (1001 to 9999999)."),
    )
    datev_client_number = models.PositiveIntegerField(
        _("DATEV Mandantennummer"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(99999)],
        help_text=_("Your client number at the adviser (1 to 99999)."),
    )
    fiscal_year_start_month = models.PositiveSmallIntegerField(
        _("fiscal year starts in month"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text=_("1 for January. DATEV's WJ-Beginn; a DATEV file holds one fiscal year."),
    )
    datev_account_length = models.PositiveSmallIntegerField(
        _("DATEV Sachkontenlänge"),
        default=4,
        validators=[MinValueValidator(4), MaxValueValidator(8)],
        help_text=_("Digits of a general-ledger account (4 in SKR03/SKR04 by default)."),
    )
    datev_debtor_start = models.PositiveIntegerField(
        _("DATEV first debtor account"),
        default=10000,
        validators=[MinValueValidator(10000), MaxValueValidator(999999999)],
        help_text=_(
            "A billing account's debtor account is this plus its account number "
            "(10000 + account 42 = 10042)."
        ),
    )
    datev_bank_account = models.CharField(
        _("DATEV bank account"),
        max_length=9,
        blank=True,
        help_text=_("The ledger account payments are booked to (1200 in SKR03, 1800 in SKR04)."),
    )
    sage_bank_account = models.CharField(
        _("Sage bank nominal code"),
        max_length=8,
        blank=True,
        help_text=_("The bank nominal code receipts are posted to (1200 by default in Sage)."),
    )

    class Meta:
        verbose_name = _("accounting settings")
        verbose_name_plural = _("accounting settings")

    def __str__(self):
        return "Accounting settings"

    def get_absolute_url(self):
        return tenant_reverse("reporting:accounting-mapping", tenant_id=self.tenant_id)


class AccountCode(TenantOwned):
    """One mapping of a company for one accounting system: a product code (or "*" for every
    other product) to a revenue account, or a tax code of the invoice lines to the system's
    tax code. "-" maps on purpose to nothing (DATEV: no BU-Schlüssel, the account decides)."""

    system = models.CharField(max_length=10, choices=AccountingSystem.choices)
    kind = models.CharField(max_length=10, choices=MappingKind.choices)
    key = models.CharField(max_length=40)
    code = models.CharField(max_length=60)

    class Meta:
        ordering = ["system", "kind", "key"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "system", "kind", "key"], name="account_code_unique_key"
            ),
            models.CheckConstraint(condition=~models.Q(code=""), name="account_code_not_blank"),
        ]

    def __str__(self):
        return f"{self.get_system_display()}: {self.key} → {self.code}"

    def get_absolute_url(self):
        return (
            tenant_reverse("reporting:accounting-mapping", tenant_id=self.tenant_id)
            + f"?system={self.system}"
        )


class ExportedPayment(TenantOwned):
    """A payment (or its reversal) in an export batch: each goes to the books once."""

    batch = models.ForeignKey(
        "reporting.ExportBatch", on_delete=models.PROTECT, related_name="payment_entries"
    )
    payment = models.ForeignKey(
        "invoicing.Payment", on_delete=models.PROTECT, related_name="exports"
    )
    reversed = models.BooleanField(default=False, help_text=_("The entry of its reversal."))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["payment", "reversed"], name="exported_payment_once")
        ]

    def __str__(self):
        return f"Payment #{self.payment_id}{' reversal' if self.reversed else ''} in batch"


class BatchFile(TenantOwned):
    """A batch's file for an accounting system, stored when first built: every later download
    gives its bytes, whatever the mapping says by then."""

    batch = models.ForeignKey(
        "reporting.ExportBatch", on_delete=models.PROTECT, related_name="accounting_files"
    )
    name = models.CharField(max_length=40, help_text=_("The file's key, e.g. xero-invoices."))
    file = models.FileField(upload_to="exports/", max_length=255)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["batch", "name"], name="batch_file_unique_name")
        ]

    def __str__(self):
        return f"{self.name} of batch #{self.batch_id}"

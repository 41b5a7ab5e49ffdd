from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.platform.tenancy import TenantOwned, tenant_reverse
from invoicing.models import Invoice


class ExportBatch(TenantOwned):
    """A numbered reconciliation file: the invoices and credit notes issued since the last batch.

    The file is written once and stored, so downloading a past batch gives the same bytes."""

    number = models.PositiveIntegerField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    file = models.FileField(upload_to="exports/", max_length=255)
    invoice_count = models.PositiveIntegerField(default=0)
    line_count = models.PositiveIntegerField(default=0)
    payment_count = models.PositiveIntegerField(
        default=0, help_text=_("Payments and reversals it holds (for the accounting files).")
    )

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="batch_unique_number")
        ]

    def __str__(self):
        return f"Batch {self.number}"

    def get_absolute_url(self):
        return tenant_reverse(
            "reporting:batch-download", tenant_id=self.tenant_id, kwargs={"pk": self.pk}
        )


class ExportedInvoice(TenantOwned):
    """Which batch exported an invoice: each invoice or credit note is exported once."""

    batch = models.ForeignKey(ExportBatch, on_delete=models.PROTECT, related_name="entries")
    invoice = models.OneToOneField(Invoice, on_delete=models.PROTECT, related_name="export")

    def __str__(self):
        return f"{self.invoice} in {self.batch}"


class SavedReport(TenantOwned):
    """A custom report definition a user saved to open again (per tenant)."""

    name = models.CharField(max_length=150)
    definition = models.JSONField(default=dict)
    chart = models.CharField(max_length=10, default="bar")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "name"],
                name="saved_report_unique_name",
                violation_error_message=_("A saved report with this name exists already."),
            )
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return tenant_reverse("reporting:custom", tenant_id=self.tenant_id) + f"?saved={self.pk}"


class FiguresVersion(models.Model):
    """The version of a tenant's profitability figures (`reporting.freshness`): a new random
    token after every committed write of that tenant; scope 0 for writes outside any tenant.
    Bookkeeping, not tenant data: no tenant foreign key, no scope, no row-level security (it
    is written after commit, from whatever scope the write ran in)."""

    scope = models.BigIntegerField(unique=True)
    token = models.CharField(max_length=32)

    def __str__(self):
        return f"{self.scope}: {self.token}"


# Accounting exports (issue 16, part 5): a package of their own, registered with this app.
from reporting.accounting.models import (  # noqa: E402, F401
    AccountCode,
    AccountingSettings,
    AccountingSystem,
    BatchFile,
    ExportedPayment,
    MappingKind,
)

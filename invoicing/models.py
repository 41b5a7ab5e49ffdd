import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from accounts.platform.money import validate_currency
from accounts.platform.tax import VatCategory
from accounts.platform.tenancy import TenantOwned, tenant_reverse
from agreements.models import PrepurchaseEntry, ProductKind, money_field
from projects.models import Item, Project, ProjectFunder, Registration


class ExchangeRate(TenantOwned):
    """How much one unit of `currency` is worth in the tenant's base currency on a day."""

    currency = models.CharField(max_length=3, validators=[validate_currency])
    date = models.DateField()
    rate = models.DecimalField(
        max_digits=18, decimal_places=8, validators=[MinValueValidator(Decimal("0.00000001"))]
    )

    class Meta:
        ordering = ["-date", "currency"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "currency", "date"],
                name="rate_unique_per_day",
                violation_error_message=_("There is a rate for this currency and day already."),
            )
        ]

    def __str__(self):
        return f"{self.currency} {self.date}: {self.rate}"


DEFAULT_EMAIL_SUBJECT = gettext_noop("{document} {number} from {company}")
DEFAULT_EMAIL_BODY = gettext_noop("""Dear {customer},

please find attached {document_lower} {number} for {project}, {total}, due on {due_date}.

Kind regards,
{company}""")


class InvoicingSettings(TenantOwned):
    """A company's invoicing settings that name rows of higher apps than `accounts` (the
    handling-fee product is a catalogue product), so they cannot sit on `accounts.Tenant`.

    At most one row per tenant; without one, `invoicing.selectors.invoicing_settings` hands out
    these defaults unsaved.
    """

    # One row per company: the tenant key itself is one-to-one (and scopes the row as usual).
    tenant = models.OneToOneField("accounts.Tenant", on_delete=models.PROTECT, related_name="+")
    handling_fee_product = models.ForeignKey(
        "agreements.Product",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": ProductKind.FEE},
        help_text=_(
            "The fee product whose code and tax rate the handling-fee line takes. Without "
            "one the line is coded HANDLING and taxed at the rate of the lines it is charged on "
            "(the default tax rate when they have several)."
        ),
    )
    fee_on_prepaid_lines = models.BooleanField(
        _("handling fee on prepaid lines"),
        default=False,
        help_text=_("Charge the handling fee on lines paid from a prepurchase agreement too."),
    )
    email_subject = models.CharField(
        _("invoice e-mail subject"),
        max_length=200,
        default=DEFAULT_EMAIL_SUBJECT,
        help_text=_(
            "Placeholders: {document}, {number}, {company}, {customer}, {project}, "
            "{total}, {due_date}, {po_reference}."
        ),
    )
    email_body = models.TextField(
        _("invoice e-mail text"),
        default=DEFAULT_EMAIL_BODY,
        help_text=_("The same placeholders as the subject."),
    )
    max_rate_age_days = models.PositiveSmallIntegerField(
        _("oldest exchange rate accepted (days)"),
        default=7,
        validators=[MaxValueValidator(366)],
        help_text=_(
            "An invoice in another currency is issued only with a rate at most this many "
            "days older than its issue date."
        ),
    )

    class Meta:
        verbose_name = _("invoicing settings")
        verbose_name_plural = _("invoicing settings")

    def __str__(self):
        return "Invoicing settings"

    def get_absolute_url(self):
        return tenant_reverse("invoicing:settings", tenant_id=self.tenant_id)

    def clean(self):
        product = self.handling_fee_product
        if product is not None:
            if product.tenant_id != self.tenant_id:
                raise ValidationError(
                    {"handling_fee_product": _("Choose a product of your own company.")}
                )
            if product.kind != ProductKind.FEE:
                raise ValidationError(
                    {
                        "handling_fee_product": _("%(product)s is not a fee: choose a fee product.")
                        % {"product": product}
                    }
                )


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")


class InvoiceStatus(models.TextChoices):
    """The document's lifecycle. Whether an issued invoice is paid is no status: it follows
    from its allocations (`InvoiceState`, `invoicing.payment_selectors`)."""

    DRAFT = "draft", _("Draft")
    ISSUED = "issued", _("Issued")
    CANCELLED = "cancelled", _("Cancelled")


class Grouping(models.TextChoices):
    ALL = "all", _("One invoice for all selected")
    PROJECT = "project", _("One per project")
    BILLING_PO = "billing_po", _("One per billing account and purchase order")
    EVENT = "event", _("One per event")
    REGISTRATION = "registration", _("One per registration")
    PURCHASE_ORDER = "purchase_order", _("One per purchase-order reference")
    # Issue 13, part 3: every project of a billing account (in one currency) on one invoice.
    BILLING_ACCOUNT = "billing_account", _("One per billing account (projects together)")


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    DRAFTING = "drafting", _("Creating drafts")
    DRAFTED = "drafted", _("Drafts ready")
    ISSUING = "issuing", _("Issuing")
    DONE = "done", _("Issued")
    FAILED = "failed", _("Stopped with errors")


WORKING_STATUSES = (RunStatus.QUEUED, RunStatus.DRAFTING, RunStatus.ISSUING)


class InvoiceRun(TenantOwned):
    """A bulk invoicing run: who started it, what it selected, how far it got."""

    key = models.CharField(
        max_length=64,
        help_text=_(
            "Same key, same run: a double submit or a replayed form never starts a second run."
        ),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    selection = models.JSONField(default=dict)
    grouping = models.CharField(max_length=20, choices=Grouping.choices, default=Grouping.PROJECT)
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    total = models.PositiveIntegerField(default=0, help_text=_("Rows to invoice."))
    processed = models.PositiveIntegerField(default=0)
    invoices_created = models.PositiveIntegerField(default=0)
    invoices_issued = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    # Written by the task after every batch (and when it is queued): a working run whose
    # heartbeat is older than STALL_AFTER has lost its worker (killed, crashed, restarted).
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    STALL_AFTER = datetime.timedelta(minutes=2)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["tenant", "key"], name="run_unique_key")]

    def __str__(self):
        return f"Run {self.pk} ({self.get_status_display().lower()})"

    def get_absolute_url(self):
        return tenant_reverse(
            "invoicing:run-detail", tenant_id=self.tenant_id, kwargs={"pk": self.pk}
        )

    @property
    def percent_done(self) -> int:
        if self.status in (RunStatus.ISSUING, RunStatus.DONE):
            done, total = self.invoices_issued, max(1, self.invoices_created)
        else:
            done, total = self.processed, max(1, self.total)
        return min(100, round(done * 20 / total) * 5)  # steps of 5: the bar's CSS classes

    @property
    def is_working(self) -> bool:
        """Queued, drafting or issuing, and its task is alive (not stalled)."""
        return self.status in WORKING_STATUSES and not self.is_stalled

    @property
    def is_stalled(self) -> bool:
        """Its task stopped without finishing: no heartbeat for STALL_AFTER while working."""
        if self.status not in WORKING_STATUSES:
            return False
        last = self.heartbeat_at or self.created_at
        return last is not None and timezone.now() - last > self.STALL_AFTER


class Invoice(TenantOwned):
    """A draft, invoice or credit note. From issue on, a frozen document: nothing changes."""

    kind = models.CharField(max_length=12, choices=InvoiceKind.choices, default=InvoiceKind.INVOICE)
    number = models.CharField(max_length=30, blank=True, editable=False)
    sequence_number = models.PositiveIntegerField(null=True, blank=True, editable=False)
    status = models.CharField(
        max_length=10, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT
    )
    # The project the invoice is filed under: its only project, or on an invoice of several
    # projects of one billing account (Grouping.BILLING_ACCOUNT) the first of them (lowest
    # code), whose texts (tags, notes, e-mail, project reference) it takes. What a project is
    # invoiced is always read from the LINES' project (`invoicing.selectors.LINE_PROJECT`).
    project = models.ForeignKey(
        Project,
        on_delete=models.PROTECT,
        related_name="invoices",
        help_text=_("Its project; on an invoice of several projects, the first of them."),
    )
    billing_account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="invoices")
    run = models.ForeignKey(
        InvoiceRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="invoices"
    )
    credits = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="credit_notes",
        help_text=_("The invoice this credit note credits."),
    )
    currency = models.CharField(max_length=3, validators=[validate_currency])
    exchange_rate = models.DecimalField(
        max_digits=18,
        decimal_places=8,
        null=True,
        blank=True,
        help_text=_("Base currency per unit, on the issue date."),
    )
    issue_date = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    po_reference = models.CharField(_("purchase-order reference"), max_length=60, blank=True)
    tags = models.CharField(max_length=255, blank=True)
    external_notes = models.TextField(blank=True)
    # Snapshot taken at issue: the PDF, the e-invoices and every export read these, never the
    # live rows. The text fields are what the PDF prints; the *_details hold the same parties
    # field by field (structured, for the e-invoices): see invoicing.services.parties.
    seller_name = models.CharField(max_length=200, blank=True)
    seller_address = models.TextField(blank=True)
    seller_vat_number = models.CharField(max_length=40, blank=True)
    billing_name = models.CharField(max_length=200, blank=True)
    billing_address = models.TextField(blank=True)
    billing_tax_id = models.CharField(max_length=40, blank=True)
    billing_account_number = models.PositiveIntegerField(null=True, blank=True)
    # The customer (the project's account, which may bill through another account) and project.
    customer_name = models.CharField(max_length=200, blank=True)
    customer_number = models.PositiveIntegerField(null=True, blank=True)
    project_code = models.CharField(max_length=20, blank=True)
    # The customer's tags on the issue date (the project's are `tags`, from the draft on), so
    # exports can be sliced by them as the accounting system sees them (issue 13, part 6).
    customer_tags = models.CharField(max_length=255, blank=True)
    payment_terms_days = models.PositiveSmallIntegerField(null=True, blank=True)
    seller_details = models.JSONField(default=dict, blank=True, editable=False)
    buyer_details = models.JSONField(default=dict, blank=True, editable=False)
    payment_details = models.JSONField(
        default=dict, blank=True, editable=False, help_text=_("The bank account to pay into.")
    )
    tax_notes = models.TextField(
        blank=True, editable=False, help_text=_("The legal notes its VAT treatments require.")
    )
    # What the draft's VAT treatment was decided from (the buyer's countries, VAT id and
    # override): issuing decides again when the account changed since (invoicing.vat).
    tax_basis = models.CharField(max_length=80, blank=True, editable=False)
    net_total = money_field(default=Decimal("0"))
    tax_total = money_field(default=Decimal("0"))
    gross_total = money_field(default=Decimal("0"))
    pdf = models.FileField(upload_to="invoices/", max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    issued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-issue_date", "-sequence_number", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "kind", "sequence_number"], name="invoice_unique_sequence_number"
            ),
            models.UniqueConstraint(
                fields=["tenant", "number"],
                condition=~models.Q(number=""),
                name="invoice_unique_number",
            ),
            models.CheckConstraint(
                condition=models.Q(status="draft", number="")
                | (~models.Q(status="draft") & ~models.Q(number="")),
                name="invoice_number_iff_issued",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "status", "issue_date"], name="invoice_tenant_status"),
            # The invoice list's order: its first page without sorting every invoice.
            models.Index(
                fields=["tenant", "-issue_date", "-sequence_number", "-id"],
                name="invoice_list_order",
            ),
        ]

    def __str__(self):
        if self.number:
            return f"{self.get_kind_display()} {self.number}"
        if self.is_credit_note:
            return _("Draft credit note #%(pk)s") % {"pk": self.pk}
        return _("Draft invoice #%(pk)s") % {"pk": self.pk}

    def get_absolute_url(self):
        return tenant_reverse(
            "invoicing:invoice-detail", tenant_id=self.tenant_id, kwargs={"pk": self.pk}
        )

    @property
    def is_draft(self) -> bool:
        return self.status == InvoiceStatus.DRAFT

    @property
    def is_credit_note(self) -> bool:
        return self.kind == InvoiceKind.CREDIT_NOTE

    def delete(self, *args, **kwargs):
        if not self.is_draft:
            raise ValidationError(
                _("%(self)s is issued: it cannot be deleted, only credited.") % {"self": self}
            )
        return super().delete(*args, **kwargs)


class LineKind(models.TextChoices):
    REGISTRATION = "registration", _("Registration")
    ITEM = "item", _("Item")
    HANDLING_FEE = "handling_fee", _("Handling fee")
    PREPURCHASE = "prepurchase", _("Paid from prepurchase")
    CANCELLATION_FEE = "cancel_fee", _("Late cancellation fee")
    NO_SHOW_FEE = "no_show_fee", _("No-show fee")
    # Deposits (issue 14, part 4): a down payment invoiced on its own, and what later invoices
    # of the project deduct of it (invoicing.services.deposits).
    DEPOSIT = "deposit", _("Deposit")
    DEPOSIT_DEDUCTION = "deduction", _("Deposit deducted")
    # A funder's administration fee on its share (issue 13, part 2: invoicing.services.funding).
    ADMIN_FEE = "admin_fee", _("Administration fee")
    # An internal budget funder's share, taken off the customer's invoice (its work line stays,
    # billed to the funder: invoicing.services.funding).
    INTERNAL_BUDGET = "internal", _("Paid from internal budget")


# Lines that move money ahead of the work (a deposit, and its deductions on later invoices):
# they count in an invoice's totals, its VAT and what the customer owes, never in what is
# invoiced of the project (its revenue, the maximum billing amount): a project's invoiced total
# over its life is the value of its work. See `invoicing.selectors.revenue_lines`.
ADVANCE_KINDS = (LineKind.DEPOSIT, LineKind.DEPOSIT_DEDUCTION)
# Lines that are not revenue: advances, and what an internal budget pays off a customer's
# invoice (the work line it offsets is revenue: a project's revenue is what its customers,
# funders and internal budgets cover together, each share once).
NOT_REVENUE = (*ADVANCE_KINDS, LineKind.INTERNAL_BUDGET)


class InvoiceLine(TenantOwned):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    # The project whose work (or deposit, fee) the line bills: an invoice may bill several
    # projects of one billing account, so revenue, caps and deposits follow the line's project,
    # never the invoice's. Set by the services; `save` falls back to the invoice's project.
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="invoice_lines")
    # Its project's code (the exports read it), frozen at issue with the rest of the document:
    # issuing writes it on every line that lacks it or whose project's code changed since the
    # line was written. Drafting (`write_drafts`) fills it in already, so that a bulk run's
    # issue rewrites no line; lines added to a draft later (a recomputed fee) wait for issue.
    project_code = models.CharField(max_length=20, blank=True, editable=False)
    kind = models.CharField(max_length=14, choices=LineKind.choices)
    registration = models.ForeignKey(
        Registration, null=True, blank=True, on_delete=models.PROTECT, related_name="invoice_lines"
    )
    item = models.ForeignKey(
        Item, null=True, blank=True, on_delete=models.PROTECT, related_name="invoice_lines"
    )
    prepurchase_entry = models.ForeignKey(
        PrepurchaseEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    credited_line = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="credited_by"
    )
    # The deposit line a deduction draws on; a credit note's line crediting a deposit or a
    # deduction names it too, so a deposit's movements are the lines naming it.
    deposit = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="deposit_movements"
    )
    position = models.PositiveIntegerField(default=0)
    event_title = models.CharField(max_length=200, blank=True)
    event_date = models.DateField(null=True, blank=True)
    product_code = models.CharField(max_length=40, blank=True)
    description = models.TextField()
    quantity = models.DecimalField(max_digits=10, decimal_places=2)
    unit_price = money_field()
    discount_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0"))
    net = money_field()
    prepaid_value = money_field(
        default=Decimal("0"), help_text=_("Paid from a prepurchase agreement, not due.")
    )
    tax_code = models.CharField(max_length=20)
    tax_percent = models.DecimalField(max_digits=5, decimal_places=2)
    tax_category = models.CharField(
        max_length=2, choices=VatCategory.choices, default=VatCategory.STANDARD
    )
    exemption_reason_code = models.CharField(max_length=30, blank=True)
    exemption_reason = models.CharField(max_length=200, blank=True)
    # Set at issue: this line's share of its rate's tax, so exports reconcile line by line.
    tax_amount = money_field(null=True, blank=True)
    # The funder whose share of its row this line bills (invoicing.services.funding); empty: the
    # project's customer, for a row no funder shares.
    funder = models.ForeignKey(
        ProjectFunder, null=True, blank=True, on_delete=models.PROTECT, related_name="lines"
    )
    # The part of its row's value the line bills: 1, or a payer's share of a row split between
    # funders (the shares of a row sum to exactly 1), so reports count each row's units once.
    share = models.DecimalField(max_digits=11, decimal_places=10, default=Decimal(1))

    class Meta:
        ordering = ["position", "pk"]
        indexes = [
            models.Index(fields=["tenant", "invoice"], name="line_tenant_invoice"),
            # What a project is invoiced (reports, caps, deposits) is read by the line's project.
            models.Index(fields=["tenant", "project"], name="line_tenant_project"),
        ]

    def __str__(self):
        return f"{self.description[:40]} ({self.net})"

    def clean(self):
        if self.project_id and self.project.tenant_id != self.tenant_id:
            raise ValidationError({"project": gettext("Choose a project of your own company.")})

    def save(self, *args, **kwargs):
        if self.project_id is None and self.invoice_id is not None:
            self.project_id = self.invoice.project_id  # a line of a one-project invoice
        super().save(*args, **kwargs)


class BillingClaim(TenantOwned):
    """One unit of a registration or item on a live invoice line: a place of a block, or one unit
    of an item's quantity (a fraction left over takes a unit of its own).

    The unique constraints are what make double invoicing impossible, whatever two people or two
    bulk runs do at the same moment: the same unit of a row can be claimed once. A row can be
    billed in parts (each part's line claims its own units); a credit note or a deleted draft
    removes the claims of its lines, which makes exactly those units due again.
    """

    line = models.ForeignKey(InvoiceLine, on_delete=models.CASCADE, related_name="claims")
    registration = models.ForeignKey(
        Registration, null=True, blank=True, on_delete=models.PROTECT, related_name="claims"
    )
    item = models.ForeignKey(
        Item, null=True, blank=True, on_delete=models.PROTECT, related_name="claims"
    )
    unit = models.PositiveIntegerField(default=1)
    # A row split between funders is on one live line per funder: each share claims its units
    # (empty: the customer's share, or the whole row when nobody else funds it).
    funder = models.ForeignKey(
        ProjectFunder, null=True, blank=True, on_delete=models.PROTECT, related_name="claims"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(registration__isnull=False, item__isnull=True)
                | models.Q(registration__isnull=True, item__isnull=False),
                name="claim_one_source",
            ),
            # NULL never equals NULL in a unique index: the customer's share (no funder) keeps
            # its own constraint, each funder's share one with the funder.
            models.UniqueConstraint(
                fields=["registration", "unit"],
                condition=models.Q(registration__isnull=False, funder__isnull=True),
                name="claim_unique_registration_unit",
            ),
            models.UniqueConstraint(
                fields=["item", "unit"],
                condition=models.Q(item__isnull=False, funder__isnull=True),
                name="claim_unique_item_unit",
            ),
            models.UniqueConstraint(
                fields=["registration", "unit", "funder"],
                condition=models.Q(registration__isnull=False, funder__isnull=False),
                name="claim_unique_registration_unit_funder",
            ),
            models.UniqueConstraint(
                fields=["item", "unit", "funder"],
                condition=models.Q(item__isnull=False, funder__isnull=False),
                name="claim_unique_item_unit_funder",
            ),
        ]


# Deliveries: a module of their own, registered with this app.
# Payments and their allocations (issue 16): a module of their own, registered with this app.
# Bank statements, their lines and matches (issue 16, part 4).
from invoicing.bank_models import (  # noqa: E402, F401
    BankCsvMapping,
    BankLineMatch,
    BankStatement,
    BankStatementLine,
    DateFormat,
    DecimalFormat,
    Direction,
    LineStatus,
    PayerIban,
    StatementFormat,
)
from invoicing.delivery_models import DeliveryStatus, InvoiceDelivery  # noqa: E402, F401
from invoicing.payment_models import (  # noqa: E402, F401
    Allocation,
    InvoiceState,
    Payment,
    PaymentMethod,
    PaymentReversal,
)

# Payment reminders (issue 16, part 3).
from invoicing.reminder_models import (  # noqa: E402, F401
    DunningLevel,
    Reminder,
    ReminderHold,
    ReminderStatus,
)

"""Bank statements (issue 16, part 4): statements imported for one of the company's bank
accounts (a bank CSV through a column mapping saved per bank account, or an ISO 20022 camt.053
file), their lines, what each credit line is proposed to pay, and the payment a confirmed line
became.

A line is unique per bank account by its `key` (the bank's transaction id, or the statement id
and entry reference, or for a CSV without ids a fingerprint of the row): importing the same
statement twice creates nothing twice. Matching proposes, finance confirms
(`invoicing.services.bank`).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, BankAccount
from accounts.platform.money import validate_currency
from accounts.platform.tenancy import TenantOwned, tenant_reverse
from agreements.models import money_field


class DateFormat(models.TextChoices):
    ISO = "%Y-%m-%d", "2026-03-31"
    DMY_SLASH = "%d/%m/%Y", "31/03/2026"
    MDY_SLASH = "%m/%d/%Y", "03/31/2026"
    DMY_DOT = "%d.%m.%Y", "31.03.2026"
    DMY_DASH = "%d-%m-%Y", "31-03-2026"
    DMY_SHORT = "%d/%m/%y", "31/03/26"


class DecimalFormat(models.TextChoices):
    POINT = "point", _("1,234.56 (decimal point)")
    COMMA = "comma", _("1.234,56 (decimal comma)")


class BankCsvMapping(TenantOwned):
    """Which column of a bank's CSV export holds what: saved per bank account, so the next file
    of that bank needs no mapping. Either `amount_column` (signed: money in is positive) or
    `credit_column` and/or `debit_column`."""

    bank_account = models.OneToOneField(
        BankAccount, on_delete=models.CASCADE, related_name="csv_mapping"
    )
    date_column = models.CharField(max_length=100)
    amount_column = models.CharField(max_length=100, blank=True)
    credit_column = models.CharField(_("money in column"), max_length=100, blank=True)
    debit_column = models.CharField(_("money out column"), max_length=100, blank=True)
    currency_column = models.CharField(max_length=100, blank=True)
    reference_column = models.CharField(max_length=100, blank=True)
    counterparty_name_column = models.CharField(max_length=100, blank=True)
    counterparty_iban_column = models.CharField(max_length=100, blank=True)
    transaction_id_column = models.CharField(max_length=100, blank=True)
    date_format = models.CharField(
        max_length=20, choices=DateFormat.choices, default=DateFormat.ISO
    )
    decimal_format = models.CharField(
        max_length=10, choices=DecimalFormat.choices, default=DecimalFormat.POINT
    )
    updated_at = models.DateTimeField(auto_now=True)

    COLUMNS = (
        "date_column",
        "amount_column",
        "credit_column",
        "debit_column",
        "currency_column",
        "reference_column",
        "counterparty_name_column",
        "counterparty_iban_column",
        "transaction_id_column",
    )

    def __str__(self):
        return f"CSV mapping of {self.bank_account}"

    def columns(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in self.COLUMNS}


class StatementFormat(models.TextChoices):
    CSV = "csv", _("Bank CSV")
    CAMT053 = "camt053", _("camt.053")


class BankStatement(TenantOwned):
    """One imported file: what was imported, when and by whom. Its lines are the new ones only
    (lines imported before are never imported again)."""

    bank_account = models.ForeignKey(
        BankAccount, on_delete=models.PROTECT, related_name="statements"
    )
    file_format = models.CharField(max_length=10, choices=StatementFormat.choices)
    statement_id = models.CharField(
        max_length=100, blank=True, help_text=_("The bank's statement id (camt.053 Stmt/Id).")
    )
    file_name = models.CharField(max_length=255)
    imported_at = models.DateTimeField(auto_now_add=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-imported_at", "-pk"]

    def __str__(self):
        return f"Statement {self.statement_id or self.file_name}"

    def get_absolute_url(self):
        return (
            tenant_reverse("invoicing:bank-lines", tenant_id=self.tenant_id)
            + f"?statement={self.pk}"
        )


class LineStatus(models.TextChoices):
    NEW = "new", _("New")  # a credit with no proposal: finance chooses
    MATCHED = "matched", _("Matched")  # a credit with a proposal waiting for finance
    CONFIRMED = "confirmed", _("Confirmed")  # became a payment
    IGNORED = "ignored", _("Ignored")  # money out, or not a customer payment


class Direction(models.TextChoices):
    CREDIT = "credit", _("Money in")
    DEBIT = "debit", _("Money out")


class BankStatementLine(TenantOwned):
    """A booked entry of a statement (or one transaction of a batched entry). `amount` is
    positive; `direction` says whether money came in (credits are matched) or went out (debits
    are listed and ignored)."""

    statement = models.ForeignKey(BankStatement, on_delete=models.PROTECT, related_name="lines")
    bank_account = models.ForeignKey(BankAccount, on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=200, help_text=_("Unique per bank account: no line twice."))
    booking_date = models.DateField()
    value_date = models.DateField(null=True, blank=True)
    direction = models.CharField(max_length=6, choices=Direction.choices)
    amount = money_field()
    currency = models.CharField(max_length=3, validators=[validate_currency])
    reference = models.CharField(_("reference / remittance text"), max_length=500, blank=True)
    end_to_end_id = models.CharField(max_length=100, blank=True)
    bank_reference = models.CharField(max_length=100, blank=True)
    counterparty_name = models.CharField(max_length=200, blank=True)
    counterparty_iban = models.CharField(max_length=42, blank=True)
    status = models.CharField(max_length=10, choices=LineStatus.choices, default=LineStatus.NEW)
    match_reason = models.CharField(max_length=300, blank=True)
    proposed_account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ignore_reason = models.CharField(max_length=200, blank=True)
    payment = models.OneToOneField(
        "invoicing.Payment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="bank_line",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-booking_date", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["bank_account", "key"],
                name="bankline_unique_key",
                violation_error_message=_("This bank line is imported already."),
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="bankline_positive"),
        ]
        indexes = [
            models.Index(fields=["tenant", "status", "booking_date"], name="bankline_status"),
        ]

    def __str__(self):
        return f"Bank line of {self.booking_date:%d %b %Y}: {self.amount} {self.currency}"

    def get_absolute_url(self):
        return tenant_reverse(
            "invoicing:bank-line", tenant_id=self.tenant_id, kwargs={"pk": self.pk}
        )

    @property
    def is_credit(self) -> bool:
        return self.direction == Direction.CREDIT

    @property
    def is_open(self) -> bool:
        return self.status in (LineStatus.NEW, LineStatus.MATCHED)


class BankLineMatch(TenantOwned):
    """What matching proposes a credit line pays: one row per invoice and amount (several rows
    when the reference names several invoices). Replaced when the line is matched again."""

    line = models.ForeignKey(BankStatementLine, on_delete=models.CASCADE, related_name="matches")
    invoice = models.ForeignKey(
        "invoicing.Invoice", on_delete=models.CASCADE, related_name="bank_matches"
    )
    amount = money_field()

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return f"{self.amount} of line #{self.line_id} to invoice #{self.invoice_id}"


class PayerIban(TenantOwned):
    """An IBAN a billing account has paid from, learnt when finance confirms a line: the next
    payment from it is matched to the account by the payer."""

    iban = models.CharField(_("IBAN"), max_length=42)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="payer_ibans")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "iban"], name="payeriban_unique"),
        ]

    def __str__(self):
        return f"{self.iban} → {self.account}"

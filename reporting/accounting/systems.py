"""The accounting systems: the files each makes of a batch, and its default tax codes.

A tax code's default follows from the VAT category and percent the invoice lines froze; a
category or percent without one must be mapped on the mapping page (the download lists it).
The defaults are those of the UK editions of Xero, QuickBooks Online and Sage 50 and of DATEV's
SKR03 with revenue accounts that are not automatic accounts (BU-Schlüssel 3 = 19 %, 2 = 7 %).
"-" means "write nothing on purpose" (DATEV: no BU-Schlüssel, the revenue account decides).
"""

from dataclasses import dataclass
from decimal import Decimal

from accounts.platform.tax import VatCategory
from reporting.accounting.models import AccountingSystem

NOTHING = "-"  # mapped on purpose to an empty cell


@dataclass(frozen=True)
class FileSpec:
    name: str  # the stored file's key and the download's name, e.g. "xero-invoices"
    label: str
    documents: str  # "invoices", "credit_notes", "all" (invoices and credit notes), "payments"


FILES: dict[str, tuple[FileSpec, ...]] = {
    AccountingSystem.XERO: (
        FileSpec("xero-invoices", "Sales invoices", "invoices"),
        FileSpec("xero-credit-notes", "Credit notes", "credit_notes"),
    ),
    AccountingSystem.QBO: (
        FileSpec("qbo-invoices", "Invoices", "invoices"),
        FileSpec("qbo-credit-notes", "Credit notes", "credit_notes"),
    ),
    AccountingSystem.SAGE: (
        FileSpec("sage-transactions", "Invoices and credits (SI, SC)", "all"),
        FileSpec("sage-receipts", "Payments (SA, SP)", "payments"),
    ),
    AccountingSystem.DATEV: (
        FileSpec("datev-documents", "Buchungsstapel: invoices and credit notes", "all"),
        FileSpec("datev-payments", "Buchungsstapel: payments", "payments"),
    ),
}

FILE_SPECS = {spec.name: (system, spec) for system, specs in FILES.items() for spec in specs}

S, Z, E, O, G, K, AE = (  # noqa: E741 (EN 16931's letters)
    VatCategory.STANDARD,
    VatCategory.ZERO,
    VatCategory.EXEMPT,
    VatCategory.OUTSIDE_SCOPE,
    VatCategory.EXPORT,
    VatCategory.INTRA_COMMUNITY,
    VatCategory.REVERSE_CHARGE,
)

# (category, percent or None for any) → the system's tax code.
_DEFAULTS: dict[str, dict[tuple, str]] = {
    AccountingSystem.XERO: {
        (S, Decimal("20")): "20% (VAT on Income)",
        (S, Decimal("5")): "5% (VAT on Income)",
        (Z, None): "Zero Rated Income",
        (E, None): "Exempt Income",
        (G, None): "Zero Rated Income",
        (O, None): "No VAT",
    },
    AccountingSystem.QBO: {
        (S, Decimal("20")): "20.0% S",
        (S, Decimal("5")): "5.0% R",
        (Z, None): "0.0% Z",
        (E, None): "Exempt",
        (G, None): "0.0% Z",
        (O, None): "No VAT",
    },
    AccountingSystem.SAGE: {
        (S, Decimal("20")): "T1",
        (S, Decimal("5")): "T5",
        (Z, None): "T0",
        (E, None): "T2",
        (K, None): "T4",
        (G, None): "T0",
        (O, None): "T9",
    },
    AccountingSystem.DATEV: {
        (S, Decimal("19")): "3",
        (S, Decimal("7")): "2",
        (Z, None): NOTHING,
        (E, None): NOTHING,
        (G, None): NOTHING,
        (K, None): NOTHING,
        (AE, None): NOTHING,
        (O, None): NOTHING,
    },
}

# The code a payment line carries where the format asks for one (Sage: outside the scope).
PAYMENT_TAX_CODE = {AccountingSystem.SAGE: "T9"}


def default_tax_code(system: str, category: str, percent) -> str:
    """The system's tax code for a line of `category` at `percent`, or "" when it has none."""
    table = _DEFAULTS[system]
    if percent is not None:
        found = table.get((category, Decimal(percent).normalize()))
        if found:
            return found
    return table.get((category, None), "")

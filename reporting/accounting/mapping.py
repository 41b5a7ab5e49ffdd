"""What a batch needs mapped for an accounting system, resolved or listed as missing.

A line's revenue account is the mapping of its product code, else the system's "*" mapping
(every other product); its tax code is the mapping of the line's tax code, else the system's
default for the line's VAT category and percent (systems.py). Anything else is missing: the
download is refused with the list of what to fill in, never written with a blank.
"""

from dataclasses import dataclass, field

from django.db.models import Min

from accounts.platform.tax import VatCategory
from agreements.models import Product, TaxRate
from invoicing.models import InvoiceLine, Payment
from invoicing.services import DEPOSIT_CODE, HANDLING_FEE_CODE
from reporting import freshness
from reporting.accounting.models import (
    AccountCode,
    AccountingSettings,
    AccountingSystem,
    MappingKind,
)
from reporting.accounting.systems import FILES, NOTHING, default_tax_code

ANY_PRODUCT = "*"


def accounting_settings(tenant) -> AccountingSettings:
    """The company's settings row, or unsaved defaults."""
    found = AccountingSettings.objects.filter(tenant=tenant).first()
    return found or AccountingSettings(tenant=tenant)


@dataclass
class Mapping:
    system: str
    codes: dict = field(default_factory=dict)  # (kind, key) -> code

    @classmethod
    def of(cls, system: str) -> "Mapping":
        rows = AccountCode.objects.filter(system=system).values_list("kind", "key", "code")
        return cls(system, {(kind, key): code for kind, key, code in rows})

    def revenue(self, product_code: str) -> str:
        """The revenue account of a product code ("" when none is mapped)."""
        return self.codes.get((MappingKind.REVENUE, product_code)) or self.codes.get(
            (MappingKind.REVENUE, ANY_PRODUCT), ""
        )

    def tax_or_nothing(self, tax_code: str, category: str, percent) -> str:
        """The system's tax code for a line: mapped, else the default; NOTHING or ""."""
        return self.codes.get((MappingKind.TAX, tax_code)) or default_tax_code(
            self.system, category, percent
        )

    def tax(self, tax_code: str, category: str, percent) -> str:
        """The cell's text ("" for NOTHING: empty on purpose)."""
        code = self.tax_or_nothing(tax_code, category, percent)
        return "" if code == NOTHING else code


def batch_lines(batch):
    return InvoiceLine.objects.filter(invoice__export__batch=batch)


def batch_payments(batch):
    return Payment.objects.filter(exports__batch=batch)


def missing(system: str, batch, settings: AccountingSettings, *, payments=False) -> list[str]:
    """What to fill in on the mapping page before `batch`'s document file (or its payments
    file) for `system` can be written (empty: nothing)."""
    if payments:
        return _missing_for_payments(system, batch, settings)
    mapping = Mapping.of(system)
    problems = []
    lines = batch_lines(batch).order_by()  # the lines' ordering would defeat the DISTINCT
    names = dict(Product.objects.values_list("code", "name"))
    for code in sorted(set(lines.values_list("product_code", flat=True))):
        if not mapping.revenue(code):
            label = f"{code} ({names[code]})" if code in names else code or "(no product code)"
            problems.append(f"Revenue account for product {label}.")
        elif system == AccountingSystem.DATEV and not mapping.revenue(code).isdigit():
            problems.append(f"Revenue account for product {code}: DATEV accounts are digits.")
    taxes = lines.values_list("tax_code", "tax_category", "tax_percent").distinct()
    for tax_code, category, percent in sorted(set(taxes)):
        if not mapping.tax_or_nothing(tax_code, category, percent):
            problems.append(
                f"Tax code for {tax_code} ({category}, {percent.normalize():f} %): "
                f"{AccountingSystem(system).label} has no default for it."
            )
    if system == AccountingSystem.DATEV:
        problems += _datev_numbers(settings)
    return problems


def _datev_numbers(settings) -> list[str]:
    problems = []
    if not settings.datev_consultant_number:
        problems.append("DATEV Beraternummer (consultant number).")
    if not settings.datev_client_number:
        problems.append("DATEV Mandantennummer (client number).")
    return problems


def _missing_for_payments(system: str, batch, settings) -> list[str]:
    if system == AccountingSystem.DATEV:
        problems = _datev_numbers(settings)
        if not settings.datev_bank_account.isdigit():
            problems.append("DATEV bank account (digits) that payments are booked to.")
        return problems
    if system == AccountingSystem.SAGE and not settings.sage_bank_account:
        return ["Sage bank nominal code that receipts are posted to."]
    return []


def codes_in_use() -> tuple[set[str], list[tuple]]:
    """The product codes and the tax codes (with their category and lowest rate) on the
    company's issued documents: two grouped scans of every line, so the mapping page reads them
    through the figures cache. Without `.order_by()` the lines' own ordering (position, id) joined
    the DISTINCT: every line came back, cut at 500, and a code used only on later lines was
    missing from the page (issue 18)."""
    issued = InvoiceLine.objects.exclude(invoice__status="draft").order_by()
    products = set(issued.values_list("product_code", flat=True).distinct())
    taxes = list(
        issued.values_list("tax_code", "tax_category").annotate(percent=Min("tax_percent"))
    )
    return products, taxes


def mapping_rows(system: str) -> dict[str, list[dict]]:
    """The mapping page's rows for `system`: every product code and tax code the company's
    invoices can carry, with what is saved and the default."""
    mapping = Mapping.of(system)
    products = dict(Product.objects.order_by("code").values_list("code", "name"))
    specials = {HANDLING_FEE_CODE: "Handling fee", DEPOSIT_CODE: "Deposits and deductions"}
    used, used_taxes = freshness.cached("codes-in-use", codes_in_use)
    revenue_keys = {**products, **specials, **{code: "" for code in used if code not in products}}
    revenue = [
        {
            "key": ANY_PRODUCT,
            "label": "Every other product",
            "saved": mapping.codes.get((MappingKind.REVENUE, ANY_PRODUCT), ""),
            "default": "",
        }
    ] + [
        {
            "key": key,
            "label": revenue_keys[key] or specials.get(key, ""),
            "saved": mapping.codes.get((MappingKind.REVENUE, key), ""),
            "default": "",
        }
        for key in sorted(k for k in revenue_keys if k)
    ]
    taxes = {
        code: (category, percent, name)
        for code, category, percent, name in TaxRate.objects.values_list(
            "code", "category", "percent", "name"
        )
    }
    for category in (
        VatCategory.REVERSE_CHARGE,
        VatCategory.INTRA_COMMUNITY,
        VatCategory.EXPORT,
        VatCategory.OUTSIDE_SCOPE,
        VatCategory.EXEMPT,
        VatCategory.ZERO,
    ):
        taxes.setdefault(str(category), (str(category), None, category.label))
    for code, category, percent in used_taxes:
        taxes.setdefault(code, (category, percent, ""))
    tax = [
        {
            "key": code,
            "label": name or f"{category} {percent or ''}",
            "saved": mapping.codes.get((MappingKind.TAX, code), ""),
            "default": default_tax_code(system, category, percent),
        }
        for code, (category, percent, name) in sorted(taxes.items())
    ]
    return {"revenue": revenue, "tax": tax}


def systems_files():
    return FILES

"""Demo of the accounting exports (issue 16, part 5): Northwind's mapping for Xero, QuickBooks
Online, Sage and DATEV (Sage-style nominal codes 4000, 4010…, tax codes T1/T0/T2), and batch 1
holding everything issued and paid so far, ready to download in each format
(Exports → Batches → "Xero, QuickBooks, Sage, DATEV")."""

from accounts.platform.tenancy import activate
from agreements.models import Product, ProductKind
from invoicing.services import DEPOSIT_CODE, HANDLING_FEE_CODE
from reporting import services as reporting_services
from reporting.accounting import services as accounting
from reporting.accounting.models import AccountingSettings

# Nominal codes by product kind: courses 4000, fees 4010, materials 4020, anything else 4030.
NOMINAL = {ProductKind.COURSE: "4000", ProductKind.FEE: "4010", ProductKind.ITEM: "4020"}
SAGE_TAX = {"STD": "T1", "RED": "T5", "EXM": "T2", "EXE": "T2", "Z": "T0", "G": "T0", "AE": "T22"}
XERO_TAX = {
    "STD": "20% (VAT on Income)",
    "RED": "5% (VAT on Income)",
    "EXM": "Exempt Income",
    "AE": "Zero Rated EC Services",
}
QBO_TAX = {"AE": "0.0% ECS"}
DATEV_TAX = {"STD": "3", "RED": "2", "EXM": "-", "EXE": "-", "AE": "-", "G": "-"}
DATEV_ACCOUNT = {"4000": "8400", "4010": "8401", "4020": "8300", "4030": "8200"}


def build(tenant, *, user, rng) -> None:
    if tenant.slug != "northwind":
        return
    with activate(tenant):
        nominal = {
            code: NOMINAL.get(kind, "4030")
            for code, kind in Product.objects.values_list("code", "kind")
        }
        nominal.update({HANDLING_FEE_CODE: "4030", DEPOSIT_CODE: "2105", "*": "4030"})
        names = dict(Product.objects.values_list("code", "name"))
        names.update({HANDLING_FEE_CODE: "Handling fee", DEPOSIT_CODE: "Deposits", "*": "Other"})
        for system, revenue, tax in (
            ("sage", nominal, SAGE_TAX),
            ("xero", nominal, XERO_TAX),
            ("qbo", {code: names[code][:60] for code in nominal}, QBO_TAX),
            ("datev", {c: DATEV_ACCOUNT.get(n, "8200") for c, n in nominal.items()}, DATEV_TAX),
        ):
            codes = {("revenue", key): code for key, code in revenue.items()}
            codes.update({("tax", key): code for key, code in tax.items()})
            accounting.account_codes_save(tenant=tenant, by=user, system=system, codes=codes)
        accounting.accounting_settings_save(
            tenant=tenant,
            by=user,
            settings=AccountingSettings(
                tenant=tenant,
                datev_consultant_number=29098,
                datev_client_number=55003,
                fiscal_year_start_month=4,  # a UK company's year: DATEV files per year
                datev_bank_account="1200",
                sage_bank_account="1200",
            ),
        )
        reporting_services.export_batch_create(tenant=tenant, by=user)

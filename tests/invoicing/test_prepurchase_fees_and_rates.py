"""One truth for money: prepurchase uses at issue and their reversal, the handling fee as the
invoicing settings say, and exchange rates no older than the settings accept."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from agreements import selectors as agreement_selectors
from agreements import services as agreement_services
from agreements.models import LedgerKind, PrepurchaseEntry, PrepurchaseUnit
from invoicing import selectors, services
from invoicing.models import ExchangeRate, Grouping, InvoicingSettings
from projects.models import Registration
from tests.factories import (
    PrepurchaseFactory,
    PriceListEntryFactory,
    PriceListFactory,
    ProductFactory,
    TaxRateFactory,
)


def ids(rows):
    return [row.pk for row in rows]


def draft(act, billing, registrations=None, items=()):
    registrations = billing["registrations"] if registrations is None else registrations
    (invoice,) = act(
        services.drafts_create,
        project=billing["project"],
        registration_ids=ids(registrations),
        item_ids=ids(items),
        grouping=Grouping.ALL,
    )
    return invoice


def course(billing):
    return billing["events"][0].product


def agreement_on(billing, *, units_price=None, charge="1000", **kwargs):
    """A prepurchase of the billing customer whose list has the course (and its units price)."""
    price_list = PriceListFactory(tenant=billing["tenant"], currency="EUR")
    PriceListEntryFactory(
        price_list=price_list,
        product=course(billing),
        unit_price=Decimal("1000"),
        training_units_price=units_price,
    )
    agreement = PrepurchaseFactory(account=billing["account"], price_list=price_list, **kwargs)
    agreement_services.prepurchase_charge(
        tenant=billing["tenant"], by=None, agreement=agreement, amount=charge
    )
    return agreement


def pay_from(agreement, *registrations):
    Registration.objects.filter(pk__in=ids(registrations)).update(prepurchase=agreement)


def save_settings(act, **fields):
    return act(services.invoicing_settings_save, settings=InvoicingSettings(**fields))


# --- Prepurchase uses at issue ------------------------------------------------------------------


def test_a_units_prepurchase_uses_the_lists_units_price_less_the_agreements_discount(act, billing):
    # The product has no units price of its own: the list's entry is what counts.
    agreement = agreement_on(
        billing,
        units_price=Decimal("6"),
        charge="100",
        unit=PrepurchaseUnit.TRAINING_UNITS,
        discount_percent=Decimal("10"),
    )
    first, second = billing["registrations"][:2]
    pay_from(agreement, first, second)
    act(services.invoice_issue, invoice=draft(act, billing, registrations=[first, second]))
    uses = PrepurchaseEntry.objects.filter(kind=LedgerKind.USE)
    assert sorted(use.amount for use in uses) == [Decimal("5.40"), Decimal("5.40")]
    assert agreement_selectors.prepurchase_figures(agreement)["balance"] == Decimal("89.20")


def test_a_units_line_whose_course_has_no_units_price_refuses_the_issue(act, billing):
    agreement = agreement_on(billing, charge="100", unit=PrepurchaseUnit.TRAINING_UNITS)
    pay_from(agreement, billing["registrations"][0])
    invoice = draft(act, billing, registrations=billing["registrations"][:1])
    with pytest.raises(ValidationError, match="has no price in training units"):
        act(services.invoice_issue, invoice=invoice)
    invoice.refresh_from_db()
    assert invoice.is_draft and not PrepurchaseEntry.objects.filter(kind=LedgerKind.USE).exists()


def test_a_prepurchase_line_that_comes_to_nothing_is_never_billed_free(act, billing):
    agreement = agreement_on(billing)
    registration = billing["registrations"][0]
    pay_from(agreement, registration)
    Registration.objects.filter(pk=registration.pk).update(unit_price=0, net_amount=0)
    invoice = draft(act, billing, registrations=[registration])
    with pytest.raises(ValidationError, match="comes to nothing"):
        act(services.invoice_issue, invoice=invoice)
    invoice.refresh_from_db()
    assert invoice.is_draft


# --- Reversing a use an invoice wrote -----------------------------------------------------------


def test_a_use_an_invoice_wrote_is_reversed_by_crediting_its_line_only(act, billing):
    agreement = agreement_on(billing)
    registration = billing["registrations"][0]
    pay_from(agreement, registration)
    issued = act(services.invoice_issue, invoice=draft(act, billing, registrations=[registration]))
    use = PrepurchaseEntry.objects.get(kind=LedgerKind.USE)
    with pytest.raises(ValidationError) as error:
        act(agreement_services.prepurchase_reverse, entry=use, reason="wrong")
    assert f"credit that line of invoice {issued.number} instead" in str(error.value)
    assert agreement_selectors.prepurchase_figures(agreement)["balance"] == Decimal("100.00")

    act(services.invoice_credit, invoice=issued, reason="wrong customer")
    reversal = PrepurchaseEntry.objects.get(kind=LedgerKind.REVERSAL)
    assert reversal.reverses == use
    assert agreement_selectors.prepurchase_figures(agreement)["balance"] == Decimal("1000.00")


def test_the_ledger_page_refuses_to_reverse_a_use_an_invoice_wrote(act, billing, client_for):
    agreement = agreement_on(billing)
    pay_from(agreement, billing["registrations"][0])
    issued = act(
        services.invoice_issue,
        invoice=draft(act, billing, registrations=billing["registrations"][:1]),
    )
    use = PrepurchaseEntry.objects.get(kind=LedgerKind.USE)
    client = client_for(billing["world"].staff)
    page = client.get(
        reverse(
            "agreements:prepurchase-detail", kwargs={"tenant_slug": "alpha", "pk": agreement.pk}
        )
    )
    assert f"written by invoice {issued.number}: credit its line" in page.content.decode()
    response = client.post(
        reverse(
            "agreements:prepurchase-detail", kwargs={"tenant_slug": "alpha", "pk": agreement.pk}
        ),
        {"entry": use.pk, "reason": "typo"},
        follow=True,
    )
    assert f"credit that line of invoice {issued.number} instead" in response.content.decode()
    assert not PrepurchaseEntry.objects.filter(kind=LedgerKind.REVERSAL).exists()


# --- Handling fee -------------------------------------------------------------------------------


def with_fee(billing, percent="2.5"):
    billing["project"].handling_fee_percent = Decimal(percent)
    billing["project"].save()


def test_the_handling_fee_takes_the_code_and_tax_rate_of_the_settings_product(act, billing):
    reduced = TaxRateFactory(tenant=billing["tenant"], code="RED", percent=Decimal("5"))
    fee_product = ProductFactory(
        tenant=billing["tenant"], code="ADMIN-FEE", name="Admin fee", kind="fee", tax_rate=reduced
    )
    save_settings(act, handling_fee_product=fee_product)
    with_fee(billing)
    fee = draft(act, billing).lines.get(kind="handling_fee")
    assert (fee.product_code, fee.tax_code, fee.tax_percent) == ("ADMIN-FEE", "RED", Decimal("5"))
    assert fee.net == Decimal("90.00") and fee.description.startswith("Admin fee 2.5 %")


def test_without_a_product_the_fee_is_taxed_like_the_lines_it_is_charged_on(act, billing):
    with_fee(billing, "10")
    only_exempt = draft(act, billing, registrations=[], items=[billing["item"]])
    fee = only_exempt.lines.get(kind="handling_fee")
    assert (fee.product_code, fee.tax_code, fee.tax_percent) == ("HANDLING", "EXM", Decimal("0"))
    billing["tenant"].default_tax_rate = Decimal("19")
    billing["tenant"].save()
    act(services.draft_delete, invoice=only_exempt)
    mixed = draft(act, billing, items=[billing["item"]])  # 20 % courses and a 0 % exam fee
    fee = mixed.lines.get(kind="handling_fee")
    assert (fee.tax_code, fee.tax_percent) == ("STD", Decimal("19"))


def test_the_fee_leaves_out_prepaid_lines_unless_the_settings_include_them(act, billing):
    with_fee(billing, "10")
    agreement = agreement_on(billing)
    pay_from(agreement, billing["registrations"][0])  # 900 prepaid, 3 × 900 due
    invoice = draft(act, billing)
    assert invoice.lines.get(kind="handling_fee").net == Decimal("270.00")
    act(services.draft_delete, invoice=invoice)
    save_settings(act, fee_on_prepaid_lines=True)
    assert draft(act, billing).lines.get(kind="handling_fee").net == Decimal("360.00")


def test_an_invoice_paid_wholly_from_a_prepurchase_has_no_fee_line(act, billing):
    with_fee(billing, "10")
    agreement = agreement_on(billing)
    pay_from(agreement, billing["registrations"][0])
    invoice = draft(act, billing, registrations=billing["registrations"][:1])
    assert not invoice.lines.filter(kind="handling_fee").exists()


# --- Exchange rates -----------------------------------------------------------------------------


@pytest.fixture
def pounds_base(billing):
    billing["tenant"].base_currency = "GBP"
    billing["tenant"].save()
    ExchangeRate.objects.create(
        tenant=billing["tenant"],
        currency="EUR",
        date=datetime.date(2026, 3, 20),
        rate=Decimal("0.86"),
    )


def test_an_exchange_rate_older_than_the_limit_refuses_issuing(act, billing, pounds_base):
    invoice = draft(act, billing)
    with pytest.raises(ValidationError) as error:
        act(services.invoice_issue, invoice=invoice, on_date=datetime.date(2026, 4, 1))
    message = str(error.value)
    assert "exchange rate is of 20 Mar 2026, 12 days before the issue date 01 Apr 2026" in message
    assert "at most 7 days old" in message and "Exchange rates" in message
    invoice.refresh_from_db()
    assert invoice.is_draft and invoice.number == ""
    issued = act(services.invoice_issue, invoice=invoice, on_date=datetime.date(2026, 3, 27))
    assert issued.exchange_rate == Decimal("0.86")  # exactly 7 days old is accepted


def test_the_settings_set_how_old_a_rate_may_be(act, billing, pounds_base):
    save_settings(act, max_rate_age_days=14)
    assert selectors.rate_for(billing["tenant"], "EUR", datetime.date(2026, 4, 1)) == Decimal(
        "0.86"
    )
    issued = act(
        services.invoice_issue, invoice=draft(act, billing), on_date=datetime.date(2026, 4, 1)
    )
    assert issued.exchange_rate == Decimal("0.86")


# --- The settings page --------------------------------------------------------------------------


def settings_url(slug="alpha"):
    return reverse("invoicing:settings", kwargs={"tenant_slug": slug})


def test_the_defaults_hold_until_the_settings_are_saved(billing):
    defaults = selectors.invoicing_settings(billing["tenant"])
    assert defaults.pk is None and defaults.handling_fee_product is None
    assert (defaults.fee_on_prepaid_lines, defaults.max_rate_age_days) == (False, 7)


def test_an_admin_edits_the_invoicing_settings(billing, client_for):
    fee_product = ProductFactory(tenant=billing["tenant"], code="FEE", kind="fee")
    ProductFactory(tenant=billing["tenant"], code="NOT-A-FEE")
    client = client_for(billing["world"].admin)
    page = client.get(settings_url())
    assert page.status_code == 200
    assert "FEE" in page.content.decode() and "NOT-A-FEE" not in page.content.decode()
    response = client.post(
        settings_url(),
        {
            "handling_fee_product": fee_product.pk,
            "fee_on_prepaid_lines": "on",
            "max_rate_age_days": 3,
        },
    )
    assert response.status_code == 302
    saved = InvoicingSettings.objects.get()
    assert (saved.handling_fee_product, saved.fee_on_prepaid_lines, saved.max_rate_age_days) == (
        fee_product,
        True,
        3,
    )
    client.post(settings_url(), {"max_rate_age_days": 10})
    assert InvoicingSettings.objects.get().max_rate_age_days == 10  # still one row


def test_staff_get_403_and_another_tenants_admin_404(billing, world_b, client_for):
    assert client_for(billing["world"].staff).get(settings_url()).status_code == 403
    assert client_for(billing["world"].finance).post(settings_url(), {}).status_code == 403
    assert client_for(world_b.admin).get(settings_url()).status_code == 404
    assert (
        client_for(world_b.admin).post(settings_url(), {"max_rate_age_days": 1}).status_code == 404
    )
    assert not InvoicingSettings.objects.exists()


def test_another_tenants_fee_product_cannot_be_chosen(billing, world_b, act):
    theirs = ProductFactory(tenant=world_b.tenant, kind="fee")
    with pytest.raises(ValidationError, match="another company"):
        save_settings(act, handling_fee_product=theirs)

"""The legal details an invoice needs: VAT ids, bank accounts, the company's settings."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts import services
from accounts.models import Account, BankAccount
from accounts.platform.models import AuditEntry, Tenant
from accounts.platform.tenancy import activate
from tests.factories import AccountFactory, BankAccountFactory

# --- Bank accounts: the row's rules -------------------------------------------------------------


def bank(**fields) -> BankAccount:
    return BankAccount(label="Main", **fields)


def errors_of(row) -> dict:
    with pytest.raises(ValidationError) as caught:
        row.clean()
    return caught.value.message_dict


def test_an_iban_is_checked_and_stored_compact_in_capitals():
    account = bank(iban="de89 3704 0044 0532 0130 00", bic="cobadeffxxx")
    account.clean()
    assert (account.iban, account.bic) == ("DE89370400440532013000", "COBADEFFXXX")
    assert account.iban_grouped == "DE89 3704 0044 0532 0130 00"


@pytest.mark.parametrize(
    "iban",
    [
        "DE89370400440532013001",  # a wrong check digit
        "DE8937040044053201300",  # too short for Germany
        "XX89370400440532013000",  # no such country
    ],
)
def test_a_wrong_iban_is_refused_with_what_to_check(iban):
    assert "is not a valid IBAN" in errors_of(bank(iban=iban))["iban"][0]


def test_a_bic_is_checked_and_must_be_of_the_ibans_country():
    assert (
        "is not a valid BIC" in errors_of(bank(iban="DE89370400440532013000", bic="COBA"))["bic"][0]
    )
    message = errors_of(bank(iban="DE89370400440532013000", bic="NWBKGB2L"))["bic"][0]
    assert "in GB" in message and "of DE" in message


def test_without_an_iban_an_account_number_needs_its_sort_code_and_the_other_way_round():
    account = bank(account_number="31926819", sort_code="60-16-13")
    account.clean()
    assert "sort_code" in errors_of(bank(account_number="31926819"))
    assert "account_number" in errors_of(bank(sort_code="60-16-13"))
    assert "Enter an IBAN, or an account number" in errors_of(bank())["iban"][0]


# --- VAT ids ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "typed", "stored"),
    [
        ("GB", "GB 980 7806 84", "GB980780684"),
        ("GB", "980780684", "GB980780684"),
        ("DE", "de 136.695.976", "DE136695976"),
        ("DE", "136695976", "DE136695976"),
    ],
)
def test_a_valid_vat_id_is_accepted_and_written_compactly(world_a, country, typed, stored):
    account = AccountFactory.build(tenant=world_a.tenant, country=country, tax_id=typed)
    with activate(world_a.tenant):
        account.clean()
    assert account.tax_id == stored
    tenant = Tenant(name="X", slug="x", country=country, vat_number=typed)
    tenant.clean()
    assert tenant.vat_number == stored


@pytest.mark.parametrize(
    ("country", "typed"),
    [("GB", "GB123456789"), ("GB", "GB1"), ("DE", "DE123456789"), ("DE", "DE13669597")],
)
def test_a_wrong_vat_id_is_refused_with_an_example(world_a, country, typed):
    account = AccountFactory.build(tenant=world_a.tenant, country=country, tax_id=typed)
    with activate(world_a.tenant):
        message = errors_of(account)["tax_id"][0]
    assert "is not a valid" in message and "for example" in message
    with pytest.raises(ValidationError) as caught:
        Tenant(name="X", slug="x", country=country, vat_number=typed).clean()
    assert "vat_number" in caught.value.message_dict


def test_a_tax_id_of_a_country_without_vat_rules_is_accepted(world_a):
    account = AccountFactory.build(tenant=world_a.tenant, country="US", tax_id="12-3456789")
    with activate(world_a.tenant):
        account.clean()  # nothing to check it against: no error
    assert account.tax_id == "123456789"


def test_account_save_refuses_a_wrong_vat_id_whatever_calls_it(world_a):
    with activate(world_a.tenant), pytest.raises(ValidationError) as caught:
        services.account_save(
            tenant=world_a.tenant,
            by=world_a.staff,
            account=Account(name="Bad Id GmbH", country="DE", tax_id="DE123456789"),
        )
    assert "tax_id" in caught.value.message_dict


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("0088:5790000435968", "0088:5790000435968"), (" 9930:DE136695976 ", "9930:DE136695976")],
)
def test_a_peppol_id_is_scheme_colon_id(world_a, typed, stored):
    account = AccountFactory.build(tenant=world_a.tenant, peppol_id=typed)
    with activate(world_a.tenant):
        account.clean()
    assert account.peppol_id == stored


@pytest.mark.parametrize("typed", ["5790000435968", "88:5790000435968", "1234:abc", "0088:"])
def test_a_peppol_id_without_a_known_scheme_is_refused(world_a, typed):
    account = AccountFactory.build(tenant=world_a.tenant, peppol_id=typed)
    with activate(world_a.tenant):
        assert "scheme:id" in errors_of(account)["peppol_id"][0]


# --- Company settings ---------------------------------------------------------------------------


SETTINGS = {
    "name": "Alpha Training Ltd",
    "base_currency": "GBP",
    "address": "21 Kingsway",
    "postal_code": "WC2B 6XF",
    "city": "London",
    "country": "GB",
    "vat_number": "GB980780684",
    "registration_number": "01234567",
    "registration_register": "Companies House, England and Wales",
    "invoice_contact_name": "Fiona Fraser",
    "invoice_email": "accounts@alpha.example",
    "invoice_phone": "+44 20 7946 0000",
    "invoice_prefix": "AT-",
    "credit_note_prefix": "ATC-",
    "payment_terms_days": "30",
    "default_tax_rate": "20",
}


def test_the_settings_page_saves_the_legal_details(world_a, client_for):
    client = client_for(world_a.admin)
    page = client.get("/alpha/settings/").content.decode()
    for label in ("Legal details", "Invoicing contact", "Company registration number"):
        assert label in page
    assert client.post("/alpha/settings/", SETTINGS).status_code == 302
    tenant = Tenant.objects.get(pk=world_a.tenant.pk)
    for name, value in SETTINGS.items():
        if name not in ("payment_terms_days", "default_tax_rate"):
            assert str(getattr(tenant, name)) == value, name


def test_the_settings_page_refuses_a_wrong_vat_number_and_says_why(world_a, client_for):
    response = client_for(world_a.admin).post(
        "/alpha/settings/", {**SETTINGS, "vat_number": "GB123456789"}
    )
    assert response.status_code == 422
    assert "is not a valid GB VAT number" in response.content.decode()
    assert Tenant.objects.get(pk=world_a.tenant.pk).vat_number == ""


def test_the_account_form_saves_the_invoicing_fields(world_a, client_for):
    response = client_for(world_a.staff).post(
        "/alpha/accounts/new/",
        {
            "name": "Meridian GmbH",
            "kind": "organisation",
            "country": "DE",
            "tax_id": "DE 136 695 976",
            "invoice_email": "invoices@meridian.example",
            "einvoice_format": "ubl",
            "peppol_id": "9930:DE136695976",
            "tax_treatment": "AE",
            "country_area": "Bayern",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    with activate(world_a.tenant):
        account = Account.objects.get(name="Meridian GmbH")
    assert (account.tax_id, account.einvoice_format, account.tax_treatment) == (
        "DE136695976",
        "ubl",
        "AE",
    )
    assert (account.peppol_id, account.invoice_email, account.country_area) == (
        "9930:DE136695976",
        "invoices@meridian.example",
        "Bayern",
    )


def test_the_account_form_explains_a_wrong_peppol_id(world_a, client_for):
    response = client_for(world_a.staff).post(
        "/alpha/accounts/new/",
        {"name": "X", "kind": "organisation", "peppol_id": "5790000435968", "is_active": "on"},
    )
    assert response.status_code == 422 and "scheme:id" in response.content.decode()


# --- Bank accounts: the service and the pages ---------------------------------------------------


def test_one_default_per_company_the_service_moves_the_flag(world_a):
    tenant, by = world_a.tenant, world_a.admin
    with activate(tenant):
        first = services.bank_account_save(
            tenant=tenant,
            by=by,
            bank_account=BankAccount(label="GBP", account_number="31926819", sort_code="601613"),
        )
        first.is_default = True
        services.bank_account_save(tenant=tenant, by=by, bank_account=first)
        second = services.bank_account_save(
            tenant=tenant,
            by=by,
            bank_account=BankAccount(
                label="EUR", currency="eur", iban="DE89370400440532013000", is_default=True
            ),
        )
        assert list(BankAccount.objects.filter(is_default=True)) == [second]
        assert second.currency == "EUR"
        services.bank_account_deactivate(tenant=tenant, by=by, bank_account=second)
        second.refresh_from_db()
        assert (second.is_active, second.is_default) == (False, False)
        actions = set(
            AuditEntry.objects.filter(object_type="accounts.bankaccount").values_list(
                "action", flat=True
            )
        )
    assert actions == {"bank account added", "bank account saved"}


def test_the_service_refuses_another_companys_bank_account(world_a, world_b):
    theirs = BankAccountFactory(tenant=world_b.tenant)
    with activate(world_a.tenant), pytest.raises(ValidationError):
        services.bank_account_save(tenant=world_a.tenant, by=world_a.admin, bank_account=theirs)


def test_an_admin_adds_edits_and_deactivates_bank_accounts(world_a, client_for):
    client = client_for(world_a.admin)
    page = client.get("/alpha/settings/bank-accounts/")
    assert page.status_code == 200 and "No bank accounts yet" in page.content.decode()
    response = client.post(
        "/alpha/settings/bank-accounts/",
        {
            "label": "EUR account",
            "currency": "EUR",
            "bank_name": "Commerzbank",
            "iban": "DE89 3704 0044 0532 0130 00",
            "bic": "COBADEFFXXX",
            "is_default": "on",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    with activate(world_a.tenant):
        account = BankAccount.objects.get()
    assert (account.iban, account.is_default) == ("DE89370400440532013000", True)
    assert (
        "DE89 3704 0044 0532 0130 00"
        in client.get("/alpha/settings/bank-accounts/").content.decode()
    )

    edit_url = f"/alpha/settings/bank-accounts/{account.pk}/edit/"
    assert client.get(edit_url).status_code == 200
    response = client.post(
        edit_url,
        {
            "label": "EUR account",
            "currency": "EUR",
            "iban": "DE89370400440532013000",
            "bic": "COBADEFFXXX",
            "account_holder": "Alpha Training Ltd",
            "is_default": "on",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    deactivate = f"/alpha/settings/bank-accounts/{account.pk}/deactivate/"
    question = client.post(deactivate).content.decode()  # asks once, saying what it does
    assert "New invoices no longer print it; invoices issued already keep it." in question
    with activate(world_a.tenant):
        account.refresh_from_db()
    assert account.is_active
    client.post(deactivate, {"confirmed": "1"})
    with activate(world_a.tenant):
        account.refresh_from_db()
    assert (account.account_holder, account.is_active) == ("Alpha Training Ltd", False)


def test_a_wrong_iban_on_the_page_is_explained_and_nothing_saved(world_a, client_for):
    response = client_for(world_a.admin).post(
        "/alpha/settings/bank-accounts/",
        {"label": "Typo", "iban": "DE89370400440532013001", "is_active": "on"},
    )
    assert response.status_code == 422
    assert "is not a valid IBAN" in response.content.decode()
    with activate(world_a.tenant):
        assert not BankAccount.objects.exists()


@pytest.mark.parametrize("role", ["staff", "finance", "viewer"])
def test_only_admins_see_or_change_bank_accounts(world_a, client_for, role):
    account = BankAccountFactory(tenant=world_a.tenant)
    client = client_for(getattr(world_a, role))
    assert client.get("/alpha/settings/bank-accounts/").status_code == 403
    assert client.post("/alpha/settings/bank-accounts/", {"label": "x"}).status_code == 403
    assert client.get(f"/alpha/settings/bank-accounts/{account.pk}/edit/").status_code == 403
    deactivate = f"/alpha/settings/bank-accounts/{account.pk}/deactivate/"
    assert client.post(deactivate).status_code == 403
    with activate(world_a.tenant):
        assert BankAccount.objects.get().is_active


def test_another_companys_bank_accounts_are_404(world_a, world_b, client_for):
    theirs = BankAccountFactory(tenant=world_a.tenant)
    client = client_for(world_b.admin)
    # A's pages under A's slug, and A's row under B's own slug.
    assert client.get("/alpha/settings/bank-accounts/").status_code == 404
    for slug in ("alpha", "bravo"):
        edit = reverse("accounts:bank-account-edit", kwargs={"tenant_slug": slug, "pk": theirs.pk})
        deactivate = reverse(
            "accounts:bank-account-deactivate", kwargs={"tenant_slug": slug, "pk": theirs.pk}
        )
        assert client.get(edit).status_code == 404
        assert client.post(edit, {"label": "Hijacked"}).status_code == 404
        assert client.post(deactivate).status_code == 404
    with activate(world_a.tenant):
        theirs.refresh_from_db()
    assert theirs.label != "Hijacked" and theirs.is_active


def test_the_admin_saves_a_bank_account_through_the_service(world_b, client_for):
    client = client_for(world_b.admin)
    assert client.get("/bravo/settings/admin/").status_code == 302
    old_default = BankAccountFactory(tenant=world_b.tenant, is_default=True)
    response = client.post(
        reverse("admin:accounts_bankaccount_add"),
        {
            "label": "GBP",
            "currency": "GBP",
            "account_number": "31926819",
            "sort_code": "60-16-13",
            "is_default": "on",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    with activate(world_b.tenant):
        assert BankAccount.objects.get(is_default=True).label == "GBP"
        old_default.refresh_from_db()
        assert not old_default.is_default
        assert AuditEntry.objects.filter(action="bank account added").exists()
    response = client.post(reverse("admin:accounts_bankaccount_add"), {"label": "No number"})
    assert response.status_code == 200 and "Enter an IBAN" in response.content.decode()

"""Issue 17: the company's language for its pages and formats, the customer's language for its
documents (invoice and credit-note PDFs, invoice e-mails, reminders, statements), frozen at
issue so that a re-render never changes it."""

import datetime
import io
import pathlib
from decimal import Decimal

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.core import mail as outbox
from django.utils import translation

from accounts.forms import AccountForm, TenantSettingsForm
from accounts.platform.languages import account_language
from accounts.platform.models import Tenant
from accounts.platform.tenancy import activate
from accounts.templatetags.money import amount, money, percent
from invoicing import mail, services
from invoicing.languages import document_language
from invoicing.models import Invoice
from invoicing.pdf import invoice_html
from tests.invoicing.test_reminders import run

LOCALE = pathlib.Path(__file__).resolve().parents[2] / "locale"


def _german(tenant):
    Tenant.objects.filter(pk=tenant.pk).update(language="de")
    tenant.refresh_from_db()


# --- Pages and formats ---------------------------------------------------------------------------


def test_a_german_company_gets_its_pages_in_german_and_an_english_one_in_english(
    world_a, world_b, client_for
):
    _german(world_a.tenant)
    german = client_for(world_a.staff).get("/alpha/accounts/")
    english = client_for(world_b.staff).get(f"/{world_b.tenant.slug}/accounts/")
    assert german.status_code == english.status_code == 200
    text = german.content.decode()
    assert '<html lang="de">' in text and german["Content-Language"] == "de"
    assert "<h1>Kunden</h1>" in text and "Neuer Kunde" in text
    assert "<h1>Accounts</h1>" in english.content.decode()
    assert english["Content-Language"] == "en-gb"


def test_a_german_company_reads_the_registrations_filter_and_the_finish_question_in_german(
    world_a, client_for
):
    """The filter's invoiced choices, its learner box and the question that finishes a project
    were English strings nothing marked for translation."""
    from tests.factories import AccountFactory, ProjectFactory

    _german(world_a.tenant)
    with activate(world_a.tenant):
        project = ProjectFactory(account=AccountFactory(tenant=world_a.tenant))
    client = client_for(world_a.staff)
    tab = client.get(f"/alpha/projects/{project.pk}/registrations/").content.decode()
    assert "Berechnet oder nicht" in tab and "Nicht berechnet" in tab
    assert 'placeholder="Name oder E-Mail"' in tab
    question = client.post(f"/alpha/projects/{project.pk}/status/", {"status": "finished"})
    text = question.content.decode()
    assert f"{project.code} abschließen" in text
    assert "Davon ist nichts mehr zu berechnen." in text
    assert "Als abgeschlossen markieren" in text


def test_a_german_company_reads_the_invoice_filter_and_the_search_boxes_in_german(
    world_a, client_for
):
    """The invoice filter's "issued" choice, its overdue choices and the account and project
    search boxes, the customer search of the project and booking filters and the options
    answered without a label of their own were English strings nothing marked."""
    _german(world_a.tenant)
    finance = client_for(world_a.finance)
    invoices = finance.get("/alpha/invoices/").content.decode()
    assert ">Ausgestellt (jeder Zahlungsstand)</option>" in invoices
    assert '<option value="" selected>Beliebig</option>' in invoices
    assert '<option value="true">Überfällig</option>' in invoices
    assert 'aria-label="Kunden suchen"' in invoices and 'aria-label="Projekt suchen"' in invoices
    for english in ("Issued (any payment state)", "Find an account", "Find a project", ">Any<"):
        assert english not in invoices
    staff = client_for(world_a.staff)
    assert 'aria-label="Kunden suchen"' in staff.get("/alpha/projects/").content.decode()
    options = staff.get("/alpha/accounts/options/?q=zz").content.decode()
    assert '<option value="">Beliebig</option>' in options
    labelled = staff.get("/alpha/accounts/options/?q=zz&empty=Jeder+Kunde").content.decode()
    assert '<option value="">Jeder Kunde</option>' in labelled


def test_the_language_is_a_company_setting_and_a_form_posted_without_it_keeps_it(world_a):
    tenant = world_a.tenant
    _german(tenant)
    fields = TenantSettingsForm(instance=tenant).initial
    data = {k: v for k, v in fields.items() if k not in ("logo", "language") and v is not None}
    form = TenantSettingsForm(data=data, instance=tenant)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["language"] == "de"
    choices = dict(TenantSettingsForm(instance=tenant).fields["language"].choices)
    assert choices == {"en-gb": "English", "de": "Deutsch"}


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en-gb", ("€1,234.50", "-£1,234.50", "1,234.50", "12.5 %")),
        ("de", ("1.234,50\xa0€", "-1.234,50\xa0£", "1.234,50", "12,5 %")),
    ],
)
def test_money_follows_the_active_language(language, expected):
    with translation.override(language):
        got = (
            money(Decimal("1234.5"), "EUR"),
            money(Decimal("-1234.5"), "GBP"),
            amount(Decimal("1234.5"), "EUR"),
            percent(Decimal("12.50")),
        )
    assert got == expected


# --- Documents in the customer's language --------------------------------------------------------


def _issue(act, billing):
    (draft,) = act(
        services.drafts_create,
        project=billing["project"],
        registration_ids=[r.pk for r in billing["registrations"][:2]],
    )
    return Invoice.objects.get(pk=act(services.invoice_issue, invoice=draft, render_pdf=False).pk)


def test_an_account_without_a_language_takes_the_companys(billing):
    account, tenant = billing["account"], billing["tenant"]
    assert account_language(account, tenant) == "en-gb"
    _german(tenant)
    assert account_language(account, tenant) == "de"
    account.language = "en-gb"
    assert account_language(account, tenant) == "en-gb"


def test_the_invoice_is_written_in_the_billing_accounts_language_frozen_at_issue(act, billing):
    account = billing["account"]
    account.language = "de"
    account.save()
    invoice = _issue(act, billing)
    assert invoice.buyer_details["language"] == "de"
    html = invoice_html(invoice)
    assert "Rechnung INV-" in html and "Rechnungsdatum" in html and "Kundennummer" in html
    assert f"{invoice.issue_date.day}. " in html  # German dates: "1. Dezember 2026"
    assert "1.800,00\xa0€" in html  # two places at 900.00, in the German format
    assert '<html lang="de">' in html

    # The customer changes language later: the issued document stays as it was issued.
    account.language = "en-gb"
    account.save()
    invoice.refresh_from_db()
    assert document_language(invoice) == "de"
    assert "Rechnungsdatum" in invoice_html(invoice)


def test_an_english_customer_of_a_german_company_gets_english_documents(act, billing):
    _german(billing["tenant"])
    billing["account"].language = "en-gb"
    billing["account"].save()
    html = invoice_html(_issue(act, billing))
    assert "Issue date" in html and "€1,800.00" in html and "Rechnungsdatum" not in html


def test_a_document_issued_before_languages_existed_stays_english(act, billing):
    invoice = _issue(act, billing)
    details = dict(invoice.buyer_details)
    details.pop("language")
    Invoice.objects.filter(pk=invoice.pk).update(buyer_details=details)
    _german(billing["tenant"])
    invoice.refresh_from_db()
    assert document_language(invoice) == "en-gb"
    assert "Issue date" in invoice_html(invoice)


def test_a_credit_note_speaks_the_language_of_the_invoice_it_credits(act, billing):
    billing["account"].language = "de"
    billing["account"].save()
    invoice = _issue(act, billing)
    billing["account"].language = ""
    billing["account"].save()
    note = act(services.invoice_credit, invoice=invoice, line_ids=None, reason="Doppelt")
    note.refresh_from_db()
    assert document_language(note) == "de"
    assert "Gutschrift CN-" in invoice_html(note)


def test_the_invoice_email_left_at_the_default_is_sent_in_the_customers_language(act, billing):
    billing["account"].language = "de"
    billing["account"].save()
    invoice = _issue(act, billing)
    subject, body = mail.subject_and_body(invoice)
    assert subject == f"Rechnung {invoice.number} von {billing['tenant'].name}"
    assert body.startswith("Sehr geehrte Damen und Herren,\n\nanbei erhalten Sie die Rechnung INV-")
    assert "2.160,00\xa0€" in body and "Mit freundlichen Grüßen" in body  # gross, 20 % VAT


def test_a_companys_own_email_wording_is_kept_as_written(act, billing):
    billing["account"].language = "de"
    billing["account"].save()
    invoice = _issue(act, billing)
    own = type("Templates", (), {"email_subject": "Ihre {document}", "email_body": "{total}"})
    assert mail.subject_and_body(invoice, templates=own) == ("Ihre Rechnung", "2.160,00\xa0€")


def test_reminders_are_written_in_the_billing_accounts_language(dunning):
    dunning["meridian"].language = "de"
    dunning["meridian"].save()
    overdue = dunning["invoice"](overdue_days=7)
    assert run(dunning).reminders == 1
    (message,) = outbox.outbox
    assert message.subject == f"Zahlungserinnerung: {overdue.number}"
    assert "Sehr geehrte Damen und Herren," in message.body
    assert f"- {overdue.number}, fällig am 23 Jun 2026: 1.080,00\xa0€ offen" in message.body
    assert "(7 Tage überfällig)" in message.body


def test_the_account_form_offers_the_companys_language_as_the_blank_choice(world_a):
    with activate(world_a.tenant):
        field = AccountForm(tenant=world_a.tenant).fields["language"]
    assert [str(label) for _value, label in field.choices] == [
        "The company's language",
        "English",
        "Deutsch",
    ]


# --- The catalogue ---------------------------------------------------------------------------


def test_the_compiled_german_catalogue_is_the_po_file_compiled():
    """`make messages` compiles the .mo with Babel; a .po edited without compiling fails here."""
    po = read_po((LOCALE / "de/LC_MESSAGES/django.po").open("rb"))
    problems = [(message.id, [str(e) for e in errors]) for message, errors in po.check()]
    assert not problems, problems  # what `pybabel compile` would refuse
    compiled = io.BytesIO()
    write_mo(compiled, po)
    assert (LOCALE / "de/LC_MESSAGES/django.mo").read_bytes() == compiled.getvalue(), (
        "locale/de is stale: run `make compile-messages`"
    )


def test_every_german_translation_keeps_the_placeholders_it_uses():
    """A translation naming a placeholder its English does not have would raise on the page."""
    import re

    placeholder = re.compile(r"%\((\w+)\)[sd]|\{\{ *(\w+) *\}\}")
    wrong = []
    for message in read_po((LOCALE / "de/LC_MESSAGES/django.po").open("rb")):
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        allowed = {a or b for text in ids for a, b in placeholder.findall(text)}
        for text in strings:
            if text and not {a or b for a, b in placeholder.findall(text)} <= allowed:
                wrong.append(message.id)
    assert not wrong


def test_dates_in_reminders_follow_the_language():
    from invoicing.reminder_mail import _day

    with translation.override("de"):
        assert _day(datetime.date(2026, 12, 1)) == "1 Dez 2026"
    assert _day(datetime.date(2026, 12, 1)) == "1 Dec 2026"


def _english_catalogue_tool():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "english_catalogue", LOCALE.parent / "tools/english_catalogue.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_british_catalogue_is_written_from_the_german_and_compiled():
    """`make compile-messages` writes it (tools/english_catalogue.py); a German message added
    without running it fails here (the page would only be slower, not wrong)."""
    tool = _english_catalogue_tool()
    po_file = LOCALE / "en_GB/LC_MESSAGES/django.po"
    assert po_file.read_bytes() == tool.english_catalogue()
    compiled = io.BytesIO()
    write_mo(compiled, read_po(po_file.open("rb")))
    assert (LOCALE / "en_GB/LC_MESSAGES/django.mo").read_bytes() == compiled.getvalue()


def test_a_british_page_finds_our_strings_in_the_first_catalogue_and_reads_them_unchanged():
    """The catalogue is there for speed (a string found at once, not after six fallback
    catalogues): every message reads exactly as written."""
    english = translation.trans_real.translation("en-gb")
    german = read_po((LOCALE / "de/LC_MESSAGES/django.po").open("rb"))
    singles = [m.id for m in german if m.id and not m.pluralizable and not m.context]
    assert all(message in english._catalog for message in singles)
    with translation.override("en-gb"):
        assert [translation.gettext(message) for message in singles] == singles
        assert translation.ngettext("%(count)s item", "%(count)s items", 2) == "%(count)s items"


def test_a_message_django_spells_the_british_way_is_left_to_django(monkeypatch):
    tool = _english_catalogue_tool()

    class British:
        def gettext(self, message):
            return "Organisation" if message == "Organization" else message

        def ngettext(self, singular, plural, n):
            return singular if n == 1 else plural

    monkeypatch.setattr(tool, "djangos_own_english", British)
    monkeypatch.setattr(tool, "GERMAN", _german_po_with("Organization"))
    written = tool.english_catalogue().decode()
    assert 'msgid "Organization"' not in written and 'msgid "Registrations"' in written


def _german_po_with(message):
    import tempfile

    path = pathlib.Path(tempfile.mkdtemp()) / "django.po"
    text = (LOCALE / "de/LC_MESSAGES/django.po").read_text()
    path.write_text(text + f'\nmsgid "{message}"\nmsgstr "Organisation (de)"\n')
    return path

import re
import subprocess

import pytest
from playwright.sync_api import expect

from accounts.platform.models import Tenant
from accounts.platform.tenancy import activate
from invoicing.models import Invoice
from tests.e2e.test_accounts_journey import log_in
from tests.invoicing.conftest import billing as billing_fixture

pytestmark = pytest.mark.django_db(transaction=True)

billing = billing_fixture

NBSP = "\xa0"
# What the journey reads and clicks, in each language of the company (issue 17): the pages follow
# the company's language, the invoice PDF the billing account's (here the company's).
TEXT = {
    "en-gb": {
        "select_all": "Select all",
        "create_draft": "Create draft invoice",
        "create_drafts_heading": "Create draft invoices",
        "create_4": "Create drafts (4 rows)",
        "create_1": "Create drafts (1 row)",
        "draft_heading": "Draft invoice",
        "gross": "€4,320.00",
        "issue": "Issue",
        "question": "4 lines, net €3,600.00, total €4,320.00 — this gives it the next number, "
        "INV-00001, and cannot be undone.",
        "issue_as": "Issue as {number}",
        "issued": "{number} issued.",
        "credit_line": "Credit line 1",
        "reason": "Reason for the credit",
        "issue_credit": "Issue credit note",
        "credit_question": "1 of its 4 lines, net -€900.00",
        "issue_credit_as": "Issue credit note CN-00001",
        "credit_heading": "Credit note CN-00001",
        "credit_gross": "-€1,080.00",
        "invoiced": "Invoiced",
        "filter": "Filter",
        "registrations": "Registrations",
        "pdf": ["Invoice INV-00001", "Issue date", "Customer number", "Page 1 of 1", "4,320.00"],
    },
    "de": {
        "select_all": "Alle auswählen",
        "create_draft": "Rechnungsentwurf erstellen",
        "create_drafts_heading": "Rechnungsentwürfe erstellen",
        "create_4": "Entwürfe erstellen (4 Zeilen)",
        "create_1": "Entwürfe erstellen (1 Zeile)",
        "draft_heading": "Rechnungsentwurf",
        "gross": f"4.320,00{NBSP}€",
        "issue": "Ausstellen",
        "question": f"4 Positionen, netto 3.600,00{NBSP}€, gesamt 4.320,00{NBSP}€ – sie erhält "
        "die nächste Nummer, INV-00001, und das lässt sich nicht rückgängig machen.",
        "issue_as": "Als {number} ausstellen",
        "issued": "{number} ausgestellt.",
        "credit_line": "Position 1 gutschreiben",
        "reason": "Grund der Gutschrift",
        "issue_credit": "Gutschrift ausstellen",
        "credit_question": f"1 ihrer 4 Positionen, netto -900,00{NBSP}€",
        "issue_credit_as": "Gutschrift CN-00001 ausstellen",
        "credit_heading": "Gutschrift CN-00001",
        "credit_gross": f"-1.080,00{NBSP}€",
        "invoiced": "Berechnet",
        "filter": "Filtern",
        "registrations": "Anmeldungen",
        "pdf": [
            "Rechnung INV-00001",
            "Rechnungsdatum",
            "Kundennummer",
            "Seite 1 von 1",
            "4.320,00",
        ],
    },
}


def pdf_text(body: bytes) -> str:
    """The PDF's text as poppler reads it (what a person or an accounting import sees)."""
    done = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=body, capture_output=True, check=True
    )
    return done.stdout.decode()


@pytest.mark.parametrize("language", ["en-gb", "de"])
def test_invoice_issue_open_pdf_credit_a_line_and_invoice_it_again(
    page, screenshot, billing, language
):
    text = TEXT[language]
    Tenant.objects.filter(pk=billing["tenant"].pk).update(language=language)
    project = billing["project"]
    log_in(page, billing["world"].finance.username)
    page.goto(f"/alpha/projects/{project.pk}/registrations/")
    page.get_by_role("checkbox", name=text["select_all"]).check()
    page.get_by_role("button", name=text["create_draft"]).click()
    expect(page.get_by_role("heading", name=text["create_drafts_heading"])).to_be_visible()
    page.get_by_role("button", name=text["create_4"]).click()
    expect(page.get_by_role("heading", name=re.compile(text["draft_heading"]))).to_be_visible()
    expect(page.locator("[data-total=gross]")).to_have_text(text["gross"])

    page.get_by_role("button", name=text["issue"]).click()
    # Issue 17: it asks once, saying what will happen, and is confirmed by keyboard.
    question = page.locator("[data-question]")
    expect(question).to_contain_text(text["question"])
    screenshot(f"confirm-issue-{language}")
    page.get_by_role("button", name=text["issue_as"].format(number="INV-00001")).focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text(text["issued"].format(number="INV-00001"))).to_be_visible()
    pdf_link = page.get_by_role("link", name="PDF")
    pdf = page.request.get(pdf_link.get_attribute("href"))
    assert pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF")
    printed = " ".join(pdf_text(pdf.body()).split())
    for words in text["pdf"]:
        assert words in printed, (words, printed[:600])
    screenshot(f"invoice-issued-{language}")

    page.get_by_label(text["credit_line"]).check()
    page.get_by_label(text["reason"]).fill("Learner did not attend")
    page.get_by_role("button", name=text["issue_credit"]).click()
    expect(page.locator("[data-question]")).to_contain_text(text["credit_question"])
    page.get_by_role("button", name=text["issue_credit_as"]).click()
    expect(page.get_by_role("heading", name=re.compile(text["credit_heading"]))).to_be_visible()
    expect(page.locator("[data-total=gross]")).to_have_text(text["credit_gross"])
    screenshot(f"credit-note-{language}")

    page.goto(f"/alpha/projects/{project.pk}/registrations/")
    page.get_by_role("combobox", name=text["invoiced"]).select_option("false")
    page.get_by_role("button", name=text["filter"]).click()
    rows = page.locator(f"table[aria-label={text['registrations']}] tbody tr")
    expect(rows).to_have_count(1)
    rows.first.get_by_role("checkbox").check()
    page.get_by_role("button", name=text["create_draft"]).click()
    page.get_by_role("button", name=text["create_1"]).click()
    page.get_by_role("button", name=text["issue"]).click()
    page.get_by_role("button", name=text["issue_as"].format(number="INV-00002")).click()
    expect(page.get_by_text(text["issued"].format(number="INV-00002"))).to_be_visible()

    with activate(billing["tenant"]):
        numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == ["CN-00001", "INV-00001", "INV-00002"]

import io
import zipfile

import pytest
from weasyprint import HTML

from invoicing import services
from invoicing.models import Grouping, Invoice
from invoicing.pdf import SafeFetcher, invoice_html, render_invoice_pdf


def issue_all(act, billing, grouping=Grouping.ALL):
    drafts = act(
        services.drafts_create,
        project=billing["project"],
        registration_ids=[r.pk for r in billing["registrations"]],
        grouping=grouping,
    )
    return [act(services.invoice_issue, invoice=invoice) for invoice in drafts]


def test_the_pdf_is_stored_at_issue_and_served_unchanged(
    act, billing, client_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        (invoice,) = issue_all(act, billing)
    invoice.refresh_from_db()
    assert "INV-00001" in invoice.pdf.name and invoice.pdf.name.endswith(".pdf")
    client = client_for(billing["world"].viewer)
    first = b"".join(client.get(f"/alpha/invoices/{invoice.pk}/pdf/").streaming_content)
    billing["account"].name = "Renamed after issue"
    billing["account"].save()
    second = b"".join(client.get(f"/alpha/invoices/{invoice.pk}/pdf/").streaming_content)
    assert first.startswith(b"%PDF") and first == second


def test_a_draft_has_no_pdf(act, billing, client_for):
    (draft,) = act(
        services.drafts_create,
        project=billing["project"],
        registration_ids=[billing["registrations"][0].pk],
    )
    response = client_for(billing["world"].viewer).get(f"/alpha/invoices/{draft.pk}/pdf/")
    assert response.status_code == 404


HOSTILE = (
    '<img src="file:///etc/passwd"><link rel="attachment" href="file:///etc/hostname">'
    '<img src="http://127.0.0.1:9/x.png"><style>@import url(http://evil.example/a.css);'
    "</style>"
)


def test_html_in_notes_or_names_is_printed_as_text_and_fetches_nothing(act, billing):
    billing["account"].name = "Evil <img src='file:///etc/passwd'> Ltd"
    billing["account"].save()
    billing["project"].external_notes = HOSTILE
    billing["project"].save()
    (invoice,) = issue_all(act, billing)
    fetcher = SafeFetcher()
    pdf = render_invoice_pdf(Invoice.objects.get(pk=invoice.pk), fetcher=fetcher)
    assert pdf.startswith(b"%PDF")
    assert fetcher.refused == []  # escaped: there was no tag to fetch for


def test_the_fetcher_refuses_files_and_network_even_if_html_gets_through():
    fetcher = SafeFetcher()
    HTML(string=f"<p>x</p>{HOSTILE}", url_fetcher=fetcher, base_url=None).write_pdf()
    assert "file:///etc/passwd" in fetcher.refused
    assert any(url.startswith("http://") for url in fetcher.refused)


def test_data_uris_still_work():
    pixel = (
        "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42"
        "mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    )
    fetcher = SafeFetcher()
    HTML(string=f'<img src="{pixel}">', url_fetcher=fetcher, base_url=None).write_pdf()
    assert fetcher.refused == []


def test_several_pdfs_download_as_one_zip(act, billing, client_for):
    invoices = issue_all(act, billing, grouping=Grouping.EVENT)
    response = client_for(billing["world"].viewer).get(
        "/alpha/invoices/zip/", {"selected": [i.pk for i in invoices]}
    )
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    # Each invoice's PDF and its UBL e-invoice (issue 15).
    assert sorted(archive.namelist()) == [
        "INV-00001.pdf",
        "INV-00001.xml",
        "INV-00002.pdf",
        "INV-00002.xml",
    ]
    names = archive.namelist()
    assert all(archive.read(n).startswith(b"%PDF") for n in names if n.endswith(".pdf"))
    assert all(b"<Invoice" in archive.read(n)[:2000] for n in names if n.endswith(".xml"))


@pytest.mark.parametrize("role", ["staff", "viewer"])
def test_only_finance_and_admin_issue_credit_and_record_payments(act, billing, client_for, role):
    (draft,) = act(
        services.drafts_create,
        project=billing["project"],
        registration_ids=[billing["registrations"][0].pk],
    )
    response = client_for(billing["world"].user(role)).post(
        f"/alpha/invoices/{draft.pk}/", {"action": "issue"}
    )
    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.is_draft


PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8cfc0f01f0005010201a4e5f9170000000049454e44ae426082"
)


def test_the_tenants_logo_is_printed_from_the_settings_page(act, billing, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from invoicing.tasks import logo_data_uri

    client = client_for(billing["world"].admin)
    data = {
        "name": "Alpha Training",
        "base_currency": "EUR",
        "invoice_prefix": "INV-",
        "credit_note_prefix": "CN-",
        "payment_terms_days": "30",
        "default_tax_rate": "20",
    }
    refused = client.post(
        "/alpha/settings/",
        {**data, "logo": SimpleUploadedFile("logo.png", b"<svg onload=alert(1)>")},
    )
    assert refused.status_code == 422 and "PNG or JPEG" in refused.content.decode()
    saved = client.post("/alpha/settings/", {**data, "logo": SimpleUploadedFile("logo.png", PNG)})
    assert saved.status_code == 302
    billing["tenant"].refresh_from_db()
    uri = logo_data_uri(billing["tenant"])
    assert uri.startswith("data:image/png;base64,")
    (invoice,) = issue_all(act, billing)
    fetcher = SafeFetcher()
    assert render_invoice_pdf(invoice, logo_data_uri=uri, fetcher=fetcher).startswith(b"%PDF")
    assert fetcher.refused == []


def test_lines_show_their_tax_rate_only_when_the_invoice_has_several(act, billing):
    def issue(registrations, items=()):
        (draft,) = act(
            services.drafts_create,
            project=billing["project"],
            registration_ids=[r.pk for r in registrations],
            item_ids=[i.pk for i in items],
        )
        return act(services.invoice_issue, invoice=draft)

    single = invoice_html(issue(billing["registrations"][:2]))  # all at STD 20 %
    assert ">Tax</th>" not in single and '<td class="num">STD</td>' not in single
    assert "VAT STD 20 % on 1,800.00" in single
    mixed = invoice_html(issue(billing["registrations"][2:], items=[billing["item"]]))
    assert ">Tax</th>" in mixed
    assert '<td class="num">STD</td>' in mixed and '<td class="num">EXM</td>' in mixed


def test_rendering_leaves_the_garbage_collector_as_it_found_it(act, billing):
    import gc

    (invoice,) = issue_all(act, billing)
    before = gc.get_threshold()
    assert render_invoice_pdf(invoice).startswith(b"%PDF")
    with pytest.raises(AttributeError):
        render_invoice_pdf(invoice, lines=[object()])  # a broken line: the render fails
    assert gc.get_threshold() == before

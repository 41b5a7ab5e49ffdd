"""Responses (issue item 6): nothing private is cached, an export refuses a filter it cannot
apply, the bulk-run preview keeps the CSRF token out of its URL, and bidi controls in names and
notes are defused in PDFs and exports."""

import csv
import io
import re

import openpyxl
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import Client, RequestFactory

from accounts.platform import middleware
from accounts.platform.exporting import write_csv, write_xlsx
from invoicing import services
from invoicing.models import Grouping, Invoice
from invoicing.pdf import invoice_html
from tests.factories import AccountFactory, ProjectFactory

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE
# The embeddings, overrides and isolates: U+202A to U+202E and U+2066 to U+2069.
BIDI_CONTROLS = "".join(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]))
REPLACEMENT = "\ufffd"


def issue(act, billing, registrations, grouping=Grouping.ALL):
    drafts = act(
        services.drafts_create,
        project=billing["project"],
        registration_ids=[r.pk for r in registrations],
        grouping=grouping,
    )
    return [act(services.invoice_issue, invoice=draft) for draft in drafts]


def private(response) -> bool:
    directives = {part.strip() for part in response.get("Cache-Control", "").split(",")}
    return {"private", "no-store"} <= directives


# --- Cache-Control -------------------------------------------------------------------------


def test_pages_pdfs_and_exports_of_a_signed_in_user_are_private_and_not_stored(
    act, billing, client_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        (invoice,) = issue(act, billing, billing["registrations"][:1])
    client = client_for(billing["world"].admin)
    for url in (
        "/alpha/",
        "/alpha/invoices/",
        f"/alpha/invoices/{invoice.pk}/",
        f"/alpha/invoices/{invoice.pk}/pdf/",
        "/alpha/invoices/?export=csv",
        "/alpha/projects/?export=xlsx",
        "/alpha/exports/reconciliation.csv",
        "/alpha/reports/profitability/?format=csv",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert private(response), (url, response.get("Cache-Control"))


def test_a_tenant_url_is_private_even_before_sign_in(world_a):
    response = Client().get("/alpha/invoices/")
    assert response.status_code == 302
    assert private(response)


def test_static_files_and_anonymous_pages_outside_a_tenant_are_left_alone(world_a):
    private_cache = middleware.PrivateCacheMiddleware(lambda request: HttpResponse("body"))
    factory = RequestFactory()
    static = factory.get("/static/css/app.css")
    static.user = world_a.admin
    assert "Cache-Control" not in private_cache(static)
    public = factory.get("/login/")
    public.user = AnonymousUser()
    assert "Cache-Control" not in private_cache(public)
    signed_in = factory.get("/")
    signed_in.user = world_a.admin
    assert private(private_cache(signed_in))


def test_public_caching_is_overridden(world_a):
    def cached(request):
        response = HttpResponse("body")
        response["Cache-Control"] = "public, max-age=600"
        return response

    request = RequestFactory().get("/alpha/")
    request.user = world_a.admin
    response = middleware.PrivateCacheMiddleware(cached)(request)
    assert private(response) and "public" not in response["Cache-Control"]


# --- The reconciliation export refuses a filter it cannot apply -----------------------------


def test_the_reconciliation_export_refuses_a_foreign_or_malformed_filter(
    act, billing, client_for, world_b
):
    issue(act, billing, billing["registrations"][:1])
    foreign = ProjectFactory(account=AccountFactory(tenant=world_b.tenant))
    client = client_for(billing["world"].finance)
    for query, says in (
        ({"project": foreign.pk}, "Project"),
        ({"project": "not-a-number"}, "Project"),
        ({"issued_from": "garbage"}, "date"),
        ({"issue_date_after": "garbage"}, "Unknown filter issue_date_after"),
        ({"status": "no-such-status"}, "Status"),
    ):
        response = client.get("/alpha/exports/reconciliation.csv", query)
        assert response.status_code == 400, query
        assert response["Content-Type"].startswith("text/plain")
        body = response.content.decode()
        assert says in body and len(body) < 400, body
        assert "Content-Disposition" not in response
    own = client.get("/alpha/exports/reconciliation.csv", {"project": billing["project"].pk})
    assert own.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(own.streaming_content).decode())))
    assert rows and {row["project_code"] for row in rows} == {billing["project"].code}


def test_list_exports_refuse_a_malformed_filter_too(billing, client_for):
    client = client_for(billing["world"].finance)
    response = client.get("/alpha/invoices/", {"export": "csv", "issued_from": "garbage"})
    assert response.status_code == 400
    assert client.get("/alpha/invoices/", {"export": "csv", "sort": "number"}).status_code == 200
    registrations = f"/alpha/projects/{billing['project'].pk}/registrations/"
    for query in ({"status": "bogus"}, {"event": "999999"}, {"date_from": "31/31/2026"}):
        response = client.get(registrations, {"export": "csv", **query})
        assert response.status_code == 400, query
    assert client.get(registrations, {"export": "csv", "status": "delivered"}).status_code == 200


# --- The bulk-invoicing preview is a GET form without the CSRF token -----------------------


def test_the_bulk_run_preview_keeps_the_csrf_token_out_of_its_url(billing, client_for):
    client = client_for(billing["world"].finance)
    page = client.get("/alpha/invoices/runs/", {"grouping": "project"}).content.decode()
    forms = re.findall(r"<form\b[^>]*>.*?</form>", page, flags=re.S)
    preview = [form for form in forms if 'method="get"' in form]
    starts = [form for form in forms if 'method="post"' in form and 'name="key"' in form]
    assert preview and starts, "the preview and the form that starts the run"
    assert all("csrfmiddlewaretoken" not in form for form in preview)
    assert all("csrfmiddlewaretoken" in form for form in starts)


# --- Bidi controls are defused in exports and PDFs ------------------------------------------


def test_every_bidi_control_is_defused_in_csv_and_xlsx_cells():
    from accounts.platform.exporting import BIDI_CONTROLS as defused

    assert set(defused) == set(BIDI_CONTROLS)
    name = "Invoice for " + RLO + "gpj.exe"
    text = write_csv(["name"], [[name], [BIDI_CONTROLS + "=1+1"], [-540]])
    assert not set(BIDI_CONTROLS) & set(text)
    assert "Invoice for " + REPLACEMENT + "gpj.exe" in text and "\n-540" in text
    sheet = openpyxl.load_workbook(io.BytesIO(write_xlsx(["name"], [[name]]))).active
    assert sheet["A2"].value == "Invoice for " + REPLACEMENT + "gpj.exe"


def test_bidi_controls_in_names_are_defused_in_list_exports(billing, client_for):
    billing["account"].name = "Meridian " + RLO + "Health"
    billing["account"].save()
    body = client_for(billing["world"].staff).get("/alpha/accounts/?export=csv").content.decode()
    assert RLO not in body and "Meridian " + REPLACEMENT + "Health" in body


def test_bidi_controls_are_defused_in_the_reconciliation_copy_output(act, billing, client_for):
    billing["account"].name = "Evil" + RLO + "Co"
    billing["account"].save()
    billing["project"].tags = "\u2066tag\u2069"
    billing["project"].save()
    issue(act, billing, billing["registrations"][:1])
    response = client_for(billing["world"].finance).get("/alpha/exports/reconciliation.csv")
    body = b"".join(response.streaming_content).decode()
    assert not set(BIDI_CONTROLS) & set(body)
    row = next(csv.DictReader(io.StringIO(body)))
    assert row["account_name"] == "Evil" + REPLACEMENT + "Co"
    assert row["tags"] == REPLACEMENT + "tag" + REPLACEMENT


def test_bidi_controls_in_notes_and_names_are_defused_in_the_pdf(act, billing):
    billing["account"].name = "Meridian " + RLO + "Health"
    billing["account"].save()
    billing["project"].external_notes = "Pay to IBAN \u202dGB00 1234\u202c please"
    billing["project"].save()
    (invoice,) = issue(act, billing, billing["registrations"][:1])
    html = invoice_html(Invoice.objects.get(pk=invoice.pk))
    assert not set(BIDI_CONTROLS) & set(html)
    assert "Meridian " + REPLACEMENT + "Health" in html
    assert "IBAN " + REPLACEMENT + "GB00 1234" + REPLACEMENT in html

import csv
import io
from decimal import Decimal
from importlib import import_module

from accounts.models import Account
from accounts.platform.tenancy import activate
from invoicing import services
from invoicing.models import Grouping, Invoice
from projects.models import Project
from reporting.models import ExportBatch


def issue(act, billing, registrations, items=(), grouping=Grouping.ALL):
    drafts = act(
        services.drafts_create,
        project=billing["project"],
        registration_ids=[r.pk for r in registrations],
        item_ids=[i.pk for i in items],
        grouping=grouping,
    )
    return [act(services.invoice_issue, invoice=draft) for draft in drafts]


def download(client, slug="alpha", **query):
    response = client.get(f"/{slug}/exports/reconciliation.csv", query)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_each_invoices_rows_add_up_to_its_totals(act, billing, client_for):
    invoices = issue(
        act, billing, billing["registrations"], [billing["item"]], grouping=Grouping.PURCHASE_ORDER
    )
    note = act(
        services.invoice_credit,
        invoice=invoices[0],
        line_ids=[invoices[0].lines.first().pk],
        reason="No-show",
    )
    rows = download(client_for(billing["world"].finance))
    assert len(rows) == 5 + 1
    for invoice in [*invoices, note]:
        invoice.refresh_from_db()
        mine = [row for row in rows if row["invoice_number"] == invoice.number]
        assert mine, invoice.number
        for column, total in (
            ("net", invoice.net_total),
            ("tax", invoice.tax_total),
            ("gross", invoice.gross_total),
        ):
            assert sum(Decimal(row[column]) for row in mine) == total, (invoice, column)
    first = rows[0]
    assert first["account_name"] == "Meridian Health" and first["project_code"]
    assert first["currency"] == "EUR" and first["tax_code"] in {"STD", "EXM"}


def test_formula_like_text_is_neutralised_but_numbers_are_not(act, billing, client_for):
    billing["account"].name = '=HYPERLINK("http://evil")'
    billing["account"].save()
    billing["project"].tags = "@risk, +plus"
    billing["project"].save()
    (invoice,) = issue(act, billing, billing["registrations"][:1])
    note = act(services.invoice_credit, invoice=invoice, reason="-minus reason")
    rows = download(client_for(billing["world"].finance))
    assert all(row["account_name"].startswith("'=HYPERLINK") for row in rows)
    assert rows[0]["tags"] == "'@risk, +plus"
    credit_row = next(row for row in rows if row["invoice_number"] == note.number)
    assert credit_row["net"].startswith("-") and Decimal(credit_row["net"]) == -invoice.net_total
    assert credit_row["description"].startswith("Credit:")


def test_the_export_filters_like_the_invoice_list(act, billing, client_for):
    first, _second = issue(
        act, billing, billing["registrations"][:2], grouping=Grouping.REGISTRATION
    )
    act(
        services.payment_record,
        billing_account=billing["account"],
        amount=first.gross_total,
        currency=first.currency,
        invoices=[first],
    )
    rows = download(client_for(billing["world"].finance), status="paid")
    assert {row["invoice_number"] for row in rows} == {first.number}


def test_drafts_are_never_exported(act, billing, client_for):
    act(
        services.drafts_create,
        project=billing["project"],
        registration_ids=[billing["registrations"][0].pk],
    )
    assert download(client_for(billing["world"].finance)) == []


def test_another_tenants_invoices_never_appear(act, billing, client_for, world_b):
    issue(act, billing, billing["registrations"][:1])
    assert download(client_for(world_b.finance), slug="bravo") == []


def test_only_finance_and_admin_export(billing, client_for):
    for role in ("staff", "viewer"):
        client = client_for(billing["world"].user(role))
        assert client.get("/alpha/exports/reconciliation.csv").status_code == 403
        assert client.get("/alpha/exports/").status_code == 403


def test_batches_hold_what_was_not_exported_yet_and_download_the_same_bytes(
    act, billing, client_for
):
    client = client_for(billing["world"].finance)
    issue(act, billing, billing["registrations"][:2], grouping=Grouping.REGISTRATION)
    client.post("/alpha/exports/")
    nothing = client.post("/alpha/exports/", follow=True)
    assert "Nothing has been issued or paid since the last batch" in nothing.content.decode()
    issue(act, billing, billing["registrations"][2:3])
    client.post("/alpha/exports/")
    first, second = ExportBatch.objects.order_by("number")
    assert (first.number, first.invoice_count, second.number, second.invoice_count) == (1, 2, 2, 1)
    once = b"".join(client.get(f"/alpha/exports/batches/{first.pk}/").streaming_content)
    for invoice in Invoice.objects.filter(pk__in=first.entries.values("invoice")):
        act(
            services.payment_record,
            billing_account=invoice.billing_account,
            amount=invoice.gross_total,
            currency=invoice.currency,
            invoices=[invoice],
        )
    again = b"".join(client.get(f"/alpha/exports/batches/{first.pk}/").streaming_content)
    assert once == again and once.count(b"\n") == 3
    batch_two = b"".join(client.get(f"/alpha/exports/batches/{second.pk}/").streaming_content)
    assert b"INV-00003" in batch_two and b"INV-00001" not in batch_two


def test_rows_show_the_snapshot_taken_at_issue_not_the_live_rows(act, billing, client_for):
    account, project = billing["account"], billing["project"]
    (invoice,) = issue(act, billing, billing["registrations"][:1])
    note = act(services.invoice_credit, invoice=invoice, reason="Cancelled")
    code, number = project.code, account.number
    account.name = "Meridian Renamed"
    account.save()
    with activate(billing["tenant"]):
        Account.objects.filter(pk=account.pk).update(number=number + 100)
        Project.objects.filter(pk=project.pk).update(code="PR-RENAMED")
    rows = download(client_for(billing["world"].finance))
    assert {row["invoice_number"] for row in rows} == {invoice.number, note.number}
    for row in rows:
        assert (row["account_name"], row["account_number"], row["project_code"]) == (
            "Meridian Health",
            str(number),
            code,
        )


def test_the_migration_fills_the_snapshot_of_issued_invoices_only(billing):
    from django.apps import apps

    backfill = import_module("invoicing.migrations.0003_invoice_customer_snapshot").backfill
    tenant, project = billing["tenant"], billing["project"]
    fields = {"tenant": tenant, "project": project, "billing_account": billing["account"]}
    issued = Invoice.objects.create(
        **fields, currency="EUR", status="issued", number="INV-09999", sequence_number=9999
    )
    draft = Invoice.objects.create(**fields, currency="EUR")
    backfill(apps, None)
    with activate(tenant):
        issued.refresh_from_db()
        draft.refresh_from_db()
    assert (issued.customer_name, issued.customer_number, issued.project_code) == (
        "Meridian Health",
        billing["account"].number,
        project.code,
    )
    assert (draft.customer_name, draft.customer_number, draft.project_code) == ("", None, "")

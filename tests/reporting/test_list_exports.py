import csv
import io
from decimal import Decimal

import openpyxl
import pytest

from accounts.platform import permissions
from accounts.platform.exporting import write_csv
from accounts.platform.importing import neutralise
from accounts.platform.models import Role
from accounts.platform.permissions import ROLE_PERMISSIONS
from invoicing import services
from tests.factories import AccountFactory, ProjectFactory


def rows(response):
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_accounts_export_follows_the_list_filters_and_neutralises(world_a, client_for):
    AccountFactory(tenant=world_a.tenant, name="=cmd|' /C calc'!A0", kind="individual")
    AccountFactory(tenant=world_a.tenant, name="Plain Org")
    client = client_for(world_a.finance)
    exported = rows(client.get("/alpha/accounts/", {"kind": "individual", "export": "csv"}))
    assert [row["name"] for row in exported] == ["'=cmd|' /C calc'!A0"]
    xlsx = client.get("/alpha/accounts/", {"export": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.cell(1, 1).value == "number"


def test_projects_and_registrations_export(act, billing, client_for):
    client = client_for(billing["world"].finance)
    projects = rows(client.get("/alpha/projects/", {"export": "csv"}))
    assert [p["code"] for p in projects] == [billing["project"].code]
    registrations = rows(
        client.get(
            f"/alpha/projects/{billing['project'].pk}/registrations/",
            {"export": "csv", "status": "delivered"},
        )
    )
    assert len(registrations) == 4 and registrations[0]["status"] == "delivered"


def test_invoices_and_invoice_lines_export(act, billing, client_for):
    (draft,) = act(
        services.drafts_create,
        project=billing["project"],
        registration_ids=[r.pk for r in billing["registrations"]],
    )
    issued = act(services.invoice_issue, invoice=draft)
    client = client_for(billing["world"].finance)
    invoices = rows(client.get("/alpha/invoices/", {"export": "csv", "status": "issued"}))
    assert [i["number"] for i in invoices] == [issued.number]
    lines = rows(client.get(f"/alpha/invoices/{issued.pk}/", {"export": "csv"}))
    assert len(lines) == 4 and lines[0]["invoice"] == issued.number


@pytest.mark.parametrize("path", ["/alpha/accounts/", "/alpha/projects/", "/alpha/invoices/"])
def test_every_role_that_sees_money_downloads_the_lists(world_a, client_for, path):
    """The page and its download follow one permission (SEE_MONEY): staff and viewers, who may
    read the lists, may download them too."""
    ProjectFactory(account=AccountFactory(tenant=world_a.tenant))
    for role in ("admin", "finance", "staff", "viewer"):
        for file_format in ("csv", "xlsx"):
            response = client_for(world_a.user(role)).get(path, {"export": file_format})
            assert response.status_code == 200, (role, file_format)


def test_staff_and_viewer_download_the_invoice_list_csv(act, billing, client_for):
    (draft,) = act(
        services.drafts_create,
        project=billing["project"],
        registration_ids=[billing["registrations"][0].pk],
    )
    issued = act(services.invoice_issue, invoice=draft)
    for role in ("staff", "viewer"):
        client = client_for(billing["world"].user(role))
        exported = rows(client.get("/alpha/invoices/", {"export": "csv"}))
        assert [row["number"] for row in exported] == [issued.number], role
        lines = rows(client.get(f"/alpha/invoices/{issued.pk}/", {"export": "csv"}))
        assert len(lines) == 1, role


def test_a_role_without_see_money_loses_the_invoice_list_and_every_download(
    world_a, client_for, monkeypatch
):
    monkeypatch.setitem(ROLE_PERMISSIONS, Role.VIEWER, frozenset({permissions.VIEW}))
    project = ProjectFactory(account=AccountFactory(tenant=world_a.tenant))
    client = client_for(world_a.viewer)
    assert client.get("/alpha/invoices/").status_code == 403
    for path in ("/alpha/accounts/", "/alpha/projects/", "/alpha/invoices/"):
        assert client.get(path, {"export": "csv"}).status_code == 403, path
    registrations = f"/alpha/projects/{project.pk}/registrations/"
    assert client.get(registrations, {"export": "xlsx"}).status_code == 403
    assert client.get("/alpha/accounts/").status_code == 200  # the page itself shows no money
    assert client.get(registrations).status_code == 200


def issue_with_credit_note(act, billing):
    """An invoice of four places at 900 and a credit note of one of them: 3,600 and -900."""
    (draft,) = act(
        services.drafts_create,
        project=billing["project"],
        registration_ids=[r.pk for r in billing["registrations"]],
    )
    invoice = act(services.invoice_issue, invoice=draft)
    note = act(
        services.invoice_credit,
        invoice=invoice,
        line_ids=[invoice.lines.first().pk],
        reason="No-show",
    )
    return invoice, note


def test_the_invoice_list_csv_keeps_credit_notes_as_plain_negative_numbers(
    act, billing, client_for
):
    billing["project"].tags = "-urgent"
    billing["project"].save()
    invoice, note = issue_with_credit_note(act, billing)
    client = client_for(billing["world"].finance)
    exported = rows(client.get("/alpha/invoices/", {"export": "csv"}))
    by_number = {row["number"]: row for row in exported}
    assert by_number[note.number]["net_total"] == "-900.00"
    assert by_number[invoice.number]["net_total"] == "3600.00"
    assert sum(Decimal(row["net_total"]) for row in exported) == Decimal("2700")
    assert sum(Decimal(row["gross_total"]) for row in exported) == (
        invoice.gross_total + note.gross_total
    )
    assert by_number[note.number]["tags"] == "'-urgent"  # text is still neutralised
    lines = rows(client.get(f"/alpha/invoices/{note.pk}/", {"export": "csv"}))
    assert [(line["quantity"], line["unit_price"], line["net"]) for line in lines] == [
        ("1.00", "-1000.00", "-900.00")
    ]


def test_the_invoice_list_xlsx_has_numeric_amount_cells_and_neutralised_text(
    act, billing, client_for
):
    billing["project"].tags = '=HYPERLINK("http://evil")'
    billing["project"].save()
    _invoice, note = issue_with_credit_note(act, billing)
    client = client_for(billing["world"].viewer)
    xlsx = client.get("/alpha/invoices/", {"export": "xlsx"})
    assert xlsx.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    header = [cell.value for cell in sheet[1]]
    body = list(sheet.iter_rows(min_row=2))
    assert len(body) == 2
    for column in ("net_total", "tax_total", "gross_total", "exchange_rate"):
        cells = [row[header.index(column)] for row in body]
        assert all(cell.data_type == "n" for cell in cells), column
        assert all(cell.number_format.startswith("0.00") for cell in cells), column
    net = [row[header.index("net_total")].value for row in body]
    assert sorted(net) == [-900, 3600] and sum(net) == 2700
    tags = [row[header.index("tags")] for row in body]
    assert all(cell.data_type == "s" and cell.value.startswith("'=HYPERLINK") for cell in tags)
    lines = client.get(f"/alpha/invoices/{note.pk}/", {"export": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(lines.content)).active
    header = [cell.value for cell in sheet[1]]
    (line,) = sheet.iter_rows(min_row=2)
    for column in ("quantity", "unit_price", "discount_percent", "net", "tax_percent"):
        assert line[header.index(column)].data_type == "n", column
    assert line[header.index("net")].value == -900


def test_a_formula_guard_never_touches_a_number():
    assert neutralise(Decimal("-540.000")) == Decimal("-540.000")
    assert neutralise(-3) == -3
    assert neutralise("-cmd") == "'-cmd" and neutralise("=1+1") == "'=1+1"
    assert write_csv(["a", "b"], [[Decimal("-540.000"), "@SUM(A1)"], [Decimal("0E-8"), None]]) == (
        "a,b\r\n-540.00,'@SUM(A1)\r\n0.00,\r\n"
    )


def test_another_tenants_rows_never_appear_in_an_export(world_a, world_b, client_for):
    AccountFactory(tenant=world_a.tenant, name="Alpha Only")
    exported = rows(client_for(world_b.finance).get("/bravo/accounts/", {"export": "csv"}))
    assert "Alpha Only" not in [row["name"] for row in exported]


def test_a_list_export_reads_its_rows_in_one_query_whatever_their_number(world_a, client_for):
    """Each column's source is read in the one query of the rows (parent, billing account and
    region names included), so a download of 40 rows costs what one of 4 does."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    parent = AccountFactory(tenant=world_a.tenant, name="Parent Group")
    client = client_for(world_a.finance)

    def queries(path):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path, {"export": "csv"}).status_code == 200
        return len(captured)

    for _ in range(3):
        AccountFactory(tenant=world_a.tenant, parent=parent, billing_account=parent)
        ProjectFactory(account=parent)
    few = (queries("/alpha/accounts/"), queries("/alpha/projects/"))
    for _ in range(36):
        AccountFactory(tenant=world_a.tenant, parent=parent, billing_account=parent)
        ProjectFactory(account=parent)
    assert (queries("/alpha/accounts/"), queries("/alpha/projects/")) == few
    exported = rows(client.get("/alpha/accounts/", {"export": "csv"}))
    assert len(exported) == 40
    assert sum(row["billing_account"] == "Parent Group" for row in exported) == 39


@pytest.mark.parametrize("path", ["/alpha/accounts/", "/alpha/projects/", "/alpha/invoices/"])
def test_every_exportable_list_offers_its_download_buttons(world_a, client_for, path):
    body = client_for(world_a.finance).get(path).content.decode()
    assert "export=csv" in body and "export=xlsx" in body

import csv
import io

import openpyxl
import pytest

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
def test_only_finance_and_admin_export_lists(world_a, client_for, path):
    ProjectFactory(account=AccountFactory(tenant=world_a.tenant))
    assert client_for(world_a.staff).get(path, {"export": "csv"}).status_code == 403
    assert client_for(world_a.admin).get(path, {"export": "csv"}).status_code == 200


def test_another_tenants_rows_never_appear_in_an_export(world_a, world_b, client_for):
    AccountFactory(tenant=world_a.tenant, name="Alpha Only")
    exported = rows(client_for(world_b.finance).get("/bravo/accounts/", {"export": "csv"}))
    assert "Alpha Only" not in [row["name"] for row in exported]

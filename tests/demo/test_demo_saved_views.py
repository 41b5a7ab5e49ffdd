"""The demo's staff member finds saved views in the projects and accounts lists (issue 17)."""

from io import StringIO

from django.core.management import call_command

from accounts.platform.models import SavedView, Tenant
from accounts.platform.tenancy import activate


def test_the_demo_staff_member_has_saved_views_that_open(db, client):
    call_command("seed_demo", stdout=StringIO())
    tenant = Tenant.objects.get(slug="northwind")
    with activate(tenant):
        views = list(SavedView.objects.select_related("user").order_by("name"))
    assert [view.name for view in views] == ["Active organisations", "Active projects, money first"]
    staff = views[0].user
    assert staff.username == "sam.staff@northwind.example"
    client.force_login(staff)
    menu = client.get(
        "/northwind/views/", {"list": "projects:project-list", "path": "/northwind/projects/"}
    )
    assert "Active projects, money first" in menu.content.decode()
    page = client.get(
        "/northwind/projects/?status=active&sort=-ordered_value&columns=code&columns=name"
    )
    assert [column.name for column in page.context["table"].columns] == ["code", "name"]
    assert all(row.record.status == "active" for row in page.context["table"].page.object_list)

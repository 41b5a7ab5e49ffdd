"""The demo shows a phased programme (issue 13): phases billed by milestone and row by row, a
milestone invoiced, one ready to invoice, one waiting for its course; the phases tab shows it."""

from io import StringIO

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts.platform.models import Tenant
from accounts.platform.tenancy import activate


def test_the_demo_has_a_phased_programme_with_milestones(db):
    from demo.programmes import programme_project
    from invoicing.models import InvoiceLine
    from projects.billing import invoiceable_items, row_problem
    from projects.models import Item, Phase
    from reporting.phases import phase_figures

    call_command("seed_demo", stdout=StringIO())
    tenant = Tenant.objects.get(slug="northwind")
    with activate(tenant):
        project = programme_project()
        phases = list(Phase.objects.filter(project=project).order_by("start_date"))
        names = [phase.name for phase in phases]
        assert names == ["Discovery", "Design", "Roll-out", "Evaluation"]
        invoiced = InvoiceLine.objects.get(item__milestone__phase=phases[0])
        assert invoiced.invoice.status == "issued"
        assert invoiced.description.startswith("Milestone 1 of phase Discovery")
        ready = Item.objects.filter(invoiceable_items(), project=project)
        assert [item.milestone.name for item in ready] == ["Kick-off"]
        sign_off = Item.objects.get(milestone__name="Design sign-off")
        assert "due once the phase's events are delivered" in row_problem(sign_off, project)
        rows = phase_figures(project)["phase_rows"]
        assert rows[0].invoiced == rows[0].planned == phases[0].budget
        assert rows[2].planned > 0  # the roll-out's rows, priced
    client = Client()
    client.force_login(get_user_model().objects.get(email="sam.staff@northwind.example"))
    page = client.get(
        reverse(
            "projects:project-tab",
            kwargs={"tenant_slug": "northwind", "pk": project.pk, "tab": "phases"},
        )
    ).content.decode()
    assert "Discovery report" in page and "<svg" in page
    assert "waiting: the phase has no events yet" in page  # Evaluation's report
    timeline = page[page.index("<svg") :]
    assert timeline.index("Not in a phase") < timeline.index("Programme launch briefing")
    assert f"projects/{project.pk}/phases/{phases[3].pk}/delete/" in page

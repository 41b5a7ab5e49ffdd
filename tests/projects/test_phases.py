"""Phases, milestones, the phases tab (figures and timeline), and copying a project's plan
(issue 13, parts 1 and 4)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts.platform.tenancy import activate
from invoicing import services as invoicing
from projects import services
from projects.billing import project_problem
from projects.models import (
    EventStatus,
    Item,
    Milestone,
    MilestoneDue,
    Phase,
    PrivateEvent,
    Project,
)
from tests.factories import ProductFactory
from tests.projects.test_project_pages import queries, url


@pytest.fixture
def project(deal):
    """A project on the deal's booking with one event (2 to 3 Mar 2026)."""
    with activate(deal["tenant"]):
        project = services.project_save(
            tenant=deal["tenant"],
            by=None,
            project=Project(
                name="Leadership",
                account=deal["account"],
                booking=deal["booking"],
                start_date=datetime.date(2026, 1, 1),
                end_date=datetime.date(2026, 12, 31),
            ),
        )
        services.event_save(
            tenant=deal["tenant"],
            by=None,
            event=PrivateEvent(
                project=project,
                product=deal["course"],
                title="First-time manager",
                start_date=datetime.date(2026, 3, 2),
                end_date=datetime.date(2026, 3, 3),
            ),
        )
    return project


@pytest.fixture
def plan(deal, project):
    """Phase "Design" (budget 10,000) with the project's event, an item and two milestones."""
    tenant = deal["tenant"]
    with activate(tenant):
        phase = services.phase_save(
            tenant=tenant,
            by=None,
            phase=Phase(
                project=project,
                name="Design",
                start_date=datetime.date(2026, 3, 1),
                end_date=datetime.date(2026, 4, 30),
                budget=Decimal("10000"),
            ),
        )
        PrivateEvent.objects.filter(project=project).update(phase=phase)
        management = ProductFactory(tenant=tenant, code="PM", name="Programme management")
        services.item_add(
            tenant=tenant,
            by=None,
            project=project,
            product=management,
            date=datetime.date(2026, 3, 10),
            quantity=2,
            phase=phase,
            confirm=True,
        )
        for fields in (
            {"name": "Kick-off", "amount": Decimal("1500"), "due_date": datetime.date(2026, 3, 1)},
            {"name": "Sign-off", "percent": Decimal("40"), "due": MilestoneDue.EVENTS_DELIVERED},
        ):
            services.milestone_save(
                tenant=tenant,
                by=None,
                milestone=Milestone(phase=phase, product=management, **fields),
            )
    return {"phase": phase, "product": management}


def test_staff_add_a_phase_and_a_milestone_through_the_forms(world_a, deal, project, client_for):
    client = client_for(world_a.staff)
    response = client.post(
        url("projects:phase-create", project_pk=project.pk),
        {"name": "Pilot", "start_date": "2026-02-01", "end_date": "2026-01-01", "budget": "5000"},
    )
    assert response.status_code == 422
    assert "The phase cannot end before it starts." in response.content.decode()
    response = client.post(
        url("projects:phase-create", project_pk=project.pk),
        {"name": "Pilot", "start_date": "2026-02-01", "end_date": "2026-02-28", "budget": "5000"},
    )
    assert response.status_code == 302
    with activate(deal["tenant"]):
        phase = Phase.objects.get(project=project)
    product = ProductFactory(tenant=deal["tenant"], code="PM")
    milestone_url = url("projects:milestone-create", project_pk=project.pk, phase_pk=phase.pk)
    response = client.post(
        milestone_url, {"name": "Go-live", "due": "date", "due_date": "", "product": product.pk}
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "Give either an amount or a percentage of the phase budget." in page
    response = client.post(
        milestone_url,
        {
            "name": "Go-live",
            "percent": "25",
            "due": "date",
            "due_date": "2026-02-28",
            "product": product.pk,
        },
    )
    assert response.status_code == 302
    with activate(deal["tenant"]):
        item = Item.objects.get(milestone__phase=phase)
    assert item.net_amount == Decimal("1250.00")


def test_a_viewer_cannot_add_a_phase(world_a, project, client_for):
    response = client_for(world_a.viewer).get(url("projects:phase-create", project_pk=project.pk))
    assert response.status_code == 403


def test_the_phases_tab_shows_planned_delivered_invoiced_and_remaining(
    world_a,
    deal,
    project,
    plan,
    client_for,
):
    tenant = deal["tenant"]
    with activate(tenant):
        kick_off = Item.objects.get(milestone__number=1)
        (draft,) = invoicing.drafts_create(
            tenant=tenant, by=world_a.finance, project=project, item_ids=[kick_off.pk]
        )
        invoicing.invoice_issue(tenant=tenant, by=world_a.finance, invoice=draft)
    page = (
        client_for(world_a.viewer)
        .get(url("projects:project-tab", pk=project.pk, tab="phases"))
        .content.decode()
    )
    assert "Design" in page
    assert 'data-figure="planned">€10,000.00' in page
    assert 'data-figure="invoiced">€1,500.00' in page
    assert 'data-figure="remaining">€8,500.00' in page
    assert "M1 Kick-off" in page and "M2 Sign-off" in page
    assert "on an invoice" in page and "not due yet" in page  # M2 waits for the events
    assert "<svg" in page and 'data-kind="milestone"' in page and 'data-kind="phase"' in page


def test_the_phases_tab_runs_the_same_queries_for_one_or_many_phases(
    world_a,
    deal,
    project,
    plan,
    client_for,
):
    client = client_for(world_a.viewer)
    path = url("projects:project-tab", pk=project.pk, tab="phases")
    few = queries(client, path)
    with activate(deal["tenant"]):
        for n in range(4):
            phase = services.phase_save(
                tenant=deal["tenant"],
                by=None,
                phase=Phase(
                    project=project,
                    name=f"Wave {n}",
                    start_date=datetime.date(2026, 5, 1),
                    end_date=datetime.date(2026, 6, 30),
                    budget=Decimal("100"),
                ),
            )
            services.milestone_save(
                tenant=deal["tenant"],
                by=None,
                milestone=Milestone(
                    phase=phase,
                    name="End",
                    percent=Decimal("100"),
                    due_date=datetime.date(2026, 6, 30),
                    product=plan["product"],
                ),
            )
            PrivateEvent.objects.create(
                tenant=deal["tenant"],
                project=project,
                product=deal["course"],
                title=f"Wave {n} course",
                start_date=datetime.date(2026, 5, 4),
                end_date=datetime.date(2026, 5, 5),
                phase=phase,
            )
    assert queries(client, path) == few


def test_a_copy_with_its_plan_moves_every_date_to_the_new_start(deal, project, plan):
    tenant = deal["tenant"]
    with activate(tenant):
        copy = services.project_copy(
            tenant=tenant,
            by=None,
            source=project,
            name="Leadership 2027",
            start_date=datetime.date(2027, 1, 1),
            with_plan=True,
        )
        assert (copy.start_date, copy.end_date) == (
            datetime.date(2027, 1, 1),
            datetime.date(2027, 12, 31),
        )
        phase = Phase.objects.get(project=copy)
        assert (phase.name, phase.start_date, phase.budget) == (
            "Design",
            datetime.date(2027, 3, 1),
            Decimal("10000.00"),
        )
        (event,) = PrivateEvent.objects.filter(project=copy)
        assert (event.start_date, event.phase, event.status) == (
            datetime.date(2027, 3, 2),
            phase,
            EventStatus.PLANNED,
        )
        assert Item.objects.get(project=copy, milestone=None).date == datetime.date(2027, 3, 10)
        milestones = Milestone.objects.filter(phase=phase).order_by("number")
        assert [(m.number, m.name, m.due_date) for m in milestones] == [
            (1, "Kick-off", datetime.date(2027, 3, 1)),
            (2, "Sign-off", None),
        ]
        assert Item.objects.filter(project=copy, milestone__isnull=False).count() == 2
        # The source is untouched.
        assert Item.objects.filter(project=project).count() == 3


def test_a_template_is_never_invoiced_and_new_projects_are_made_from_it(
    world_a,
    deal,
    project,
    plan,
    client_for,
):
    client = client_for(world_a.staff)
    response = client.post(
        url("projects:project-copy", pk=project.pk),
        {"name": "Leadership template", "as_template": "on"},
    )
    assert response.status_code == 302
    with activate(deal["tenant"]):
        template = Project.objects.get(name="Leadership template")
        assert template.is_template
        assert project_problem(template) == "the project is a template"
        assert Milestone.objects.filter(phase__project=template).count() == 2
    response = client.post(
        url("projects:project-copy", pk=template.pk),
        {"name": "Leadership Leeds", "start_date": "2027-02-01", "with_plan": "on"},
    )
    assert response.status_code == 302
    with activate(deal["tenant"]):
        made = Project.objects.get(name="Leadership Leeds")
        assert not made.is_template and made.start_date == datetime.date(2027, 2, 1)
        assert PrivateEvent.objects.filter(project=made).count() == 1
    page = client.get(url("projects:project-detail", pk=template.pk)).content.decode()
    assert "Template" in page


def test_copy_lines_from_another_project_into_an_open_one(
    world_a,
    deal,
    project,
    plan,
    client_for,
):
    tenant = deal["tenant"]
    with activate(tenant):
        target = services.project_save(
            tenant=tenant,
            by=None,
            project=Project(
                name="Leadership North",
                account=deal["account"],
                booking=deal["booking"],
                start_date=datetime.date(2026, 7, 1),
                end_date=datetime.date(2026, 12, 31),
            ),
        )
    client = client_for(world_a.staff)
    copy_url = url("projects:copy-lines", project_pk=target.pk)
    response = client.post(copy_url, {"source": "PR-9999"})
    assert response.status_code == 422
    assert "No project has the code PR-9999." in response.content.decode()
    response = client.post(copy_url, {"source": project.code.lower()})
    assert response.status_code == 302
    with activate(tenant):
        phase = Phase.objects.get(project=target)
        shift = datetime.date(2026, 7, 1) - datetime.date(2026, 1, 1)  # the target's start
        assert phase.start_date == datetime.date(2026, 3, 1) + shift
        assert PrivateEvent.objects.get(project=target).start_date == (
            datetime.date(2026, 3, 2) + shift
        )
        assert Milestone.objects.filter(phase=phase).count() == 2
    messages = client.get(url("projects:project-tab", pk=target.pk, tab="phases"))
    assert "1 phases, 1 events, 1 items, 2 milestones" in messages.content.decode()


def test_copy_lines_refuses_a_project_in_another_currency(deal, project, plan):
    tenant = deal["tenant"]
    with activate(tenant):
        other = Project.objects.create(
            tenant=tenant,
            code="PR-2",
            name="Dollar project",
            account=deal["account"],
            billing_account=deal["account"],
            start_date=datetime.date(2026, 1, 1),
            end_date=datetime.date(2026, 12, 31),
            currency="USD",
        )
        with pytest.raises(ValidationError, match="priced in EUR and this project in USD"):
            services.project_copy_lines(tenant=tenant, by=None, target=other, source=project)
        assert Phase.objects.filter(project=other).count() == 0


# --- Removing phases and milestones; what the tab says -----------------------------------------


def test_staff_remove_a_milestone_after_confirming_once(world_a, deal, project, plan, client_for):
    client = client_for(world_a.staff)
    with activate(deal["tenant"]):
        sign_off = Milestone.objects.get(phase=plan["phase"], number=2)
    remove = url(
        "projects:milestone-delete",
        project_pk=project.pk,
        phase_pk=plan["phase"].pk,
        pk=sign_off.pk,
    )
    tab = client.get(url("projects:project-tab", pk=project.pk, tab="phases")).content.decode()
    assert f'action="{remove}"' in tab
    question = client.post(remove)
    assert question.status_code == 200
    assert "Remove milestone M2 Sign-off of phase Design?" in question.content.decode()
    with activate(deal["tenant"]):
        assert Milestone.objects.filter(pk=sign_off.pk).count() == 1  # asked, nothing done
    response = client.post(remove, {"confirmed": "1"}, follow=True)
    assert "Milestone M2 Sign-off removed." in response.content.decode()
    with activate(deal["tenant"]):
        assert Milestone.objects.filter(phase=plan["phase"]).count() == 1
        assert Item.objects.filter(milestone__isnull=False).count() == 1


def test_an_invoiced_milestone_is_not_removed_and_the_tab_says_why(
    world_a, deal, project, plan, client_for
):
    tenant = deal["tenant"]
    with activate(tenant):
        kick_off = Milestone.objects.get(phase=plan["phase"], number=1)
        invoicing.drafts_create(
            tenant=tenant, by=world_a.finance, project=project, item_ids=[kick_off.item.pk]
        )
    client = client_for(world_a.staff)
    remove = url(
        "projects:milestone-delete",
        project_pk=project.pk,
        phase_pk=plan["phase"].pk,
        pk=kick_off.pk,
    )
    page = client.post(remove, {"confirmed": "1"}, follow=True).content.decode()
    assert "M1 Kick-off is on an invoice: credit that invoice" in page
    remove_phase = url("projects:phase-delete", project_pk=project.pk, pk=plan["phase"].pk)
    page = client.post(remove_phase, {"confirmed": "1"}, follow=True).content.decode()
    assert "M1 Kick-off is on an invoice: credit that invoice" in page
    with activate(tenant):
        assert Milestone.objects.filter(pk=kick_off.pk).count() == 1
        assert Phase.objects.filter(pk=plan["phase"].pk).count() == 1


def test_staff_remove_a_phase_its_events_stay_under_not_in_a_phase(
    world_a, deal, project, plan, client_for
):
    client = client_for(world_a.staff)
    remove = url("projects:phase-delete", project_pk=project.pk, pk=plan["phase"].pk)
    question = client.post(remove)
    assert question.status_code == 200
    assert "Remove phase Design and its 2 milestones" in question.content.decode()
    response = client.post(remove, {"confirmed": "1"}, follow=True)
    assert "Phase Design removed." in response.content.decode()
    with activate(deal["tenant"]):
        assert Phase.objects.filter(project=project).count() == 0
        assert PrivateEvent.objects.get(project=project).phase_id is None
        assert Item.objects.get(project=project).phase_id is None  # the management item


def test_only_staff_of_the_tenant_remove_phases_and_milestones(
    world_a, world_b, deal, project, plan, client_for
):
    with activate(deal["tenant"]):
        kick_off = Milestone.objects.get(phase=plan["phase"], number=1)
    paths = [
        url("projects:phase-delete", project_pk=project.pk, pk=plan["phase"].pk),
        url(
            "projects:milestone-delete",
            project_pk=project.pk,
            phase_pk=plan["phase"].pk,
            pk=kick_off.pk,
        ),
    ]
    for path in paths:
        assert client_for(world_a.viewer).post(path, {"confirmed": "1"}).status_code == 403
        # Bravo's admin, in Bravo, naming Alpha's rows.
        foreign = path.replace("/alpha/", "/bravo/")
        assert foreign != path
        assert client_for(world_b.admin).post(foreign, {"confirmed": "1"}).status_code == 404
    with activate(deal["tenant"]):
        assert Milestone.objects.filter(phase=plan["phase"]).count() == 2


def test_the_tab_says_a_milestone_waits_for_events_and_heads_the_events_in_no_phase(
    world_a, deal, project, client_for
):
    tenant = deal["tenant"]
    with activate(tenant):
        phase = services.phase_save(
            tenant=tenant,
            by=None,
            phase=Phase(
                project=project,
                name="Follow-up",
                start_date=datetime.date(2026, 6, 1),
                end_date=datetime.date(2026, 6, 30),
            ),
        )
        services.milestone_save(
            tenant=tenant,
            by=None,
            milestone=Milestone(
                phase=phase,
                name="Closed",
                amount=Decimal("500"),
                due=MilestoneDue.EVENTS_DELIVERED,
                product=ProductFactory(tenant=tenant),
            ),
        )
    page = (
        client_for(world_a.viewer)
        .get(url("projects:project-tab", pk=project.pk, tab="phases"))
        .content.decode()
    )
    assert "waiting: the phase has no events yet" in page
    assert "0 of 0" not in page
    timeline = page[page.index("<svg") :]
    # The project's event is in no phase: it comes under a heading of its own, after the phase.
    assert timeline.index("Follow-up") < timeline.index("Not in a phase")
    assert timeline.index("Not in a phase") < timeline.index("First-time manager")


def test_a_phase_outside_the_projects_dates_is_refused_on_the_field(world_a, project, client_for):
    response = client_for(world_a.staff).post(
        url("projects:phase-create", project_pk=project.pk),
        {"name": "Late", "start_date": "2026-12-01", "end_date": "2027-01-31"},
    )
    assert response.status_code == 422
    assert "Phase Late cannot end after the project does (31 Dec 2026)" in (
        response.content.decode()
    )


def test_the_admin_shows_a_phase_with_its_milestones_and_their_items(
    world_a, deal, plan, client_for
):
    from django.urls import reverse

    client = client_for(world_a.admin)
    assert client.get("/alpha/settings/admin/").status_code == 302  # opens the admin
    with activate(deal["tenant"]):
        item = Item.objects.get(milestone__phase=plan["phase"], milestone__number=1)
    page = client.get(reverse("admin:projects_phase_change", args=[plan["phase"].pk]))
    assert page.status_code == 200
    assert reverse("admin:projects_item_change", args=[item.pk]) in page.content.decode()
    listing = client.get(reverse("admin:projects_phase_changelist")).content.decode()
    assert "Design" in listing

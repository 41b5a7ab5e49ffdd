"""Project classes as a report dimension and a list filter; reports leave finished projects out
unless asked (issue 13, part 6)."""

from django.urls import reverse

from accounts.platform.tenancy import activate
from projects.models import Project, ProjectClass
from reporting.custom import Definition, run


def _classify(tenant):
    with activate(tenant):
        academy = ProjectClass.objects.create(tenant=tenant, name="Academy")
        Project.objects.filter(code="PR-EUR").update(project_class=academy)
    return academy


def test_the_class_is_a_dimension_of_custom_reports_and_profitability(books, world_a, client_for):
    academy = _classify(books)
    with activate(books):
        result = run(Definition(dimensions=["project_class"], measures=["places"]))
        only = run(
            Definition(dimensions=["project"], measures=["places"], project_class=academy.pk)
        )
    assert sorted(labels[0] for labels, _currency, _cell in result.rows) == [
        "Academy",
        "No class",
    ]
    assert [labels[0].split()[0] for labels, _c, _cell in only.rows] == ["PR-EUR"]
    page = client_for(world_a.finance).get(
        reverse("reporting:profitability", kwargs={"tenant_slug": "alpha"}),
        {"group": "project_class"},
    )
    body = page.content.decode()
    assert "Academy" in body and "No class" in body


def test_reports_leave_finished_projects_out_unless_asked(books, world_a, client_for):
    with activate(books):
        Project.objects.filter(code="PR-GBP").update(status="finished")
        default = run(Definition(dimensions=["project"], measures=["places"]))
        asked = run(Definition(dimensions=["project"], measures=["places"], include_finished=True))
    assert [labels[0].split()[0] for labels, _c, _cell in default.rows] == ["PR-EUR"]
    assert sorted(labels[0].split()[0] for labels, _c, _cell in asked.rows) == [
        "PR-EUR",
        "PR-GBP",
    ]
    url = reverse("reporting:profitability", kwargs={"tenant_slug": "alpha"})
    client = client_for(world_a.finance)
    assert "PR-GBP" not in client.get(url).content.decode()
    assert "PR-GBP" in client.get(url, {"finished": "1"}).content.decode()


def test_the_project_list_filters_by_class_and_tag(books, world_a, client_for):
    _classify(books)
    with activate(books):
        Project.objects.filter(code="PR-GBP").update(tags="aviation, uk")
        academy = ProjectClass.objects.get(name="Academy")
    url = reverse("projects:project-list", kwargs={"tenant_slug": "alpha"})
    client = client_for(world_a.staff)
    by_class = client.get(url, {"project_class": academy.pk}).content.decode()
    assert "PR-EUR" in by_class and "PR-GBP" not in by_class
    by_tag = client.get(url, {"tag": "aviation"}).content.decode()
    assert "PR-GBP" in by_tag and "PR-EUR" not in by_tag


def test_pick_lists_offer_active_projects_and_retired_classes_are_not_offered(
    books, world_a, client_for
):
    academy = _classify(books)
    with activate(books):
        Project.objects.filter(code="PR-GBP").update(status="no_more_transactions")
        ProjectClass.objects.create(tenant=books, name="Retired", is_active=False)
    client = client_for(world_a.staff)
    options = reverse("projects:project-options", kwargs={"tenant_slug": "alpha"})
    body = client.get(options, {"q": "PR-"}).content.decode()
    assert "PR-EUR" in body and "PR-GBP" not in body
    assert "PR-GBP" in client.get(options, {"q": "PR-", "all": "1"}).content.decode()
    form = client.get(reverse("projects:project-create", kwargs={"tenant_slug": "alpha"}))
    page = form.content.decode()
    assert academy.name in page and "Retired" not in page
    assert "PR-GBP" not in page.split('name="parent"')[1].split("</select>")[0]

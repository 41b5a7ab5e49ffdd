"""Sharing (issue 13, part 5): a project is seen by the whole company, or only by its manager,
the members and the groups it is shared with; admins and finance see every project. A member it
is not shared with gets 404 from every URL of the project and of its rows and invoices, exactly
as another company's user does (tests/accounts/test_isolation.py), and never finds it in a list,
the search, the calendar, a pick list or a report."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.platform.models import AuditEntry, MemberGroup, MemberGroupMember, Membership
from accounts.platform.tenancy import activate
from projects import services
from projects.access import visible_projects
from projects.models import Project, Visibility
from tests.factories import ProjectFactory
from tests.urls import POST_ONLY, READ_ONLY, project_urls, tenant_rows


def _membership(world, role):
    with activate(world.tenant):
        return Membership.objects.get(user=world.user(role))


def _restrict(world, project, *, members=(), groups=(), manager=None):
    with activate(world.tenant):
        Project.objects.filter(pk=project.pk).update(manager=manager)
        project.refresh_from_db()
        services.project_share(
            tenant=world.tenant,
            by=world.admin,
            project=project,
            visibility=Visibility.RESTRICTED,
            memberships=members,
            groups=groups,
        )


@pytest.fixture
def rows(world_a):
    return tenant_rows(world_a)


def _statuses(client, urls):
    found = {}
    for name, kwargs in urls.items():
        url = reverse(name, kwargs={"tenant_slug": "alpha", **kwargs})
        for method in ("get", "post"):
            found[(name, method)] = getattr(client, method)(url).status_code
    return found


def test_every_url_of_a_project_not_shared_with_you_is_404(rows, world_a, client_for):
    """Staff (who may edit projects) and viewers: first with the project shared with everyone
    (the answer their role gets), then with it restricted to someone else: every answer that
    was not a refusal by role (403) or by method (405) becomes 404."""
    urls = project_urls(rows)
    assert len(urls) >= 20  # the project's pages, its rows' pages and its invoices' pages
    other = _membership(world_a, "admin")
    for role in ("staff", "viewer"):
        client = client_for(world_a.user(role))
        with activate(world_a.tenant):
            services.project_share(
                tenant=world_a.tenant,
                by=world_a.admin,
                project=rows["project"],
                visibility=Visibility.COMPANY,
            )
        shared = _statuses(client, urls)
        _restrict(world_a, rows["project"], members=[other])
        hidden = _statuses(client, urls)
        for (name, method), status in hidden.items():
            before = shared[(name, method)]
            if before in (403, 405):
                assert status == before, f"{role} {method} {name}: {status}"
                continue
            expected = 404
            if (method == "get" and name in POST_ONLY) or (method == "post" and name in READ_ONLY):
                expected = 405
            assert status == expected, f"{role} {method.upper()} {name}: {status} (was {before})"


def test_the_manager_named_members_and_groups_see_it_and_admins_and_finance_always(
    rows, world_a, client_for
):
    project = rows["project"]
    url = project.get_absolute_url()
    staff = _membership(world_a, "staff")
    _restrict(world_a, project, members=[_membership(world_a, "finance")])
    assert client_for(world_a.staff).get(url).status_code == 404
    assert client_for(world_a.viewer).get(url).status_code == 404
    assert client_for(world_a.admin).get(url).status_code == 200
    assert client_for(world_a.finance).get(url).status_code == 200

    _restrict(world_a, project, members=[staff])
    assert client_for(world_a.staff).get(url).status_code == 200
    assert client_for(world_a.viewer).get(url).status_code == 404

    with activate(world_a.tenant):
        group = MemberGroup.objects.create(tenant=world_a.tenant, name="Leadership team")
        MemberGroupMember.objects.create(
            tenant=world_a.tenant, group=group, membership=_membership(world_a, "viewer")
        )
    _restrict(world_a, project, groups=[group])
    assert client_for(world_a.viewer).get(url).status_code == 200
    assert client_for(world_a.staff).get(url).status_code == 404

    _restrict(world_a, project, manager=world_a.staff, members=[_membership(world_a, "admin")])
    assert client_for(world_a.staff).get(url).status_code == 200


def _page(client, name, query=""):
    return client.get(reverse(name, kwargs={"tenant_slug": "alpha"}) + query).content.decode()


def test_lists_search_calendar_pick_lists_and_reports_leave_it_out(rows, world_a, client_for):
    project = rows["project"]
    project.name = "Zephyr Leadership"
    project.save()
    staff, admin = client_for(world_a.staff), client_for(world_a.admin)
    pages = [
        ("projects:project-list", ""),
        ("accounts:search", "?q=Zephyr"),
        ("projects:project-options", "?q=Zephyr"),
        ("projects:calendar", "?month=2026-03"),
        ("invoicing:invoice-list", ""),
        ("reporting:profitability", "?finished=1"),
        ("reporting:custom", "?dimensions=project&measures=places&include_finished=on"),
    ]
    markers = {
        "projects:calendar": rows["event"].title,
        "invoicing:invoice-list": rows["invoice"].number,
    }
    for name, query in pages:
        marker = markers.get(name, project.code)
        assert marker in _page(staff, name, query), name  # shared with everyone: listed
    _restrict(world_a, project, members=[_membership(world_a, "finance")])
    for name, query in pages:
        marker = markers.get(name, project.code)
        assert marker not in _page(staff, name, query), name
        assert marker in _page(admin, name, query), name


def test_sharing_is_audited_and_refuses_a_project_nobody_would_see(world_a, rows):
    project = rows["project"]
    with activate(world_a.tenant):
        Project.objects.filter(pk=project.pk).update(manager=None)
        project.refresh_from_db()
        with pytest.raises(ValidationError, match="Name at least one member or group"):
            services.project_share(
                tenant=world_a.tenant,
                by=world_a.admin,
                project=project,
                visibility=Visibility.RESTRICTED,
            )
        services.project_share(
            tenant=world_a.tenant,
            by=world_a.admin,
            project=project,
            visibility=Visibility.RESTRICTED,
            memberships=[Membership.objects.get(user=world_a.staff)],
        )
        entry = AuditEntry.objects.get(action="project sharing changed")
        assert entry.before["visibility"] == "company"
        assert entry.after == {
            "visibility": "restricted",
            "members": world_a.staff.email,
            "groups": "",
        }


def test_a_member_of_another_company_cannot_be_named(world_a, world_b, rows):
    with activate(world_b.tenant):
        foreign = Membership.objects.get(user=world_b.staff)
    with activate(world_a.tenant), pytest.raises(ValidationError):
        services.project_share(
            tenant=world_a.tenant,
            by=world_a.admin,
            project=rows["project"],
            visibility=Visibility.RESTRICTED,
            memberships=[foreign],
        )


def test_the_sharing_page_saves_what_is_ticked(world_a, rows, client_for):
    project = rows["project"]
    staff = _membership(world_a, "staff")
    url = reverse("projects:project-sharing", kwargs={"tenant_slug": "alpha", "pk": project.pk})
    response = client_for(world_a.admin).post(
        url, {"visibility": "restricted", "members": [staff.pk]}
    )
    assert response.status_code == 302
    with activate(world_a.tenant):
        assert [p.pk for p in visible_projects_for(staff)] == [project.pk]
        viewer = _membership(world_a, "viewer")
        assert list(visible_projects_for(viewer)) == []


def visible_projects_for(membership):
    class Request:
        pass

    request = Request()
    request.membership = membership
    return visible_projects(request).filter(visibility=Visibility.RESTRICTED)


def test_a_copy_of_a_restricted_project_is_shared_with_the_same_people(world_a, rows):
    staff = _membership(world_a, "staff")
    _restrict(world_a, rows["project"], members=[staff])
    with activate(world_a.tenant):
        rows["project"].refresh_from_db()
        copy = services.project_copy(
            tenant=world_a.tenant, by=world_a.admin, source=rows["project"], name="Copy"
        )
        assert copy.visibility == Visibility.RESTRICTED
        assert [p.pk for p in visible_projects_for(staff).filter(pk=copy.pk)] == [copy.pk]


def test_a_parent_lists_only_the_sub_projects_you_may_see(rows, world_a, client_for):
    """The overview named every sub-project, so a member saw the name of one restricted to
    others (and got 404 following it)."""
    parent = rows["project"]
    with activate(world_a.tenant):
        _open_child, secret_child = (
            ProjectFactory(
                tenant=world_a.tenant,
                account=parent.account,
                parent=parent,
                code=code,
                name=name,
            )
            for code, name in (("PR-OPEN", "Cohort one"), ("PR-SECRET", "Board coaching"))
        )
    _restrict(world_a, secret_child, members=[_membership(world_a, "finance")])
    url = parent.get_absolute_url()
    staff_page = client_for(world_a.staff).get(url).content.decode()
    assert "PR-OPEN Cohort one" in staff_page
    assert "PR-SECRET" not in staff_page and "Board coaching" not in staff_page
    admin_page = client_for(world_a.admin).get(url).content.decode()
    assert "PR-OPEN Cohort one" in admin_page and "PR-SECRET Board coaching" in admin_page


def test_a_new_role_is_followed_on_the_next_request(rows, world_a, client_for):
    """The project's and its invoices' reads are compiled once per role
    (accounts.platform.compiled_once): a member made admin sees them at once, and loses them
    again when made staff."""
    project = rows["project"]
    assert rows["invoice"].project_id == project.pk
    urls = [
        project.get_absolute_url(),
        project.get_absolute_url() + "registrations/",  # the header-only read
        reverse(
            "invoicing:invoice-detail", kwargs={"tenant_slug": "alpha", "pk": rows["invoice"].pk}
        ),
    ]
    staff = _membership(world_a, "staff")
    _restrict(world_a, project, members=[_membership(world_a, "finance")])
    client = client_for(world_a.staff)
    for role, status in (("staff", 404), ("admin", 200), ("staff", 404)):
        with activate(world_a.tenant):
            Membership.objects.filter(pk=staff.pk).update(role=role)
        assert [client.get(url).status_code for url in urls] == [status] * 3, role

"""Fetch projects' rows named in a URL: 404 across tenants and for a project not shared with the
member (projects.sharing_models.visible_q), 403 for a role that may only read."""

from django.shortcuts import get_object_or_404

from accounts.platform import permissions
from accounts.platform.access import require
from accounts.platform.compiled_once import compiled_once, first_or_404
from accounts.platform.models import Membership
from projects.models import (
    Item,
    Milestone,
    Phase,
    PrivateEvent,
    Project,
    ProjectDocument,
    Registration,
)
from projects.selectors import project_detail, project_header, project_page
from projects.sharing_models import visible_q


def shared_with(request, path: str = "project__"):
    """The sharing rule for this request's member, as a filter on rows that lead to a project:
    lists, reports and exports of other apps narrow their querysets with it."""
    return visible_q(getattr(request, "membership", None), path)


def visible_projects(request, queryset=None):
    queryset = Project.objects.all() if queryset is None else queryset
    return queryset.filter(shared_with(request, path=""))


# What the sharing rule reads of a member, as arguments of a read compiled once
# (accounts.platform.compiled_once): the role decides the rule's shape, the ids are its slots.
MEMBER_SLOTS = ("membership_pk", "user_id")


def member_arguments(request) -> dict:
    """The request's member as `shared_with_member` takes it."""
    membership = request.membership
    return {"role": membership.role, "membership_pk": membership.pk, "user_id": membership.user_id}


def shared_with_member(path: str = "project__", *, role, membership_pk, user_id):
    """`shared_with` for a compiled read: the member given by its role and ids."""
    return visible_q(Membership(pk=membership_pk, user_id=user_id, role=role), path)


def get_project_for_user(request, pk, *, header_only=False) -> Project:
    """The project named in the URL, with what its overview shows (`project_page`), or only
    what every page's header shows (`header_only`: `project_header`)."""
    require(request, permissions.VIEW)
    rows = _project_shown(pk=pk, header_only=header_only, **member_arguments(request))
    return first_or_404(rows, "No such project, or it is not shared with you.")


@compiled_once(slots=("pk", *MEMBER_SLOTS))
def _project_shown(*, pk, header_only, **member):
    # The five-table read of the overview took 2.5 ms to compile on every project page.
    rows = project_header() if header_only else project_page()
    return rows.filter(shared_with_member("", **member), pk=pk)[:1]


def get_project_for_write(request, pk) -> Project:
    require(request, permissions.EDIT_PROJECTS)
    return get_object_or_404(visible_projects(request, project_detail()), pk=pk)


def get_event_for_write(request, project, pk) -> PrivateEvent:
    require(request, permissions.EDIT_PROJECTS)
    return get_object_or_404(PrivateEvent.objects.filter(project=project), pk=pk)


def get_registration_for_write(request, project, pk) -> Registration:
    require(request, permissions.EDIT_PROJECTS)
    return get_object_or_404(
        Registration.objects.filter(project=project).select_related(
            "event", "learner", "project", "project__account"
        ),
        pk=pk,
    )


def get_item_for_write(request, project, pk) -> Item:
    require(request, permissions.EDIT_PROJECTS)
    return get_object_or_404(Item.objects.filter(project=project).select_related("product"), pk=pk)


def get_document_for_user(request, pk) -> ProjectDocument:
    require(request, permissions.VIEW)
    return get_object_or_404(ProjectDocument.objects.filter(shared_with(request)), pk=pk)


def get_document_for_write(request, pk) -> ProjectDocument:
    require(request, permissions.EDIT_PROJECTS)
    return get_object_or_404(ProjectDocument.objects.filter(shared_with(request)), pk=pk)


def get_phase_for_write(request, project, pk) -> Phase:
    require(request, permissions.EDIT_PROJECTS)
    return get_object_or_404(Phase.objects.filter(project=project).select_related("project"), pk=pk)


def get_milestone_for_write(request, phase, pk) -> Milestone:
    require(request, permissions.EDIT_PROJECTS)
    return get_object_or_404(Milestone.objects.filter(phase=phase), pk=pk)

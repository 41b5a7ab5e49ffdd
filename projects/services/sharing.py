"""Who a project is shared with (issue 13, part 5) and the company's project classes (part 6).
The rule of who sees what is `projects.sharing_models.visible_q`; this module only writes."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.platform.audit import audit
from accounts.platform.guards import check_tenant, require_active
from projects.models import Project, ProjectClass, ProjectShare, Visibility


def _shares(project: Project) -> dict:
    shares = ProjectShare.objects.filter(project=project).select_related(
        "membership__user", "group"
    )
    return {
        "members": ", ".join(sorted(s.membership.user.email for s in shares if s.membership_id)),
        "groups": ", ".join(sorted(s.group.name for s in shares if s.group_id)),
    }


@transaction.atomic
def project_share(
    *, tenant, by, project: Project, visibility: str, memberships=(), groups=()
) -> Project:
    """Share `project` with the whole company, or only with its manager and the members and
    groups named (which replace those named before). Audited."""
    require_active(tenant)
    check_tenant(tenant, project, *memberships, *groups)
    if visibility not in Visibility.values:
        raise ValidationError(_("Choose who the project is shared with."))
    project = Project.objects.select_for_update().get(pk=project.pk)
    memberships, groups = list(memberships), list(groups)
    if visibility == Visibility.RESTRICTED and not (memberships or groups or project.manager_id):
        raise ValidationError(
            _(
                "Name at least one member or group, or give the project a manager: "
                "otherwise only admins and finance would see it."
            )
        )
    before = {"visibility": project.visibility, **_shares(project)}
    if visibility == Visibility.COMPANY:
        memberships, groups = [], []  # everyone sees it: names would only mislead later
    ProjectShare.objects.filter(project=project).delete()
    ProjectShare.objects.bulk_create(
        [ProjectShare(tenant=tenant, project=project, membership=m) for m in memberships]
        + [ProjectShare(tenant=tenant, project=project, group=g) for g in groups]
    )
    project.visibility = visibility
    project.save(update_fields=["visibility"])
    audit(
        tenant=tenant,
        actor=by,
        action="project sharing changed",
        obj=project,
        before=before,
        after={"visibility": visibility, **_shares(project)},
    )
    return project


@transaction.atomic
def project_class_save(*, tenant, by, project_class: ProjectClass) -> ProjectClass:
    require_active(tenant)
    project_class.tenant = tenant
    project_class.name = " ".join((project_class.name or "").split())
    if not project_class.name:
        raise ValidationError({"name": _("Give the class a name.")})
    project_class.full_clean()
    project_class.save()
    return project_class

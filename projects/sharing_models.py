"""Who may see a project (issue 13, part 5) and how a company classifies its projects (part 6).

Kept apart from models.py so that the project tables stay readable; registered with the
`projects` app through the import at the end of models.py.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.platform import permissions
from accounts.platform.models import MemberGroupMember
from accounts.platform.permissions import role_allows
from accounts.platform.tenancy import TenantOwned


class Visibility(models.TextChoices):
    COMPANY = "company", _("Everyone in the company")
    RESTRICTED = "restricted", _("Only its manager and the members and groups named")


class ProjectShare(TenantOwned):
    """One member or one group a restricted project is shared with (exactly one of the two)."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="shares")
    membership = models.ForeignKey(
        "accounts.Membership", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    group = models.ForeignKey(
        "accounts.MemberGroup", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(membership__isnull=False, group__isnull=True)
                    | models.Q(membership__isnull=True, group__isnull=False)
                ),
                name="projectshare_member_or_group",
            ),
            models.UniqueConstraint(
                fields=["project", "membership"],
                condition=models.Q(membership__isnull=False),
                name="projectshare_unique_member",
            ),
            models.UniqueConstraint(
                fields=["project", "group"],
                condition=models.Q(group__isnull=False),
                name="projectshare_unique_group",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "membership"], name="projectshare_member")]

    def __str__(self):
        return str(self.membership or self.group)


class ProjectClass(TenantOwned):
    """A company's own kinds of project ("Open enrolment", "Academy", …): a list filter and a
    report dimension. Retired classes stay on old projects but are no longer offered."""

    name = models.CharField(max_length=100)
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("project class")
        verbose_name_plural = _("project classes")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "name"],
                name="projectclass_unique_name",
                violation_error_message=_("A project class of this name exists already."),
            )
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        from accounts.platform.tenancy import tenant_reverse

        return tenant_reverse("projects:classes", tenant_id=self.tenant_id)


def visible_q(membership, path: str = "") -> Q:
    """THE rule of who sees a project, as a filter on projects (`path=""`) or on rows that lead
    to one (`path="project__"`, `"invoice__project__"`): a company-wide project, one the member
    manages, or one shared with the member or a group of theirs. Admins and finance see every
    project (their role's SEE_ALL_PROJECTS). No membership sees nothing."""
    if membership is not None and role_allows(membership.role, permissions.SEE_ALL_PROJECTS):
        return Q()
    if membership is None:
        return Q(**{f"{path}pk__in": []})
    groups = MemberGroupMember.objects.filter(membership_id=membership.pk).values("group_id")
    shared = ProjectShare.objects.filter(
        Q(membership_id=membership.pk) | Q(group_id__in=groups)
    ).values("project_id")
    return (
        Q(**{f"{path}visibility": Visibility.COMPANY})
        | Q(**{f"{path}manager_id": membership.user_id})
        | Q(**{f"{path}pk__in": shared})
    )


class ProjectQuerySet(models.QuerySet):
    def visible_to(self, membership):
        """The projects `membership` may see (see `visible_q`)."""
        return self.filter(visible_q(membership))

    def unfinished(self):
        """What reports cover unless finished projects are asked for (issue 13, part 6)."""
        return self.exclude(status="finished")

"""Demo data of issue 13, parts 5 and 6: project classes on the demo projects, a group of
members, and one project shared with that group only (the viewer does not see it; admins and
finance see every project)."""

import random

from django.db.models import Q

from accounts import services as account_services
from accounts.platform.models import MemberGroup, Membership, Role
from projects import services
from projects.models import Project, ProjectClass, Visibility

CLASSES = [("Framework delivery", True), ("Academy", True), ("Open enrolment", False)]


def build(tenant, *, user, rng: random.Random) -> None:
    classes = [
        services.project_class_save(
            tenant=tenant,
            by=user,
            project_class=ProjectClass(name=name, is_active=active),
        )
        for name, active in CLASSES
    ]
    projects = list(Project.objects.select_related("account").order_by("code"))
    for index, project in enumerate(projects):
        # Apprenticeship cohorts are academies; the rest framework delivery, a few retired.
        if "apprentice" in project.tags:
            chosen = classes[1]
        else:
            chosen = classes[2] if index % 7 == 6 else classes[0]
        Project.objects.filter(pk=project.pk).update(project_class=chosen)

    staff = list(Membership.objects.filter(Q(role=Role.STAFF) | Q(role=Role.ADMIN)))
    group = account_services.member_group_save(
        tenant=tenant,
        by=user,
        group=MemberGroup(name="Leadership programme team"),
        memberships=staff,
    )
    shared = next(
        (p for p in projects if p.status == "active" and p.parent_id is None and p.booking_id),
        None,
    )
    if shared is not None:
        services.project_share(
            tenant=tenant,
            by=user,
            project=shared,
            visibility=Visibility.RESTRICTED,
            groups=[group],
        )

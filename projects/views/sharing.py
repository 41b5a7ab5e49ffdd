"""Sharing a project (issue 13, part 5) and the company's project classes (part 6)."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View

from accounts.platform import permissions
from accounts.platform.access import require
from accounts.platform.views import TenantFormView, TenantViewMixin, save_with_service
from projects import access, services
from projects.forms import ProjectClassForm, ProjectSharingForm
from projects.models import ProjectClass, ProjectShare


class ProjectSharingView(TenantViewMixin, View):
    """Who sees the project. Anyone who may edit the project and sees it may change this."""

    write_permission = permissions.EDIT_PROJECTS
    template_name = "projects/sharing.html"

    def render_page(self, project, form, status=200):
        context = {"project": project, "form": form, "title": _("Sharing")}
        return render(self.request, self.template_name, context, status=status)

    def get(self, request, pk):
        project = access.get_project_for_write(request, pk)
        shares = list(ProjectShare.objects.filter(project=project))
        form = ProjectSharingForm(
            initial={
                "visibility": project.visibility,
                "members": [s.membership_id for s in shares if s.membership_id],
                "groups": [s.group_id for s in shares if s.group_id],
            }
        )
        return self.render_page(project, form)

    def post(self, request, pk):
        project = access.get_project_for_write(request, pk)
        form = ProjectSharingForm(request.POST)
        saved = save_with_service(
            form,
            lambda: services.project_share(
                tenant=request.tenant,
                by=request.user,
                project=project,
                visibility=form.cleaned_data["visibility"],
                memberships=form.cleaned_data["members"],
                groups=form.cleaned_data["groups"],
            ),
        )
        if not saved:
            return self.render_page(project, form, status=422)
        messages.success(request, _("Sharing of %(project)s saved.") % {"project": project})
        return redirect(project)


class ProjectClassListView(TenantViewMixin, View):
    """The company's project classes (admins): the list, and a form to add one."""

    permission = permissions.MANAGE_TENANT
    write_permission = permissions.MANAGE_TENANT
    template_name = "projects/classes.html"

    def render_page(self, form, status=200):
        context = {"classes": ProjectClass.objects.order_by("name"), "form": form}
        return render(self.request, self.template_name, context, status=status)

    def get(self, request):
        return self.render_page(ProjectClassForm(instance=ProjectClass(), tenant=request.tenant))

    def post(self, request):
        form = ProjectClassForm(request.POST, instance=ProjectClass(), tenant=request.tenant)
        saved = save_with_service(
            form,
            lambda: services.project_class_save(
                tenant=request.tenant, by=request.user, project_class=form.instance
            ),
        )
        if not saved:
            return self.render_page(form, status=422)
        messages.success(request, _("Project class %(name)s added.") % {"name": form.instance})
        return redirect("projects:classes", tenant_slug=request.tenant.slug)


class ProjectClassEditView(TenantFormView, View):
    permission = permissions.MANAGE_TENANT
    write_permission = permissions.MANAGE_TENANT
    form_class = ProjectClassForm
    title_edit = "Edit project class"

    def get_object(self):
        require(self.request, permissions.MANAGE_TENANT)
        return get_object_or_404(ProjectClass.objects, pk=self.kwargs["pk"])

    def save(self, form):
        return services.project_class_save(
            tenant=self.request.tenant, by=self.request.user, project_class=form.instance
        )

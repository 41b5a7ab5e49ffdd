"""The company's project settings page (tenant admins): the budget policy new projects propose."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views import View

from accounts.platform import permissions
from accounts.platform.views import TenantViewMixin, save_with_service
from projects import selectors, services
from projects.forms import ProjectSettingsForm


class ProjectSettingsView(TenantViewMixin, View):
    permission = permissions.MANAGE_TENANT
    write_permission = permissions.MANAGE_TENANT
    template_name = "projects/settings.html"

    def form(self, data=None):
        current = selectors.project_settings(self.request.tenant)
        return ProjectSettingsForm(data, instance=current, tenant=self.request.tenant)

    def get(self, request):
        return render(request, self.template_name, {"form": self.form()})

    def post(self, request):
        form = self.form(request.POST)
        if not save_with_service(
            form,
            lambda: services.project_settings_save(
                tenant=request.tenant, by=request.user, settings=form.instance
            ),
        ):
            return render(request, self.template_name, {"form": form}, status=422)
        messages.success(request, gettext("Project settings saved."))
        return redirect(reverse("projects:settings", kwargs={"tenant_slug": request.tenant.slug}))

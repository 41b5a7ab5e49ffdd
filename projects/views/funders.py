"""A project's funding sources: add, change, remove (the Funders tab that shows what each has
paid and has left is invoicing's, since those figures are its own)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from accounts.platform import confirm, permissions
from accounts.platform.access import require
from accounts.platform.views import TenantFormView, TenantViewMixin
from projects import access, services
from projects.forms import FunderForm
from projects.models import ProjectFunder
from projects.views.pages import tab_url


def get_funder_for_write(request, project, pk) -> ProjectFunder:
    require(request, permissions.EDIT_PROJECTS)
    return get_object_or_404(ProjectFunder.objects.filter(project=project), pk=pk)


class FunderFormView(TenantFormView, View):
    write_permission = permissions.EDIT_PROJECTS
    form_class = FunderForm
    title_new, title_edit = gettext_lazy("New funder"), gettext_lazy("Edit funder")

    def get_object(self):
        self.project = access.get_project_for_write(self.request, self.kwargs["project_pk"])
        pk = self.kwargs.get("pk")
        if pk:
            return get_funder_for_write(self.request, self.project, pk)
        return ProjectFunder(project=self.project)

    def get_form_kwargs(self, obj):
        return {**super().get_form_kwargs(obj), "project": self.project}

    def save(self, form):
        return services.funder_save(
            tenant=self.request.tenant,
            by=self.request.user,
            funder=form.instance,
            products=form.cleaned_data["products"],
            packages=form.cleaned_data["packages"],
        )

    def get_success_url(self, obj):
        return tab_url(self.request, self.project, "funders")

    get_cancel_url = get_success_url


class FunderDeleteView(TenantViewMixin, View):
    write_permission = permissions.EDIT_PROJECTS

    def post(self, request, project_pk, pk):
        project = access.get_project_for_write(request, project_pk)
        funder = get_funder_for_write(request, project, pk)
        back = tab_url(request, project, "funders")
        if not confirm.confirmed(request):  # asks once
            return confirm.ask(
                request,
                title=_("Remove %(funder)s") % {"funder": funder.name},
                question=_(
                    "Remove %(funder)s from the funders of %(project)s? Lines invoiced from now "
                    "on are split without it."
                )
                % {"funder": funder.name, "project": project.code},
                button=_("Remove the funder"),
                cancel_url=back,
            )
        try:
            services.funder_delete(tenant=request.tenant, by=request.user, funder=funder)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("%(funder)s removed.") % {"funder": funder.name})
        return redirect(back)

"""Sharing a project (issue 13, part 5), the company's project classes and changing a project's
currency (part 6)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View

from accounts.platform import confirm, permissions
from accounts.platform.access import require
from accounts.platform.forms import add_service_error
from accounts.platform.views import TenantFormView, TenantViewMixin, save_with_service
from accounts.templatetags.money import money
from projects import access, services
from projects.forms import ProjectClassForm, ProjectCurrencyForm, ProjectSharingForm
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


class ProjectCurrencyView(TenantViewMixin, View):
    """Change currency: pick the new currency; the confirmation lists every row's price before
    and after (the service's own figures, nothing written yet); confirming re-prices."""

    write_permission = permissions.EDIT_PROJECTS
    template_name = "projects/currency.html"

    def render_page(self, project, form, status=200):
        context = {"project": project, "form": form}
        return render(self.request, self.template_name, context, status=status)

    def get(self, request, pk):
        project = access.get_project_for_write(request, pk)
        return self.render_page(project, ProjectCurrencyForm(project=project))

    def post(self, request, pk):
        project = access.get_project_for_write(request, pk)
        form = ProjectCurrencyForm(request.POST, project=project)
        if not form.is_valid():
            return self.render_page(project, form, status=422)
        act = {"tenant": request.tenant, "by": request.user, "project": project}
        currency = form.cleaned_data["currency"]
        try:
            change = services.project_currency_change(
                **act, currency=currency, confirm=confirm.confirmed(request)
            )
        except ValidationError as error:
            add_service_error(form, error)
            return self.render_page(project, form, status=422)
        if not confirm.confirmed(request):
            return confirm.ask(request, **_currency_question(change))
        messages.success(
            request,
            _("%(project)s is now in %(currency)s; %(count)s rows were priced again.")
            % {"project": project.code, "currency": currency, "count": len(change.rows)},
        )
        return redirect(project)


def _currency_question(change) -> dict:
    old, new = change.old_currency, change.new_currency
    details = [
        f"{row.label}: {money(row.old_price, old)} → {money(row.new_price, new)}"
        + (" " + _("(its price typed by hand is replaced)") if row.overridden else "")
        for row in change.rows
    ]
    question = _(
        "Change %(project)s from %(old)s to %(new)s and price its %(count)s registrations and "
        "items again from the agreement: ordered %(before)s before, %(after)s after."
    ) % {
        "project": change.project.code,
        "old": old,
        "new": new,
        "count": len(change.rows),
        "before": money(change.old_total, old),
        "after": money(change.new_total, new),
    }
    warning = ""
    if change.kept:
        warning = _("These keep their amounts as typed; check them in %(new)s: %(kept)s.") % {
            "new": new,
            "kept": ", ".join(change.kept),
        }
    return {
        "title": _("Change the currency of %(project)s") % {"project": change.project.code},
        "question": question,
        "details": details,
        "warning": warning,
        "button": _("Change to %(new)s") % {"new": new},
        "cancel_url": change.project.get_absolute_url(),
        "danger": False,
    }

"""Pages that add or change a project's phases and milestones, and copy another project's plan
into it (issue 13). The phases tab itself (figures and timeline) is `reporting`'s."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from accounts.platform import confirm, permissions
from accounts.platform.forms import add_service_error
from accounts.platform.views import TenantFormView, TenantViewMixin
from projects import access, services
from projects.models import Milestone, Phase
from projects.phase_forms import CopyLinesForm, MilestoneForm, PhaseForm
from projects.views.pages import tab_url
from projects.views.rows import ProjectChildMixin

PHASES_TAB = "phases"


class PhaseFormView(ProjectChildMixin, TenantFormView, View):
    form_class = PhaseForm
    title_new, title_edit = gettext_lazy("New phase"), gettext_lazy("Edit phase")

    def get_object(self):
        self.project = self.get_project()
        pk = self.kwargs.get("pk")
        if pk:
            return access.get_phase_for_write(self.request, self.project, pk)
        return Phase(project=self.project)

    def get_initial(self):
        return {"start_date": self.project.start_date, "end_date": self.project.end_date}

    def get_form_kwargs(self, obj):
        return {**super().get_form_kwargs(obj), "project": self.project}

    def save(self, form):
        return services.phase_save(
            tenant=self.request.tenant, by=self.request.user, phase=form.instance
        )

    def get_success_url(self, obj):
        return tab_url(self.request, self.project, PHASES_TAB)

    get_cancel_url = get_success_url


class MilestoneFormView(ProjectChildMixin, TenantFormView, View):
    form_class = MilestoneForm
    title_new, title_edit = gettext_lazy("New milestone"), gettext_lazy("Edit milestone")

    def get_object(self):
        self.project = self.get_project()
        self.phase = access.get_phase_for_write(self.request, self.project, self.kwargs["phase_pk"])
        pk = self.kwargs.get("pk")
        if pk:
            return access.get_milestone_for_write(self.request, self.phase, pk)
        return Milestone(phase=self.phase)

    def get_initial(self):
        return {"due_date": self.phase.end_date}

    def get_form_kwargs(self, obj):
        return {**super().get_form_kwargs(obj), "phase": self.phase}

    def save(self, form):
        return services.milestone_save(
            tenant=self.request.tenant, by=self.request.user, milestone=form.instance
        )

    def get_success_url(self, obj):
        return tab_url(self.request, self.project, PHASES_TAB)

    get_cancel_url = get_success_url


class CopyLinesView(ProjectChildMixin, View):
    """ "Copy lines from another project": its phases, events, items and milestones."""

    template_name = "includes/form_page.html"

    def render_page(self, project, form, status=200):
        return render(
            self.request,
            self.template_name,
            {
                "form": form,
                "title": _("Copy lines from another project"),
                "cancel_url": tab_url(self.request, project, PHASES_TAB),
            },
            status=status,
        )

    def get(self, request, project_pk):
        project = self.get_project()
        return self.render_page(project, CopyLinesForm(project=project))

    def post(self, request, project_pk):
        project = self.get_project()
        form = CopyLinesForm(request.POST, project=project)
        if not form.is_valid():
            return self.render_page(project, form, status=422)
        try:
            copied = services.project_copy_lines(
                tenant=request.tenant,
                by=request.user,
                target=project,
                source=form.cleaned_data["source"],
                start_date=form.cleaned_data["start_date"],
            )
        except ValidationError as error:
            add_service_error(form, error)
            return self.render_page(project, form, status=422)
        messages.success(
            request,
            _(
                "Copied from %(source)s: %(phases)s phases, %(events)s events, %(items)s items, "
                "%(milestones)s milestones."
            )
            % {"source": form.cleaned_data["source"].code, **copied},
        )
        return redirect(tab_url(request, project, PHASES_TAB))


def _remove(request, back, service, done: str):
    """Run a removal service; what it refuses is said on the tab."""
    try:
        service()
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done)
    return redirect(back)


class PhaseDeleteView(TenantViewMixin, View):
    write_permission = permissions.EDIT_PROJECTS

    def post(self, request, project_pk, pk):
        project = access.get_project_for_write(request, project_pk)
        phase = access.get_phase_for_write(request, project, pk)
        back = tab_url(request, project, PHASES_TAB)
        if not confirm.confirmed(request):  # asks once
            return confirm.ask(
                request,
                title=_("Remove phase %(phase)s") % {"phase": phase.name},
                question=_(
                    "Remove phase %(phase)s and its %(milestones)s milestones from %(project)s? "
                    "Its events and items stay on the project, in no phase."
                )
                % {
                    "phase": phase.name,
                    "milestones": phase.milestones.count(),
                    "project": project.code,
                },
                button=_("Remove the phase"),
                cancel_url=back,
            )
        return _remove(
            request,
            back,
            lambda: services.phase_delete(tenant=request.tenant, by=request.user, phase=phase),
            _("Phase %(phase)s removed.") % {"phase": phase.name},
        )


class MilestoneDeleteView(TenantViewMixin, View):
    write_permission = permissions.EDIT_PROJECTS

    def post(self, request, project_pk, phase_pk, pk):
        project = access.get_project_for_write(request, project_pk)
        phase = access.get_phase_for_write(request, project, phase_pk)
        milestone = access.get_milestone_for_write(request, phase, pk)
        back = tab_url(request, project, PHASES_TAB)
        if not confirm.confirmed(request):  # asks once
            return confirm.ask(
                request,
                title=_("Remove milestone %(milestone)s") % {"milestone": milestone},
                question=_(
                    "Remove milestone %(milestone)s of phase %(phase)s? The item that bills it "
                    "is removed with it."
                )
                % {"milestone": milestone, "phase": phase.name},
                button=_("Remove the milestone"),
                cancel_url=back,
            )
        return _remove(
            request,
            back,
            lambda: services.milestone_delete(
                tenant=request.tenant, by=request.user, milestone=milestone
            ),
            _("Milestone %(milestone)s removed.") % {"milestone": milestone},
        )

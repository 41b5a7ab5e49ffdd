"""Cancelling places, marking no-shows and transferring places under the agreement's terms: each
page shows what will happen (the fee and its rule, a credit for an invoiced place) and asks once."""

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views import View

from accounts.platform import permissions
from accounts.platform.access import can
from accounts.platform.forms import add_service_error
from accounts.platform.views import TenantViewMixin
from agreements.cancellations import terms_for
from projects import access, services
from projects.forms import RegistrationTransferForm
from projects.models import Registration
from projects.views.pages import tab_url
from projects.views.rows import ProjectChildMixin


def _selected_ids(data) -> list[int]:
    ids = []
    for value in data.getlist("selected"):
        try:
            ids.append(int(value))
        except (TypeError, ValueError):
            continue
    return ids


def _expected_fee(data, pk):
    try:
        return Decimal(data.get(f"fee_{pk}", ""))
    except (InvalidOperation, ValueError):
        return None


class RegistrationCancelView(TenantViewMixin, View):
    """GET: what cancelling (or marking no-show) the ticked places would cost; POST: do it, with
    the fees the user saw (a fee that changed since is shown again, nothing done).

    Staff cancel places; finance too, since an invoiced place is credited in the same step (a
    credit note is theirs: staff are told to ask them)."""

    template_name = "projects/registration_cancel.html"
    write_permission = permissions.VIEW  # and one of the two below (dispatch)

    def dispatch(self, request, *args, **kwargs):
        if getattr(request, "tenant", None) is not None and not (
            can(request, permissions.EDIT_PROJECTS) or can(request, permissions.INVOICE)
        ):
            raise PermissionDenied(gettext("Cancelling places is for staff and finance."))
        return super().dispatch(request, *args, **kwargs)

    def get_project(self):
        return access.get_project_for_user(self.request, self.kwargs["project_pk"])

    def quotes(self, project, ids, no_show):
        rows = Registration.objects.filter(project=project, pk__in=ids).select_related(
            "event__product", "learner", "project__booking"
        )
        terms = terms_for(tenant=self.request.tenant, booking=project.booking)
        return [services.cancellation_quote(row, no_show=no_show, terms=terms) for row in rows]

    def render_page(self, project, quotes, no_show, status=200, errors=()):
        total = sum((quote.fee.amount for quote in quotes), Decimal(0))
        return render(
            self.request,
            self.template_name,
            {
                "project": project,
                "quotes": quotes,
                "no_show": no_show,
                "total_fee": total,
                "credits": [quote for quote in quotes if quote.credits_invoice],
                "may_credit": can(self.request, permissions.INVOICE),
                "errors": errors,
                "back_url": tab_url(self.request, project, "registrations"),
            },
            status=status,
        )

    def get(self, request, project_pk):
        project = self.get_project()
        no_show = request.GET.get("no_show") == "1"
        ids = _selected_ids(request.GET)
        quotes = self.quotes(project, ids, no_show)
        if not quotes:
            messages.error(request, gettext("Tick the registrations to cancel first."))
            return redirect(tab_url(request, project, "registrations"))
        return self.render_page(project, quotes, no_show)

    def post(self, request, project_pk):
        project = self.get_project()
        no_show = request.POST.get("no_show") == "1"
        ids = _selected_ids(request.POST)
        quotes = self.quotes(project, ids, no_show)
        if not quotes:
            messages.error(request, gettext("Tick the registrations to cancel first."))
            return redirect(tab_url(request, project, "registrations"))
        if request.POST.get("confirm") != "1":  # ticked on a list: show what it costs first
            return self.render_page(project, quotes, no_show)
        expected = {
            quote.registration.pk: _expected_fee(request.POST, quote.registration.pk)
            for quote in quotes
        }
        try:
            done = services.registrations_cancel(
                tenant=request.tenant,
                by=request.user,
                project=project,
                ids=[quote.registration.pk for quote in quotes],
                no_show=no_show,
                expected_fees=expected,
                may_credit=can(request, permissions.INVOICE),
            )
        except ValidationError as error:
            return self.render_page(
                project, self.quotes(project, ids, no_show), no_show, 422, error.messages
            )
        fees = sum((quote.fee.amount for quote in done), Decimal(0))
        verb = "marked no-show" if no_show else "cancelled"
        text = f"{len(done)} registration{'s' if len(done) != 1 else ''} {verb}"
        text += f"; fees of {fees:,.2f} {project.currency} are ready to invoice." if fees else "."
        messages.success(request, text)
        return redirect(tab_url(request, project, "registrations"))


class RegistrationTransferView(ProjectChildMixin, View):
    template_name = "projects/registration_transfer.html"

    def render_page(self, project, registration, form, status=200):
        return render(
            self.request,
            self.template_name,
            {
                "project": project,
                "registration": registration,
                "form": form,
                "deadline": form.deadline,
                "back_url": tab_url(self.request, project, "registrations"),
            },
            status=status,
        )

    def get(self, request, project_pk, pk):
        project = self.get_project()
        registration = access.get_registration_for_write(request, project, pk)
        return self.render_page(
            project, registration, RegistrationTransferForm(registration=registration)
        )

    def post(self, request, project_pk, pk):
        project = self.get_project()
        registration = access.get_registration_for_write(request, project, pk)
        form = RegistrationTransferForm(request.POST, registration=registration)
        if form.is_valid():
            try:
                services.registration_transfer(
                    tenant=request.tenant,
                    by=request.user,
                    registration=registration,
                    learner=form.cleaned_data["learner"],
                    event=form.cleaned_data["event"],
                )
            except ValidationError as error:
                add_service_error(form, error)
            else:
                messages.success(
                    request,
                    gettext("Place transferred: %(registration)s.")
                    % {"registration": registration},
                )
                return redirect(tab_url(request, project, "registrations"))
        return self.render_page(project, registration, form, status=422)

"""Pages that add or change a project's events, registrations, items and purchase orders
(with the warnings a user confirms), and the registrations import."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.utils.translation import gettext
from django.views import View

from accounts.platform import permissions
from accounts.platform.forms import add_service_error
from accounts.platform.tenancy import tenant_reverse
from accounts.platform.views import (
    DatasetImportView,
    TenantFormView,
    TenantViewMixin,
    save_with_service,
)
from projects import access, services
from projects.forms import (
    BulkStatusForm,
    EventForm,
    ItemForm,
    PriceOverrideForm,
    PurchaseOrderForm,
    RegistrationAddForm,
    RegistrationEditForm,
)
from projects.models import PrivateEvent, PurchaseOrder, RegistrationStatus
from projects.resources import registrations_import
from projects.selectors import double_bookings
from projects.services.rows import UNDER_TERMS
from projects.views.pages import tab_url


class ProjectChildMixin(TenantViewMixin):
    write_permission = permissions.EDIT_PROJECTS

    def get_project(self):
        return access.get_project_for_write(self.request, self.kwargs["project_pk"])


class EventFormView(ProjectChildMixin, TenantFormView, View):
    form_class = EventForm
    title_new, title_edit = "New event", "Edit event"

    def get_object(self):
        self.project = self.get_project()
        pk = self.kwargs.get("pk")
        return (
            access.get_event_for_write(self.request, self.project, pk)
            if pk
            else (PrivateEvent(project=self.project))
        )

    def get_form_kwargs(self, obj):
        return {**super().get_form_kwargs(obj), "project": self.project}

    def save(self, form):
        event = services.event_save(
            tenant=self.request.tenant, by=self.request.user, event=form.instance
        )
        for field, other in double_bookings(event):
            messages.warning(
                self.request,
                (
                    gettext(
                        "Double-booked: %(field)s is also the %(field2)s of %(other)s (%(code)s, "
                        "%(start_date)s–%(end_date)s)."
                    )
                    % {
                        "field": getattr(event, field),
                        "field2": field,
                        "other": other,
                        "code": other.project.code,
                        "start_date": format(other.start_date, "%d %b"),
                        "end_date": format(other.end_date, "%d %b %Y"),
                    }
                ),
            )
        return event

    def get_success_url(self, obj):
        return tab_url(self.request, self.project, "events")

    def get_cancel_url(self, obj):
        return tab_url(self.request, self.project, "events")


class ConfirmableFormView(ProjectChildMixin, View):
    """A form whose service may answer NeedsConfirmation: the warnings are shown and the same
    data can be sent again with `confirm` ticked."""

    template_name = "projects/confirmable_form.html"
    title = ""
    form_class = None

    def render_page(self, project, form, warnings=(), status=200):
        return render(
            self.request,
            self.template_name,
            {
                "project": project,
                "form": form,
                "warnings": warnings,
                "title": self.title,
                "cancel_url": tab_url(self.request, project, self.tab),
            },
            status=status,
        )

    def get(self, request, project_pk):
        project = self.get_project()
        return self.render_page(
            project, self.form_class(project=project, initial=self.initial(project))
        )

    def post(self, request, project_pk):
        project = self.get_project()
        form = self.form_class(request.POST, project=project)
        if not form.is_valid():
            return self.render_page(project, form, status=422)
        try:
            message = self.save(project, form)
        except services.NeedsConfirmation as needed:
            data = request.POST.copy()
            data["confirm"] = "True"
            return self.render_page(
                project,
                self.form_class(data, project=project),
                warnings=needed.warnings,
                status=409,
            )
        except ValidationError as error:
            add_service_error(form, error)
            return self.render_page(project, form, status=422)
        messages.success(request, message)
        return redirect(tab_url(request, project, self.tab))


class RegistrationAddView(ConfirmableFormView):
    form_class = RegistrationAddForm
    title = "Add registrations"
    tab = "registrations"

    def initial(self, project):
        from django.utils import timezone

        event = self.request.GET.get("event")
        return {"requested_date": timezone.localdate(), "event": event, "discount": "auto"}

    def save(self, project, form):
        data = form.cleaned_data
        choice = form.discount_choice()
        created = services.registrations_add(
            tenant=self.request.tenant,
            by=self.request.user,
            project=project,
            event=data["event"],
            learners=list(data["learners"]) or ([] if data["new_learners"] else [None]),
            new_learners=data["new_learners"],
            places=data["places"] or 1,
            requested_date=data["requested_date"],
            purchase_order=data["purchase_order"],
            po_reference=data["po_reference"],
            discount_agreement=services.AUTO if choice == "auto" else choice,
            prepurchase=data["prepurchase"],
            notes=data["notes"],
            confirm=data["confirm"],
        )
        places = sum(r.places for r in created)
        return f"{places} place{'s' if places != 1 else ''} registered on {data['event'].title}."


class ItemAddView(ConfirmableFormView):
    form_class = ItemForm
    title = "Add an item"
    tab = "items"

    def initial(self, project):
        from django.utils import timezone

        return {"date": timezone.localdate(), "quantity": 1, "billable": True}

    def save(self, project, form):
        data = form.cleaned_data
        item = services.item_add(
            tenant=self.request.tenant,
            by=self.request.user,
            project=project,
            product=data["product"],
            date=data["date"],
            quantity=data["quantity"],
            description=data["description"],
            purchase_order=data["purchase_order"],
            po_reference=data["po_reference"],
            billable=data["billable"],
            notes=data["notes"],
            confirm=data["confirm"],
            phase=data["phase"],
        )
        return f"{item} added."


class RegistrationEditView(ProjectChildMixin, View):
    template_name = "projects/registration_edit.html"

    def render_page(self, project, registration, form, override_form, status=200):
        return render(
            self.request,
            self.template_name,
            {
                "project": project,
                "registration": registration,
                "form": form,
                "override_form": override_form,
            },
            status=status,
        )

    def get(self, request, project_pk, pk):
        project = self.get_project()
        registration = access.get_registration_for_write(request, project, pk)
        form = RegistrationEditForm(
            registration=registration,
            initial={
                "status": registration.status,
                "learner": registration.learner_id,
                "purchase_order": registration.purchase_order_id,
                "po_reference": registration.po_reference,
                "notes": registration.notes,
            },
        )
        override = PriceOverrideForm(initial={"unit_price": registration.unit_price})
        return self.render_page(project, registration, form, override)

    def post(self, request, project_pk, pk):
        project = self.get_project()
        registration = access.get_registration_for_write(request, project, pk)
        if "reason" in request.POST:
            override = PriceOverrideForm(request.POST)
            form = RegistrationEditForm(registration=registration)
            if save_with_service(
                override,
                lambda: services.price_override(
                    tenant=request.tenant,
                    by=request.user,
                    row=registration,
                    unit_price=override.cleaned_data["unit_price"],
                    reason=override.cleaned_data["reason"],
                ),
            ):
                messages.success(request, gettext("Price overridden."))
                return redirect(tab_url(request, project, "registrations"))
            return self.render_page(project, registration, form, override, status=422)
        form = RegistrationEditForm(request.POST, registration=registration)
        override = PriceOverrideForm(initial={"unit_price": registration.unit_price})
        if save_with_service(
            form,
            lambda: services.registration_update(
                tenant=request.tenant,
                by=request.user,
                registration=registration,
                **form.cleaned_data,
            ),
        ):
            messages.success(request, gettext("Registration saved."))
            return redirect(tab_url(request, project, "registrations"))
        return self.render_page(project, registration, form, override, status=422)


class RegistrationBulkStatusView(ProjectChildMixin, View):
    def post(self, request, project_pk):
        project = self.get_project()
        form = BulkStatusForm(request.POST)
        if not form.is_valid() or not form.cleaned_data["selected"]:
            messages.error(
                request, gettext("Tick the registrations to change, then choose a status.")
            )
        elif form.cleaned_data["status"] in UNDER_TERMS:
            # Cancellations and no-shows go by the agreement's terms: shown first, then confirmed.
            query = urlencode(
                {
                    "selected": form.cleaned_data["selected"],
                    "no_show": int(form.cleaned_data["status"] == RegistrationStatus.NO_SHOW),
                },
                doseq=True,
            )
            cancel = tenant_reverse(
                "projects:registration-cancel",
                tenant_id=request.tenant.pk,
                kwargs={"project_pk": project.pk},
            )
            return redirect(f"{cancel}?{query}")
        else:
            try:
                change = services.registrations_set_status(
                    tenant=request.tenant,
                    by=request.user,
                    project=project,
                    ids=form.cleaned_data["selected"],
                    status=form.cleaned_data["status"],
                )
                label = dict(form.fields["status"].choices)[form.cleaned_data["status"]]
                count = change.count
                messages.success(
                    request,
                    gettext("%(count)s registration%(else)s marked %(lower)s.")
                    % {"count": count, "else": "s" if count != 1 else "", "lower": label.lower()},
                )
                if change.events_delivered:
                    names = ", ".join(str(event) for event in change.events_delivered)
                    messages.info(
                        request,
                        (
                            gettext(
                                "Every place of %(names)s is delivered: the event is marked "
                                "delivered and its delivery cost counts from now on."
                            )
                            % {"names": names}
                        ),
                    )
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
        return redirect(tab_url(request, project, "registrations"))


class RegistrationImportView(DatasetImportView, View):
    permission = permissions.EDIT_PROJECTS
    write_permission = permissions.EDIT_PROJECTS

    def get_target(self, pk):
        return access.get_project_for_write(self.request, pk)

    def run_import(self, target, dataset, *, dry_run, confirm):
        return registrations_import(
            tenant=self.request.tenant,
            by=self.request.user,
            project=target,
            dataset=dataset,
            dry_run=dry_run,
            confirm=confirm,
        )

    def get_context(self, target):
        return {
            "title": f"Import registrations into {target.code}",
            "back_url": tab_url(self.request, target, "registrations"),
            "back_label": str(target),
            "columns": [
                "event",
                "learner_email",
                "first_name",
                "last_name",
                "places",
                "requested_date",
                "po_reference",
                "notes",
            ],
            "explanation": "The event is the title (or number) of one of the project's events. "
            "A learner not yet among the customer's contacts is added. Every row "
            "is priced and checked as on the page.",
        }

    def success_message(self, report):
        return f"Imported {report.new} registration{pluralize(report.new)}."


class PurchaseOrderFormView(ProjectChildMixin, TenantFormView, View):
    form_class = PurchaseOrderForm
    title_new = "New purchase order"

    def get_object(self):
        self.project = self.get_project()
        return PurchaseOrder(project=self.project)

    def get_form_kwargs(self, obj):
        return {**super().get_form_kwargs(obj), "project": self.project}

    def save(self, form):
        return services.purchase_order_save(
            tenant=self.request.tenant, by=self.request.user, order=form.instance
        )

    def get_success_url(self, obj):
        return tab_url(self.request, self.project, "overview")

    get_cancel_url = get_success_url

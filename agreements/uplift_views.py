"""The booking's price-uplift tab (issue 14): the contract years with their uplifts, and the
formset that edits them (through `services.booking_uplifts_update`, audited)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.views import View

from accounts.platform import permissions
from accounts.platform.tenancy import tenant_reverse
from accounts.platform.views import TenantViewMixin
from agreements import access, selectors, services
from agreements.forms import UpliftFormSet
from agreements.views import BookingDetailView


def booking_uplifts_context(request, booking):
    return {
        "uplift_formset": UpliftFormSet(booking=booking, prefix="uplifts"),
        "schedule": selectors.uplift_schedule(booking),
    }


class BookingUpliftsView(TenantViewMixin, View):
    """The booking's yearly price uplifts are edited in place on its price-uplift tab."""

    write_permission = permissions.EDIT_AGREEMENTS

    def post(self, request, pk):
        booking = access.get_booking_for_write(request, pk)
        formset = UpliftFormSet(request.POST, booking=booking, prefix="uplifts")
        status = 200
        if formset.is_valid():
            changed = [
                form.instance
                for form in formset.forms
                if form not in formset.deleted_forms and form.has_changed()
            ]
            deleted = [form.instance for form in formset.deleted_forms if form.instance.pk]
            try:
                services.booking_uplifts_update(
                    tenant=request.tenant,
                    by=request.user,
                    booking=booking,
                    changed=changed,
                    deleted=deleted,
                )
                messages.success(request, "Price uplifts saved.")
                formset = UpliftFormSet(booking=booking, prefix="uplifts")
            except ValidationError as error:
                formset._non_form_errors = formset.error_class(error.messages)
                status = 422
        else:
            status = 422
        if status == 200 and not getattr(request, "htmx", None):
            return redirect(
                tenant_reverse(
                    "agreements:booking-tab", kwargs={"pk": booking.pk, "tab": "uplifts"}
                )
            )
        page = BookingDetailView()
        page.setup(request, pk=pk)
        return page.render_page(booking, "uplifts", {"uplift_formset": formset}, status=status)

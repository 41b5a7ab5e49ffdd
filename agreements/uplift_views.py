"""The booking's price-uplift tab (issue 14): the contract years with their uplifts, and the
formset that edits them (through `services.booking_uplifts_update`, audited)."""

from agreements import selectors, services
from agreements.forms import UpliftFormSet
from agreements.views import BookingRowsFormsetView


def booking_uplifts_context(request, booking):
    return {
        "uplift_formset": UpliftFormSet(booking=booking, prefix="uplifts"),
        "schedule": selectors.uplift_schedule(booking),
    }


class BookingUpliftsView(BookingRowsFormsetView):
    """The booking's yearly price uplifts are edited in place on its price-uplift tab."""

    formset_class = UpliftFormSet
    prefix = tab = "uplifts"
    context_name = "uplift_formset"
    saved_message = "Price uplifts saved."

    def save(self, request, booking, changed, deleted):
        services.booking_uplifts_update(
            tenant=request.tenant,
            by=request.user,
            booking=booking,
            changed=changed,
            deleted=deleted,
        )

"""The pages of cancellation terms: the company's default terms (admins) and a booking's own
(staff who edit agreements), each a list of bands, the no-show fee and the free-transfer deadline.
The rule and the writes are `agreements.cancellations`."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View

from accounts.platform import confirm, permissions
from accounts.platform.forms import BoundedFormMixin, Form, add_service_error, helper
from accounts.platform.tenancy import tenant_reverse
from accounts.platform.views import TenantViewMixin
from agreements import access
from agreements import cancellations as rules
from agreements.models import CancellationBand, CancellationTerms


class CancellationTermsForm(Form):
    no_show_percent = forms.DecimalField(
        label=_("No-show fee (% of the place's price)"),
        min_value=0,
        max_value=100,
        decimal_places=2,
        initial=100,
    )
    free_transfer_days = forms.IntegerField(
        label=_("Free transfers until (days before the start)"),
        min_value=0,
        max_value=365,
        required=False,
        help_text=_("Empty: a place can be transferred for free any day before the event starts."),
    )
    notes = forms.CharField(max_length=255, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = helper("no_show_percent", "free_transfer_days", "notes")
        self.helper.form_tag = False


class BandForm(BoundedFormMixin, forms.Form):
    min_days_before = forms.IntegerField(
        label=_("Cancelled at least (days before)"), min_value=0, max_value=3650
    )
    percent = forms.DecimalField(
        label=_("Fee (% of the price)"), min_value=0, max_value=100, decimal_places=2
    )


BandFormSet = forms.formset_factory(BandForm, extra=2, can_delete=True, max_num=12)


def _initial(terms: CancellationTerms | None):
    if terms is None:
        return {"no_show_percent": 100}, [
            {"min_days_before": 15, "percent": 0},
            {"min_days_before": 7, "percent": 50},
            {"min_days_before": 0, "percent": 100},
        ]
    bands = CancellationBand.objects.filter(terms=terms).order_by("-min_days_before")
    return (
        {
            "no_show_percent": terms.no_show_percent,
            "free_transfer_days": terms.free_transfer_days,
            "notes": terms.notes,
        },
        [{"min_days_before": b.min_days_before, "percent": b.percent} for b in bands],
    )


class CancellationTermsView(TenantViewMixin, View):
    """The company's default terms (no `pk`: admins) or a booking's own (`pk`: agreement
    editors)."""

    template_name = "agreements/cancellation_terms.html"

    def booking(self):
        pk = self.kwargs.get("pk")
        return access.get_booking_for_write(self.request, pk) if pk else None

    permission = write_permission = permissions.MANAGE_TENANT

    def back_url(self, booking):
        if booking is not None:
            return tenant_reverse(
                "agreements:booking-tab",
                tenant_id=self.request.tenant.pk,
                kwargs={"pk": booking.pk, "tab": "terms"},
            )
        return tenant_reverse("agreements:cancellation-terms", tenant_id=self.request.tenant.pk)

    def render_page(self, booking, form, bands, status=200):
        terms = rules.terms_for(tenant=self.request.tenant, booking=booking)
        return render(
            self.request,
            self.template_name,
            {
                "booking": booking,
                "form": form,
                "bands": bands,
                "current": terms,
                "back_url": self.back_url(booking) if booking else None,
                "default_subtitle": "The company's default, for bookings without their own",
            },
            status=status,
        )

    def get(self, request, pk=None):
        booking = self.booking()
        terms = CancellationTerms.objects.filter(tenant=request.tenant, booking=booking).first()
        initial, bands = _initial(terms)
        return self.render_page(
            booking,
            CancellationTermsForm(initial=initial),
            BandFormSet(initial=bands, prefix="bands"),
        )

    def post(self, request, pk=None):
        booking = self.booking()
        form = CancellationTermsForm(request.POST)
        bands = BandFormSet(request.POST, prefix="bands")
        if form.is_valid() and bands.is_valid():
            rows = [
                (band["min_days_before"], band["percent"])
                for band in bands.cleaned_data
                if band and not band.get("DELETE")
            ]
            try:
                rules.cancellation_terms_save(
                    tenant=request.tenant,
                    by=request.user,
                    booking=booking,
                    bands=rows,
                    no_show_percent=form.cleaned_data["no_show_percent"],
                    free_transfer_days=form.cleaned_data["free_transfer_days"],
                    notes=form.cleaned_data["notes"],
                )
            except ValidationError as error:
                add_service_error(form, error)
            else:
                messages.success(request, gettext("Cancellation terms saved."))
                return redirect(self.back_url(booking))
        return self.render_page(booking, form, bands, status=422)


class BookingCancellationTermsView(CancellationTermsView):
    permission = write_permission = permissions.EDIT_AGREEMENTS


class BookingTermsRemoveView(TenantViewMixin, View):
    """A booking gives up its own terms and follows the company's default again."""

    permission = write_permission = permissions.EDIT_AGREEMENTS

    def post(self, request, pk):
        booking = access.get_booking_for_write(request, pk)
        back = tenant_reverse(
            "agreements:booking-tab",
            tenant_id=request.tenant.pk,
            kwargs={"pk": booking.pk, "tab": "terms"},
        )
        if not confirm.confirmed(request):  # asks once
            bands = CancellationBand.objects.filter(terms__booking=booking).count()
            return confirm.ask(
                request,
                title=gettext("Drop the terms of %(booking)s") % {"booking": booking},
                question=(
                    f"Drop the cancellation terms of {booking} ({bands} fee "
                    f"band{'' if bands == 1 else 's'}, its no-show fee and free-transfer "
                    "days)? Places cancelled from now on follow the company's default terms; "
                    "fees already charged stay as they are."
                ),
                warning="The booking's own terms are deleted: to use them again, enter them again.",
                button="Drop its own terms",
                cancel_url=back,
            )
        rules.cancellation_terms_remove(tenant=request.tenant, by=request.user, booking=booking)
        messages.success(
            request,
            gettext("%(booking)s follows the company's default terms again.")
            % {"booking": booking},
        )
        return redirect(back)


def booking_terms_context(request, booking):
    """The booking's terms tab: the terms that apply and whose they are."""
    terms = rules.terms_for(tenant=request.tenant, booking=booking)
    own = (
        CancellationTerms.objects.filter(tenant=request.tenant, booking=booking)
        .values_list("pk", flat=True)
        .first()
        is not None
    )
    return {"terms": terms, "own_terms": own}

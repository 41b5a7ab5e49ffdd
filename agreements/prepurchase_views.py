"""Pages of prepurchase agreements: the list, the form, the agreement with its charges and
ledger, and the two actions on a charge (extend its expiry date, write off what expired)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views import View
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from accounts.platform import confirm, permissions
from accounts.platform.views import (
    TenantFormView,
    TenantListView,
    TenantViewMixin,
    save_with_service,
)
from accounts.templatetags.money import amount
from agreements import access, selectors, services
from agreements.filters import PrepurchaseFilter
from agreements.forms import ChargeExtendForm, LedgerForm, PrepurchaseForm, ReversalForm
from agreements.models import PrepurchaseAgreement, PrepurchaseEntry
from agreements.tables import LedgerTable, PrepurchaseTable


class PrepurchaseListView(TenantListView, SingleTableMixin, FilterView):
    title = "Prepurchase agreements"
    subtitle = "Money or training units bought up front"
    table_class = PrepurchaseTable
    filterset_class = PrepurchaseFilter
    create_url_name = "agreements:prepurchase-create"
    create_label = "New prepurchase"
    create_permission = permissions.EDIT_AGREEMENTS

    def get_queryset(self):
        return selectors.prepurchase_list()


class PrepurchaseFormView(TenantFormView, View):
    form_class = PrepurchaseForm
    write_permission = permissions.EDIT_AGREEMENTS
    title_new, title_edit = "New prepurchase agreement", "Edit prepurchase agreement"

    def get_object(self):
        pk = self.kwargs.get("pk")
        return (
            access.get_prepurchase_for_write(self.request, pk) if pk else (PrepurchaseAgreement())
        )

    def save(self, form):
        return services.prepurchase_save(
            tenant=self.request.tenant, by=self.request.user, agreement=form.instance
        )


class PrepurchaseDetailView(TenantViewMixin, View):
    write_permission = permissions.EDIT_AGREEMENTS
    template_name = "agreements/prepurchase_detail.html"

    def render_page(self, agreement, form, status=200):
        return render(
            self.request,
            self.template_name,
            {
                "agreement": agreement,
                "figures": selectors.prepurchase_figures(agreement),
                "charges": selectors.prepurchase_charges(agreement),
                "ledger": LedgerTable(selectors.prepurchase_ledger(agreement)),
                "form": form,
            },
            status=status,
        )

    def get(self, request, pk):
        agreement = access.get_prepurchase_for_user(request, pk)
        return self.render_page(agreement, LedgerForm(agreement=agreement))

    def post(self, request, pk):
        agreement = access.get_prepurchase_for_write(request, pk)
        if "reason" in request.POST:
            return self.reverse_entry(request, agreement)
        form = LedgerForm(request.POST, agreement=agreement)

        def record():
            data = form.cleaned_data
            arguments = {
                "tenant": request.tenant,
                "by": request.user,
                "agreement": agreement,
                "amount": data["amount"],
                "description": data["description"],
            }
            if data["action"] == "use":
                return services.prepurchase_use(**arguments)
            if "expires_on" in form.fields:  # what the form showed (prefilled), empty or not
                arguments["expires_on"] = data["expires_on"]
            return services.prepurchase_charge(**arguments)

        if not save_with_service(form, record):
            return self.render_page(agreement, form, status=422)
        messages.success(request, gettext("Ledger updated."))
        return redirect(agreement)

    def reverse_entry(self, request, agreement):
        form = ReversalForm(request.POST)
        if not form.is_valid():
            messages.error(request, gettext("Say why the row is reversed."))
            return redirect(agreement)
        entry = PrepurchaseEntry.objects.filter(
            agreement=agreement, pk=form.cleaned_data["entry"]
        ).first()
        if entry is None:
            raise Http404("No such ledger row.")
        try:
            if not confirm.confirmed(request):  # asks once, with the balance it leaves
                return confirm.ask(
                    request, **self.reverse_question(request, agreement, entry, form)
                )
            services.prepurchase_reverse(
                tenant=request.tenant,
                by=request.user,
                entry=entry,
                reason=form.cleaned_data["reason"],
            )
            messages.success(
                request, gettext("Row #%(entry_pk)s reversed.") % {"entry_pk": entry.pk}
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect(agreement)

    @staticmethod
    def reverse_question(request, agreement, entry, form) -> dict:
        reason = form.cleaned_data["reason"]
        before = selectors.prepurchase_figures(agreement)["balance"]
        after = confirm.dry_run(
            lambda: (
                services.prepurchase_reverse(
                    tenant=request.tenant, by=request.user, entry=entry, reason=reason
                ),
                selectors.prepurchase_figures(agreement)["balance"],
            )[1]
        )
        currency, unit = agreement.currency, agreement.unit_label
        return {
            "title": f"Reverse row #{entry.pk}",
            "question": (
                f"Reverse row #{entry.pk} ({entry.get_kind_display().lower()} of "
                f"{amount(entry.amount, currency)} {unit} on {entry.entry_date:%-d %b %Y}): "
                f"the balance goes from {amount(before, currency)} to "
                f"{amount(after, currency)} {unit}. Reason: “{reason}”."
            ),
            "warning": (
                "Ledger rows are never changed or deleted: the reversal is a new row, and a "
                "reversal cannot itself be reversed."
            ),
            "button": f"Reverse row #{entry.pk}",
            "cancel_url": agreement.get_absolute_url(),
        }


def _charge_figures(charge: PrepurchaseEntry) -> PrepurchaseEntry:
    """The charge with its figures as of today (bought, used, written off, left, expired)."""
    for row in selectors.prepurchase_charges(charge.agreement):
        if row.pk == charge.pk:
            return row
    raise Http404("No such charge.")


class ChargeWriteOffView(TenantViewMixin, View):
    """Asks once, saying what will be written off; the POST writes it off."""

    write_permission = permissions.EDIT_AGREEMENTS
    template_name = "agreements/prepurchase_write_off.html"

    def get(self, request, pk):
        charge = _charge_figures(access.get_prepurchase_charge_for_write(request, pk))
        figures = selectors.prepurchase_figures(charge.agreement)
        return render(
            request,
            self.template_name,
            {
                "charge": charge,
                "agreement": charge.agreement,
                "balance_after": figures["balance"] - charge.expired,
                "figures": figures,
            },
        )

    def post(self, request, pk):
        charge = access.get_prepurchase_charge_for_write(request, pk)
        try:
            write_off = services.prepurchase_charge_write_off(
                tenant=request.tenant, by=request.user, charge=charge
            )
            messages.success(
                request,
                gettext(
                    "Written off: the expired remainder of charge #%(charge_pk)s (row "
                    "#%(write_off_pk)s)."
                )
                % {"charge_pk": charge.pk, "write_off_pk": write_off.pk},
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect(charge.agreement)


class ChargeExtendView(TenantViewMixin, View):
    """The new expiry date and the reason, with what the extension will do."""

    write_permission = permissions.EDIT_AGREEMENTS
    template_name = "agreements/prepurchase_extend.html"

    def render_page(self, charge, form, status=200):
        return render(
            self.request,
            self.template_name,
            {"charge": charge, "agreement": charge.agreement, "form": form},
            status=status,
        )

    def get(self, request, pk):
        charge = _charge_figures(access.get_prepurchase_charge_for_write(request, pk))
        return self.render_page(charge, ChargeExtendForm())

    def post(self, request, pk):
        charge = _charge_figures(access.get_prepurchase_charge_for_write(request, pk))
        form = ChargeExtendForm(request.POST)
        if not save_with_service(
            form,
            lambda: services.prepurchase_charge_extend(
                tenant=request.tenant,
                by=request.user,
                charge=charge,
                expires_on=form.cleaned_data["expires_on"],
                reason=form.cleaned_data["reason"],
            ),
        ):
            return self.render_page(charge, form, status=422)
        new = form.cleaned_data["expires_on"]
        messages.success(
            request,
            f"Charge #{charge.pk} now expires on {new:%d %b %Y}"
            + (" and is usable again." if new >= timezone.localdate() else "."),
        )
        return redirect(charge.agreement)

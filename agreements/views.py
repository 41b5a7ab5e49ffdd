from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils.translation import gettext
from django.views import View
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from accounts.models import Account
from accounts.platform import confirm, documents, permissions
from accounts.platform.access import can
from accounts.platform.bounds import parse_id
from accounts.platform.exporting import download
from accounts.platform.forms import DocumentForm
from accounts.platform.tenancy import tenant_reverse
from accounts.platform.views import (
    DatasetImportView,
    TabbedDetailView,
    TenantFormView,
    TenantListView,
    TenantViewMixin,
    save_with_service,
)
from agreements import access, selectors, services
from agreements.exports import PriceListExporter
from agreements.filters import (
    BookingFilter,
    DiscountFilter,
    PriceListFilter,
    ProductFilter,
)
from agreements.forms import (
    BookingForm,
    DiscountForm,
    InterestFormSet,
    PackageForm,
    PriceListEntryForm,
    PriceListForm,
    ProductForm,
    TaxRateForm,
)
from agreements.models import (
    Booking,
    DiscountAgreement,
    PriceList,
    PriceListEntry,
    Product,
    TaxRate,
    TrainingPackage,
)
from agreements.tables import (
    AccountBookingTable,
    BookingTable,
    DiscountTable,
    PriceListEntryTable,
    PriceListTable,
    ProductTable,
)
from agreements.tabs import booking_tabs


def _url(request, name, **kwargs):
    return reverse(name, kwargs={"tenant_slug": request.tenant.slug, **kwargs})


# --- Catalogue ----------------------------------------------------------------------------------


class ProductListView(TenantListView, SingleTableMixin, FilterView):
    title = "Products"
    subtitle = "Courses, items, fees and learning paths"
    table_class = ProductTable
    filterset_class = ProductFilter
    create_url_name = "agreements:product-create"
    create_label = "New product"
    create_permission = permissions.MANAGE_CATALOGUE

    def get_queryset(self):
        return selectors.product_list()


class ProductFormView(TenantFormView, View):
    form_class = ProductForm
    write_permission = permissions.MANAGE_CATALOGUE
    title_new, title_edit = "New product", "Edit product"

    def get_object(self):
        pk = self.kwargs.get("pk")
        return access.get_product_for_write(self.request, pk) if pk else Product()

    def save(self, form):
        return services.product_save(
            tenant=self.request.tenant, by=self.request.user, product=form.instance
        )

    def get_success_url(self, obj):
        return _url(self.request, "agreements:product-list")

    def get_cancel_url(self, obj):
        return _url(self.request, "agreements:product-list")


class CatalogueSetupView(TenantViewMixin, View):
    """Training packages and tax rates: short lists kept on one page."""

    write_permission = permissions.MANAGE_CATALOGUE
    template_name = "agreements/catalogue_setup.html"
    forms = {
        "package": (PackageForm, TrainingPackage, services.package_save, "package"),
        "tax_rate": (TaxRateForm, TaxRate, services.taxrate_save, "tax_rate"),
    }

    def render_page(self, bound=None, status=200):
        context = {
            "packages": selectors.package_list(),
            "tax_rates": TaxRate.objects.order_by("code"),
            "package_form": PackageForm(tenant=self.request.tenant, prefix="package"),
            "tax_rate_form": TaxRateForm(tenant=self.request.tenant, prefix="tax_rate"),
        }
        if bound is not None:
            context[f"{bound.prefix}_form"] = bound
        return render(self.request, self.template_name, context, status=status)

    def get(self, request):
        return self.render_page()

    def post(self, request):
        kind = request.POST.get("kind")
        if kind not in self.forms:
            raise Http404("Unknown kind of row.")
        form_class, model, save, argument = self.forms[kind]
        form = form_class(request.POST, tenant=request.tenant, prefix=kind, instance=model())
        if not save_with_service(
            form, lambda: save(tenant=request.tenant, by=request.user, **{argument: form.instance})
        ):
            return self.render_page(form, status=422)
        messages.success(request, gettext("%(instance)s added.") % {"instance": form.instance})
        return redirect(_url(request, "agreements:catalogue-setup"))


# --- Price lists --------------------------------------------------------------------------------


class PriceListListView(TenantListView, SingleTableMixin, FilterView):
    title = "Price lists"
    table_class = PriceListTable
    filterset_class = PriceListFilter
    create_url_name = "agreements:pricelist-create"
    create_label = "New price list"
    create_permission = permissions.EDIT_AGREEMENTS

    def get_queryset(self):
        return selectors.pricelist_list()


class PriceListFormView(TenantFormView, View):
    form_class = PriceListForm
    write_permission = permissions.EDIT_AGREEMENTS
    title_new, title_edit = "New price list", "Edit price list"

    def get_object(self):
        pk = self.kwargs.get("pk")
        return access.get_pricelist_for_write(self.request, pk) if pk else PriceList()

    def save(self, form):
        return services.pricelist_save(
            tenant=self.request.tenant, by=self.request.user, price_list=form.instance
        )


class PriceListDetailView(TenantViewMixin, View):
    write_permission = permissions.EDIT_AGREEMENTS
    template_name = "agreements/pricelist_detail.html"

    def render_page(self, price_list, entry_form, status=200):
        entries = PriceListEntry.objects.filter(price_list=price_list).select_related(
            "product", "price_list"
        )
        table = PriceListEntryTable(entries, order_by=self.request.GET.get("sort"))
        table.paginate(page=self.request.GET.get("page", 1), per_page=50)
        return render(
            self.request,
            self.template_name,
            {
                "price_list": price_list,
                "table": table,
                "entry_form": entry_form,
            },
            status=status,
        )

    def get(self, request, pk):
        price_list = access.get_pricelist_for_user(request, pk)
        form = PriceListEntryForm(tenant=request.tenant, price_list=price_list)
        return self.render_page(price_list, form)

    def post(self, request, pk):
        price_list = access.get_pricelist_for_write(request, pk)
        existing = None
        if request.POST.get("product"):
            existing = PriceListEntry.objects.filter(
                price_list=price_list, product_id=parse_id(request.POST["product"])
            ).first()
        form = PriceListEntryForm(
            request.POST, tenant=request.tenant, price_list=price_list, instance=existing
        )
        if not save_with_service(
            form,
            lambda: services.pricelist_entry_save(
                tenant=request.tenant, by=request.user, entry=form.instance
            ),
        ):
            return self.render_page(price_list, form, status=422)
        messages.success(
            request, gettext("Price of %(code)s saved.") % {"code": form.instance.product.code}
        )
        return redirect(price_list)


class PriceListImportView(DatasetImportView, View):
    permission = permissions.EDIT_AGREEMENTS
    write_permission = permissions.EDIT_AGREEMENTS

    def get_target(self, pk):
        return access.get_pricelist_for_write(self.request, pk)

    def run_import(self, target, dataset, *, dry_run, confirm):
        return services.pricelist_import(
            tenant=self.request.tenant,
            by=self.request.user,
            price_list=target,
            dataset=dataset,
            dry_run=dry_run,
        )

    def get_context(self, target):
        return {
            "title": f"Import prices into {target.name}",
            "back_url": target.get_absolute_url(),
            "back_label": target.name,
            "columns": ["product_code", "unit_price", "training_units_price (optional)"],
            "explanation": f"Prices are in {target.currency} and round to its minor unit. A "
            "product already on the list gets the new price.",
        }

    def success_message(self, report):
        return (
            f"Imported {report.new} new price{pluralize(report.new)} and changed "
            f"{report.updated} price{pluralize(report.updated)}."
        )


class PriceListExportView(TenantViewMixin, View):
    def get(self, request, pk, file_format):
        price_list = access.get_pricelist_for_user(request, pk)
        if file_format not in ("csv", "xlsx"):
            raise Http404("Export as csv or xlsx.")
        return download(PriceListExporter(price_list), file_format)


# --- Bookings -----------------------------------------------------------------------------------


class BookingListView(TenantListView, SingleTableMixin, FilterView):
    title = "Bookings"
    subtitle = "Framework agreements with customers"
    table_class = BookingTable
    filterset_class = BookingFilter
    create_url_name = "agreements:booking-create"
    create_label = "New booking"
    create_permission = permissions.EDIT_AGREEMENTS

    def get_queryset(self):
        return selectors.booking_list()


class BookingFormView(TenantFormView, View):
    form_class = BookingForm
    write_permission = permissions.EDIT_AGREEMENTS
    title_new, title_edit = "New booking", "Edit booking"

    def get_object(self):
        pk = self.kwargs.get("pk")
        return access.get_booking_for_write(self.request, pk) if pk else Booking()

    def get_initial(self):
        initial = {"owner": self.request.user.pk}
        account_id = self.request.GET.get("account")
        if parse_id(account_id):
            account = Account.objects.filter(pk=parse_id(account_id)).first()
            if account is not None:
                initial["account"] = account.pk
                initial["currency"] = services.booking_currency(self.request.tenant, account)
        return initial

    def save(self, form):
        return services.booking_save(
            tenant=self.request.tenant, by=self.request.user, booking=form.instance
        )


class BookingDetailView(TabbedDetailView, View):
    registry = booking_tabs
    template_name = "agreements/booking_detail.html"
    context_object_name = "booking"
    tab_url_name = "agreements:booking-tab"

    def get_object(self, pk):
        return access.get_booking_for_user(self.request, pk)


def booking_overview_context(request, booking):
    interests = list(booking.interests.select_related("product"))
    committed = [i.committed_value for i in interests if i.committed_value is not None]
    return {
        "interest_count": len(interests),
        "committed_value": sum(committed) if committed else None,
        "document_count": booking.documents.count(),
    }


def booking_interests_context(request, booking):
    formset = InterestFormSet(booking=booking, prefix="interests")
    return {"formset": formset}


def booking_documents_context(request, booking):
    return {
        "documents": booking.documents.select_related("uploaded_by"),
        "document_form": DocumentForm(),
    }


class BookingRowsFormsetView(TenantViewMixin, View):
    """Rows of a booking edited in place on one of its tabs (agreed prices, yearly uplifts): the
    formset's changed and deleted rows go to one service; the tab comes back with its errors
    (422) or, saved, with a message (htmx) or as a redirect."""

    write_permission = permissions.EDIT_AGREEMENTS
    formset_class = None
    prefix = ""
    tab = ""
    context_name = "formset"
    saved_message = ""

    def save(self, request, booking, changed, deleted):
        raise NotImplementedError

    def post(self, request, pk):
        booking = access.get_booking_for_write(request, pk)
        formset = self.formset_class(request.POST, booking=booking, prefix=self.prefix)
        status = 200
        if formset.is_valid():
            changed = [
                form.instance
                for form in formset.forms
                if form not in formset.deleted_forms and form.has_changed()
            ]
            deleted = [form.instance for form in formset.deleted_forms if form.instance.pk]
            try:
                self.save(request, booking, changed, deleted)
                messages.success(request, self.saved_message)
                formset = self.formset_class(booking=booking, prefix=self.prefix)
            except ValidationError as error:
                formset._non_form_errors = formset.error_class(error.messages)
                status = 422
        else:
            status = 422
        if status == 200 and not getattr(request, "htmx", None):
            return redirect(
                tenant_reverse("agreements:booking-tab", kwargs={"pk": booking.pk, "tab": self.tab})
            )
        page = BookingDetailView()
        page.setup(request, pk=pk)
        return page.render_page(booking, self.tab, {self.context_name: formset}, status=status)


class BookingInterestsView(BookingRowsFormsetView):
    """Agreed prices are edited in place on the booking's interests tab."""

    formset_class = InterestFormSet
    prefix = tab = "interests"
    saved_message = "Agreed prices saved."

    def save(self, request, booking, changed, deleted):
        services.booking_interests_update(
            tenant=request.tenant,
            by=request.user,
            booking=booking,
            changed=changed,
            deleted=deleted,
        )


class DocumentUploadView(TenantViewMixin, View):
    write_permission = permissions.EDIT_AGREEMENTS

    def post(self, request, pk):
        booking = access.get_booking_for_write(request, pk)
        form = DocumentForm(request.POST, request.FILES)
        stored = documents.upload_from_request(
            request,
            form,
            lambda upload, description: services.document_upload(
                tenant=request.tenant,
                by=request.user,
                booking=booking,
                upload=upload,
                description=description,
            ),
        )
        if stored is None:  # the tab again, with what to change and the description typed
            page = BookingDetailView()
            page.setup(request, pk=pk)
            return page.render_page(booking, "documents", {"document_form": form}, status=422)
        return redirect(
            tenant_reverse("agreements:booking-tab", kwargs={"pk": booking.pk, "tab": "documents"})
        )


class DocumentDownloadView(TenantViewMixin, View):
    """Files are served only here: the scoped lookup checks the tenant, the mixin the role."""

    def get(self, request, pk):
        return documents.serve(access.get_document_for_user(request, pk))


class DocumentDeleteView(TenantViewMixin, View):
    write_permission = permissions.EDIT_AGREEMENTS

    def post(self, request, pk):
        document = access.get_document_for_write(request, pk)
        booking_id = document.booking_id
        back = tenant_reverse(
            "agreements:booking-tab", kwargs={"pk": booking_id, "tab": "documents"}
        )
        if not confirm.confirmed(request):  # asks once
            question = documents.delete_question(
                document, attached_to=str(document.booking), cancel_url=back
            )
            return confirm.ask(request, **question)
        services.document_delete(tenant=request.tenant, by=request.user, document=document)
        messages.success(
            request,
            gettext("%(original_name)s deleted.") % {"original_name": document.original_name},
        )
        return redirect(back)


def account_bookings_context(request, account):
    bookings = selectors.booking_list().filter(account=account)
    return {
        "booking_table": AccountBookingTable(bookings),
        "can_add_booking": can(request, permissions.EDIT_AGREEMENTS),
    }


# --- Discount agreements ------------------------------------------------------------------------


class DiscountListView(TenantListView, SingleTableMixin, FilterView):
    title = "Discount agreements"
    table_class = DiscountTable
    filterset_class = DiscountFilter
    create_url_name = "agreements:discount-create"
    create_label = "New discount"
    create_permission = permissions.EDIT_AGREEMENTS

    def get_queryset(self):
        return selectors.discount_list()


class DiscountFormView(TenantFormView, View):
    form_class = DiscountForm
    write_permission = permissions.EDIT_AGREEMENTS
    title_new, title_edit = "New discount agreement", "Edit discount agreement"

    def get_object(self):
        pk = self.kwargs.get("pk")
        return access.get_discount_for_write(self.request, pk) if pk else DiscountAgreement()

    def save(self, form):
        return services.discount_save(
            tenant=self.request.tenant, by=self.request.user, discount=form.instance
        )

    def get_success_url(self, obj):
        return _url(self.request, "agreements:discount-list")

    def get_cancel_url(self, obj):
        return _url(self.request, "agreements:discount-list")

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views import View
from django.views.generic import TemplateView
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from accounts import selectors, services
from accounts.access import (
    get_account_for_user,
    get_account_for_write,
    get_contact_for_write,
    get_membership_for_admin,
)
from accounts.exports import AccountExporter
from accounts.filters import AccountFilter, account_options, contact_options, options_response
from accounts.forms import (
    AccountForm,
    BankAccountForm,
    ContactForm,
    MemberAddForm,
    MemberRoleForm,
    RegionForm,
    TenantSettingsForm,
)
from accounts.models import Account, AccountKind, BankAccount, Contact, Region
from accounts.platform import confirm, figures, permissions
from accounts.platform.access import can, require
from accounts.platform.bounds import parse_id
from accounts.platform.dashboard import panels
from accounts.platform.exporting import ListExportMixin
from accounts.platform.memberships import memberships_for_user
from accounts.platform.middleware import ADMIN_TENANT_SESSION_KEY
from accounts.platform.models import Membership
from accounts.platform.search import MAX_QUERY, search_providers, words
from accounts.platform.tabs import account_tabs
from accounts.platform.tenancy import tenant_reverse
from accounts.platform.views import (
    PaginateOnce,
    PlainFilterFields,
    SavedViewsMixin,
    TabbedDetailView,
    TenantFormView,
    TenantViewMixin,
    save_with_service,
)
from accounts.tables import AccountTable, ContactTable, MemberTable


class HomeView(LoginRequiredMixin, View):
    """After login: straight to the only company, or a choice between several."""

    def get(self, request):
        memberships = memberships_for_user(request.user)
        if len(memberships) == 1:
            return redirect("dashboard", tenant_slug=memberships[0].tenant.slug)
        return render(request, "accounts/home.html", {"memberships": memberships})


class DashboardView(TenantViewMixin, TemplateView):
    template_name = "accounts/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # Counted over the whole company (10,000 contacts: 2 ms): kept with the dashboard's other
        # figures until the company's next write.
        context["counts"] = figures.cached("tenant overview", selectors.tenant_overview)

        context["panels"] = [
            (panel.template_name, panel.get_context(self.request))
            for panel in panels
            if not panel.permission or can(self.request, panel.permission)
        ]
        context["recent_accounts"] = selectors.recent_accounts()
        return context


class AccountListView(
    ListExportMixin,
    PaginateOnce,
    PlainFilterFields,
    SavedViewsMixin,
    TenantViewMixin,
    SingleTableMixin,
    FilterView,
):
    """One COUNT per page (`PaginateOnce`); the contacts of the 25 rows shown are counted by a
    subquery per row, not by grouping every account's contacts before the LIMIT."""

    exporter_class = AccountExporter
    export_name = "accounts"
    table_class = AccountTable
    filterset_class = AccountFilter
    template_name = "accounts/account_list.html"

    def get_queryset(self):
        contacts = (
            Contact.objects.filter(account=OuterRef("pk"))
            .order_by()
            .values("account")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return (
            Account.objects.select_related("region", "parent")
            .annotate(contact_count=Coalesce(Subquery(contacts), 0))
            .order_by("name", "pk")
        )


class AccountOptionsView(TenantViewMixin, View):
    """The `<option>`s of at most 20 accounts matching `?q=` (name or number), for the search box
    of an account filter (`accounts.filters.SearchSelect`); `kind=organisation` and `parents=1`
    narrow them to what the filter accepts."""

    def get(self, request):
        accounts = Account.objects.all()
        if request.GET.get("kind") == AccountKind.ORGANISATION:
            accounts = accounts.filter(kind=AccountKind.ORGANISATION)
        if request.GET.get("parents"):
            accounts = accounts.filter(
                pk__in=Account.objects.filter(parent__isnull=False).values("parent")
            )
        query = request.GET.get("q", "")[:100]
        rows = [(account.pk, str(account)) for account in account_options(accounts, query)]
        return options_response(request, rows, query)


class ContactOptionsView(TenantViewMixin, View):
    """The `<option>`s of at most 20 contacts matching `?q=` (words of the name or e-mail), for
    a form's contact field (`accounts.filters.RemoteSearchSelect`), each with its account."""

    def get(self, request):
        query = request.GET.get("q", "")[:100]
        rows = [
            (contact.pk, f"{contact.full_name} · {contact.account.name}")
            for contact in contact_options(Contact.objects.all(), query)
        ]
        return options_response(request, rows, query)


class AccountFormView(TenantViewMixin, View):
    permission = permissions.VIEW
    write_permission = permissions.EDIT_CUSTOMERS
    template_name = "accounts/account_form.html"

    def get_account(self):
        pk = self.kwargs.get("pk")
        return get_account_for_write(self.request, pk) if pk else Account()

    def get(self, request, pk=None):
        account = self.get_account()
        initial = {}
        if not account.pk:
            initial = {"kind": request.GET.get("kind") or "organisation"}
            if request.GET.get("parent"):
                initial["parent"] = request.GET["parent"]
        form = AccountForm(instance=account, tenant=request.tenant, initial=initial)
        return render(request, self.template_name, {"form": form, "account": account})

    def post(self, request, pk=None):
        account = self.get_account()
        form = AccountForm(request.POST, instance=account, tenant=request.tenant)
        is_new = account.pk is None
        saved = save_with_service(
            form,
            lambda: services.account_save(
                tenant=request.tenant, by=request.user, account=form.instance
            ),
        )
        if not saved:
            return render(
                request, self.template_name, {"form": form, "account": account}, status=422
            )
        verb = "created" if is_new else "saved"
        messages.success(
            request,
            gettext("Account %(instance_name)s %(verb)s.")
            % {"instance_name": form.instance.name, "verb": verb},
        )
        return redirect(form.instance)


class AccountDetailView(TabbedDetailView, View):
    registry = account_tabs
    template_name = "accounts/account_detail.html"
    context_object_name = "account"
    tab_url_name = "accounts:account-tab"

    def get_object(self, pk):
        return get_account_for_user(self.request, pk)


def overview_tab_context(request, account):
    return {
        "children": list(account.children.order_by("name").only("pk", "name", "number")),
        "billing_account": account.billing_account,
        "primary_contact": Contact.objects.filter(account=account, is_primary=True).first(),
    }


def contacts_tab_context(request, account):
    return {"contact_table": ContactTable(selectors.account_contacts(account), orderable=False)}


class ContactFormView(TenantViewMixin, View):
    write_permission = permissions.EDIT_CUSTOMERS
    template_name = "accounts/contact_form.html"

    def setup_objects(self, account_pk, pk):
        account = get_account_for_write(self.request, account_pk)
        contact = get_contact_for_write(self.request, account, pk) if pk else Contact()
        return account, contact

    def get(self, request, account_pk, pk=None):
        account, contact = self.setup_objects(account_pk, pk)
        form = ContactForm(instance=contact, tenant=request.tenant, account=account)
        return render(
            request, self.template_name, {"form": form, "account": account, "contact": contact}
        )

    def post(self, request, account_pk, pk=None):
        account, contact = self.setup_objects(account_pk, pk)
        form = ContactForm(request.POST, instance=contact, tenant=request.tenant, account=account)
        saved = save_with_service(
            form,
            lambda: services.contact_save(
                tenant=request.tenant, by=request.user, contact=form.instance
            ),
        )
        if not saved:
            return render(
                request,
                self.template_name,
                {"form": form, "account": account, "contact": contact},
                status=422,
            )
        messages.success(
            request,
            gettext("Contact %(full_name)s saved.") % {"full_name": form.instance.full_name},
        )
        return redirect(contacts_url(account))


def contacts_url(account):
    return tenant_reverse(
        "accounts:account-tab",
        tenant_id=account.tenant_id,
        kwargs={"pk": account.pk, "tab": "contacts"},
    )


class ContactDeleteView(TenantViewMixin, View):
    write_permission = permissions.EDIT_CUSTOMERS
    template_name = "accounts/contact_confirm_delete.html"

    def get(self, request, account_pk, pk):
        account = get_account_for_write(request, account_pk)
        contact = get_contact_for_write(request, account, pk)
        return render(request, self.template_name, {"account": account, "contact": contact})

    def post(self, request, account_pk, pk):
        account = get_account_for_write(request, account_pk)
        contact = get_contact_for_write(request, account, pk)
        services.contact_delete(tenant=request.tenant, by=request.user, contact=contact)
        messages.success(
            request, gettext("Contact %(full_name)s deleted.") % {"full_name": contact.full_name}
        )
        return redirect(contacts_url(account))


class RegionListView(TenantViewMixin, View):
    write_permission = permissions.EDIT_CUSTOMERS
    template_name = "accounts/region_list.html"

    def render_page(self, form, status=200):
        return render(
            self.request,
            self.template_name,
            {"regions": selectors.region_list(), "form": form},
            status=status,
        )

    def get(self, request):
        return self.render_page(RegionForm(tenant=request.tenant))

    def post(self, request):
        region = None
        if request.POST.get("region_id"):
            region = Region.objects.filter(pk=parse_id(request.POST["region_id"])).first()
            if region is None:
                raise Http404("No such region.")
        form = RegionForm(request.POST, instance=region, tenant=request.tenant)
        saved = save_with_service(
            form,
            lambda: services.region_save(
                tenant=request.tenant, by=request.user, region=form.instance
            ),
        )
        if not saved:
            return self.render_page(form, status=422)
        messages.success(
            request,
            gettext("Region %(instance_name)s saved.") % {"instance_name": form.instance.name},
        )
        return redirect("accounts:region-list", tenant_slug=request.tenant.slug)


class MembersView(TenantViewMixin, View):
    permission = permissions.MANAGE_TENANT
    write_permission = permissions.MANAGE_TENANT
    template_name = "accounts/members.html"

    def render_page(self, form, status=200):

        table = MemberTable(Membership.objects.select_related("user"), orderable=False)
        return render(
            self.request, self.template_name, {"table": table, "form": form}, status=status
        )

    def get(self, request):
        return self.render_page(MemberAddForm())

    def post(self, request):
        form = MemberAddForm(request.POST)

        def add():
            services.membership_add(
                tenant=request.tenant,
                by=request.user,
                invite_base_url=request.build_absolute_uri("/"),
                **form.cleaned_data,
            )

        if not save_with_service(form, add):
            return self.render_page(form, status=422)
        # The same answer whether or not the address has a user account (the typed address,
        # never the stored one): the page must not tell who uses the platform.
        messages.success(
            request,
            services.invitation_sent(email=form.cleaned_data["email"], tenant=request.tenant),
        )
        return redirect("accounts:members", tenant_slug=request.tenant.slug)


class MemberRoleView(TenantViewMixin, View):
    permission = permissions.MANAGE_TENANT
    write_permission = permissions.MANAGE_TENANT

    def post(self, request, pk):
        membership = get_membership_for_admin(request, pk)
        form = MemberRoleForm(request.POST, instance=membership)
        if form.is_valid():
            try:
                services.membership_change_role(
                    tenant=request.tenant,
                    by=request.user,
                    membership=membership,
                    role=form.cleaned_data["role"],
                )
                messages.success(
                    request,
                    gettext("%(email)s is now %(get_role_display)s.")
                    % {
                        "email": membership.user.email,
                        "get_role_display": membership.get_role_display(),
                    },
                )
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
        else:
            messages.error(request, gettext("Choose one of the listed roles."))
        return redirect("accounts:members", tenant_slug=request.tenant.slug)


class MemberRemoveView(TenantViewMixin, View):
    permission = permissions.MANAGE_TENANT
    write_permission = permissions.MANAGE_TENANT

    def post(self, request, pk):
        membership = get_membership_for_admin(request, pk)
        if not confirm.confirmed(request):  # asks once, unless it would be refused anyway
            try:
                confirm.dry_run(
                    lambda: services.membership_remove(
                        tenant=request.tenant, by=request.user, membership=membership
                    )
                )
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
                return redirect("accounts:members", tenant_slug=request.tenant.slug)
            return confirm.ask(
                request,
                title=gettext("Remove %(email)s") % {"email": membership.user.email},
                question=(
                    f"Remove {membership.user.email} ({membership.get_role_display().lower()}) "
                    f"from {request.tenant.name}? They can no longer open any of its pages; "
                    "what they did stays in the history."
                ),
                warning="To give them access again, add them as a member again.",
                button="Remove the member",
                cancel_url=reverse("accounts:members", kwargs={"tenant_slug": request.tenant.slug}),
            )
        try:
            services.membership_remove(
                tenant=request.tenant, by=request.user, membership=membership
            )
            messages.success(
                request,
                gettext("%(email)s no longer has access.") % {"email": membership.user.email},
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect("accounts:members", tenant_slug=request.tenant.slug)


class TenantSettingsView(TenantViewMixin, View):
    permission = permissions.MANAGE_TENANT
    write_permission = permissions.MANAGE_TENANT
    template_name = "accounts/tenant_settings.html"

    def get(self, request):
        form = TenantSettingsForm(instance=request.tenant)
        return render(request, self.template_name, {"form": form})

    def post(self, request):
        form = TenantSettingsForm(request.POST, request.FILES, instance=request.tenant)
        saved = save_with_service(
            form,
            lambda: services.tenant_update(
                tenant=request.tenant,
                by=request.user,
                # The form has put the new logo (or its removal) on the instance already.
                **{name: form.cleaned_data[name] for name in form.Meta.fields if name != "logo"},
            ),
        )
        if not saved:
            return render(request, self.template_name, {"form": form}, status=422)
        messages.success(request, gettext("Company settings saved."))
        return redirect("accounts:settings", tenant_slug=request.tenant.slug)


def get_bank_account_for_admin(request, pk) -> BankAccount:
    """One of the company's bank accounts (404 for another company's), for its admins."""
    require(request, permissions.MANAGE_TENANT)
    return get_object_or_404(BankAccount, pk=pk)


class BankAccountListView(TenantViewMixin, View):
    """The company's bank accounts (admins): the list, and a form to add one."""

    permission = permissions.MANAGE_TENANT
    write_permission = permissions.MANAGE_TENANT
    template_name = "accounts/bank_accounts.html"

    def render_page(self, form, status=200):
        return render(
            self.request,
            self.template_name,
            {"bank_accounts": BankAccount.objects.all(), "form": form},
            status=status,
        )

    def get(self, request):
        initial = {"currency": request.tenant.base_currency}
        if not BankAccount.objects.filter(is_default=True).exists():
            initial["is_default"] = True
        return self.render_page(BankAccountForm(tenant=request.tenant, initial=initial))

    def post(self, request):
        form = BankAccountForm(request.POST, instance=BankAccount(), tenant=request.tenant)
        saved = save_with_service(
            form,
            lambda: services.bank_account_save(
                tenant=request.tenant, by=request.user, bank_account=form.instance
            ),
        )
        if not saved:
            return self.render_page(form, status=422)
        messages.success(
            request, gettext("Bank account %(label)s added.") % {"label": form.instance.label}
        )
        return redirect("accounts:bank-accounts", tenant_slug=request.tenant.slug)


class BankAccountEditView(TenantFormView, View):
    permission = permissions.MANAGE_TENANT
    write_permission = permissions.MANAGE_TENANT
    form_class = BankAccountForm
    title_edit = "Edit bank account"

    def get_object(self):
        return get_bank_account_for_admin(self.request, self.kwargs["pk"])

    def save(self, form):
        return services.bank_account_save(
            tenant=self.request.tenant, by=self.request.user, bank_account=form.instance
        )


class BankAccountDeactivateView(TenantViewMixin, View):
    permission = permissions.MANAGE_TENANT
    write_permission = permissions.MANAGE_TENANT

    def post(self, request, pk):
        bank_account = get_bank_account_for_admin(request, pk)
        if not confirm.confirmed(request):  # asks once
            return confirm.ask(
                request,
                title=gettext("Deactivate %(label)s") % {"label": bank_account.label},
                question=(
                    f"Deactivate {bank_account.label} ({bank_account.currency}"
                    f"{', ' + bank_account.iban if bank_account.iban else ''})? New invoices no "
                    "longer print it; invoices issued already keep it."
                    + (
                        " It is the default account: choose another default on this page."
                        if bank_account.is_default
                        else ""
                    )
                ),
                button="Deactivate",
                cancel_url=reverse(
                    "accounts:bank-accounts", kwargs={"tenant_slug": request.tenant.slug}
                ),
            )
        try:
            services.bank_account_deactivate(
                tenant=request.tenant, by=request.user, bank_account=bank_account
            )
            messages.success(
                request,
                gettext("%(label)s is no longer printed on new invoices; issued ones keep it.")
                % {"label": bank_account.label},
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect("accounts:bank-accounts", tenant_slug=request.tenant.slug)


class AdminSwitchView(TenantViewMixin, View):
    """Open the Django admin for this company (tenant admins only)."""

    permission = permissions.MANAGE_TENANT

    def get(self, request):
        request.session[ADMIN_TENANT_SESSION_KEY] = request.tenant.pk
        return HttpResponseRedirect(reverse("admin:index"))


class SearchView(TenantViewMixin, View):
    """The navbar's search box: the first hits of every kind the user may see, grouped."""

    limit = 8

    def get(self, request):
        query = request.GET.get("q", "").strip()[:MAX_QUERY]
        groups = []
        if words(query):
            for provider in search_providers:
                if provider.permission and not can(request, provider.permission):
                    continue
                result = provider.find(request, query, self.limit)
                groups.append((provider, result))
        return render(
            request,
            "accounts/search.html",
            {
                "query": query,
                "groups": [(p, r) for p, r in groups if r.total],
                "searched": bool(words(query)),
            },
        )

"""A billing account's review page (issue 13, part 3): every project billed to the account with
its rows ready to invoice (`projects.selectors.ready_to_invoice_across`, the project tab's one
definition), ticked together into one invoice across the projects or one per project
(`services.account_drafts_create`)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View

from accounts.platform import permissions
from accounts.platform.bounds import parse_id
from accounts.platform.views import TenantViewMixin
from invoicing import access, services
from invoicing.forms import AccountGroupingForm
from projects.models import Project
from projects.selectors import ready_to_invoice_across


class AccountReadyView(TenantViewMixin, View):
    permission = permissions.INVOICE
    write_permission = permissions.INVOICE
    template_name = "invoicing/account_ready.html"

    def render_page(self, account, form, ticked=frozenset()):
        projects = list(Project.objects.filter(billing_account=account).order_by("code", "pk"))
        ready = ready_to_invoice_across(projects)
        for entry in ready:  # what was ticked stays ticked when the page comes back refused
            for row in entry["ready_registrations"]:
                row.ticked = ("r", row.pk) in ticked
            for row in entry["ready_items"]:
                row.ticked = ("i", row.pk) in ticked
        return render(
            self.request,
            self.template_name,
            {
                "account": account,
                "form": form,
                "ready_projects": ready,
                "has_rows": any(p["ready_registrations"] or p["ready_items"] for p in ready),
                "ticked": ticked,
            },
        )

    def get(self, request, account_pk):
        account = access.get_billing_account_for_invoicing(request, account_pk)
        return self.render_page(account, AccountGroupingForm())

    def post(self, request, account_pk):
        account = access.get_billing_account_for_invoicing(request, account_pk)
        registration_ids = [pk for pk in map(parse_id, request.POST.getlist("selected")) if pk]
        item_ids = [pk for pk in map(parse_id, request.POST.getlist("selected_items")) if pk]
        form = AccountGroupingForm(request.POST)
        if form.is_valid():
            try:
                invoices = services.account_drafts_create(
                    tenant=request.tenant,
                    by=request.user,
                    billing_account=account,
                    registration_ids=registration_ids,
                    item_ids=item_ids,
                    grouping=form.cleaned_data["grouping"],
                )
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(
                    request,
                    ngettext(
                        "%(count)d draft invoice created.",
                        "%(count)d draft invoices created.",
                        len(invoices),
                    )
                    % {"count": len(invoices)},
                )
                if len(invoices) == 1:
                    return redirect(invoices[0])
                return redirect(account.get_absolute_url() + "invoices/")
        else:
            messages.error(request, _("Choose how to group the invoices."))
        ticked = {("r", pk) for pk in registration_ids} | {("i", pk) for pk in item_ids}
        return self.render_page(account, form, ticked)

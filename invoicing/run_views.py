"""Pages of bulk invoicing runs: the list and one run's progress."""

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.views import View

from accounts.platform import confirm, permissions
from accounts.platform.views import TenantViewMixin
from invoicing import access, confirmations, selectors, services
from invoicing.forms import (
    RunForm,
)
from invoicing.models import InvoiceRun
from invoicing.run_previews import planned_invoices
from invoicing.tables import RunInvoiceTable


def _url(request, name, **kwargs):
    return reverse(name, kwargs={"tenant_slug": request.tenant.slug, **kwargs})


class RunListView(TenantViewMixin, View):
    """Start a bulk run: filters → preview (count, totals per currency, what is left out)."""

    write_permission = permissions.INVOICE
    template_name = "invoicing/run_new.html"

    def get(self, request):
        form = RunForm(request.GET or None)
        context = {"form": form, "runs": InvoiceRun.objects.select_related("created_by")[:20]}
        if request.GET and form.is_valid():
            data = form.cleaned_data
            included, excluded = selectors.run_candidates(
                date_from=data["date_from"],
                date_to=data["date_to"],
                account=data["account"],
                region=data["region"],
                project=data["project"],
                include_internal=data["include_internal"],
                skip_no_more_transactions=data["skip_no_more_transactions"],
            )
            context.update(
                preview=selectors.run_preview(included, data["grouping"]),
                planned=planned_invoices(included, data["grouping"]),  # each invoice, listed
                excluded=excluded,
                key=uuid.uuid4().hex,
                selection=form.selection(),
            )
        return render(request, self.template_name, context)

    def post(self, request):
        form = RunForm(request.POST)
        key = request.POST.get("key", "")
        # The key is the preview's uuid4 (hex): anything else was not sent by the preview.
        if not form.is_valid() or not (len(key) == 32 and key.isascii() and key.isalnum()):
            messages.error(request, gettext("Check the filters and preview the run again."))
            return redirect(_url(request, "invoicing:run-list"))
        try:
            run, _created = services.run_start(
                tenant=request.tenant,
                by=request.user,
                key=key,
                selection=form.selection(),
                grouping=form.cleaned_data["grouping"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(_url(request, "invoicing:run-list"))
        return redirect(run)


class RunDetailView(TenantViewMixin, View):
    write_permission = permissions.INVOICE

    def get(self, request, pk):
        detail = selectors.run_detail(access.get_run_for_user(request, pk))
        template = (
            "invoicing/partials/run_progress.html"
            if getattr(request, "htmx", None)
            else "invoicing/run_detail.html"
        )
        run, mail_counts = detail["run"], selectors.run_mail_counts(detail["run"])
        return render(
            request,
            template,
            {
                "run": run,
                "table": RunInvoiceTable(detail["invoices"][:200]),
                "drafts": detail["drafts"],
                "mail": mail_counts,
                "polling": run.is_working or mail_counts["sending"],
            },
        )

    def post(self, request, pk):
        run = access.get_run_for_write(request, pk)
        try:
            if request.POST.get("action") == "issue":
                if not confirm.confirmed(request):  # asks once, with counts and totals
                    return confirm.ask(request, **confirmations.issue_run(request, run))
                services.run_issue_start(tenant=request.tenant, by=request.user, run=run)
                messages.success(request, gettext("Issuing started."))
            elif request.POST.get("action") == "resume":
                services.run_resume(tenant=request.tenant, by=request.user, run=run)
                messages.success(request, gettext("The run continues with what is left."))
            elif request.POST.get("action") == "send_all":
                started = services.run_send_start(tenant=request.tenant, by=request.user, run=run)
                queued = started["queued"]
                messages.success(
                    request,
                    ngettext(
                        "Sending %(queued)s e-mail in the background.",
                        "Sending %(queued)s e-mails in the background.",
                        queued,
                    )
                    % {"queued": queued},
                )
                if started["without_address"]:
                    missing = started["without_address"]
                    messages.warning(
                        request,
                        (
                            gettext(
                                "%(missing)s document%(else)s (%(missing2)s%(else2)s) not sent: "
                                "the billing account has no e-mail address. Enter one in its “Send "
                                "invoices to” field, then press Send all again."
                            )
                            % {
                                "missing": len(missing),
                                "else": "s" if len(missing) != 1 else "",
                                "missing2": ", ".join(missing[:5]),
                                "else2": " …" if len(missing) > 5 else "",
                            }
                        ),
                    )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect(run)

import io
import zipfile

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.views import View
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from accounts.platform import confirm, figures, permissions
from accounts.platform.access import can, require
from accounts.platform.bounds import parse_id
from accounts.platform.exporting import ListExportMixin, download
from accounts.platform.forms import add_service_error
from accounts.platform.views import TenantListView, TenantViewMixin, save_with_service
from invoicing import access, confirmations, einvoice, mail, selectors, services
from invoicing.exports import InvoiceExporter, InvoiceLineExporter
from invoicing.filters import InvoiceFilter
from invoicing.forms import (
    CreditForm,
    DepositForm,
    ExchangeRateForm,
    GroupingForm,
    InvoicingSettingsForm,
    LineForm,
)
from invoicing.models import DeliveryStatus, ExchangeRate
from invoicing.payment_views import account_payments_context, invoice_payments_context
from invoicing.reminder_views import account_reminders_context, invoice_reminders
from invoicing.services.deposits import COMMITTED_VALUE_TEXT, committed_value
from invoicing.tables import CompactInvoiceTable, InvoiceTable
from invoicing.tasks import render_invoice_pdf
from projects.access import get_project_for_user
from projects.models import Item, Registration
from projects.selectors import ready_to_invoice


def _url(request, name, **kwargs):
    return reverse(name, kwargs={"tenant_slug": request.tenant.slug, **kwargs})


class InvoiceListView(ListExportMixin, TenantListView, SingleTableMixin, FilterView):
    permission = permissions.SEE_MONEY  # the page and its CSV/XLSX, together
    exporter_class = InvoiceExporter
    export_name = "invoices"
    title = "Invoices"
    subtitle = "Invoices, credit notes and drafts"
    table_class = InvoiceTable
    filterset_class = InvoiceFilter
    template_name = "invoicing/invoice_list.html"

    def get_queryset(self):
        return access.shared_invoices(self.request, selectors.invoice_list())


class InvoiceDetailView(TenantViewMixin, View):
    write_permission = permissions.INVOICE
    template_name = "invoicing/invoice_detail.html"

    def get(self, request, pk):
        invoice = access.get_invoice_for_user(request, pk)
        if request.GET.get("export") in ("csv", "xlsx"):
            require(request, permissions.SEE_MONEY)
            exporter = InvoiceLineExporter(
                invoice.lines.all(), file_name=f"lines-{invoice.number or invoice.pk}"
            )
            return download(exporter, request.GET["export"])
        detail = selectors.invoice_detail(invoice)  # with its state and outstanding amount
        return render(
            request,
            self.template_name,
            {
                **detail,
                **self.mail_context(invoice),
                **invoice_payments_context(request, detail["invoice"]),
                "reminders": invoice_reminders(invoice),
                "can_invoice": can(request, permissions.INVOICE),
            },
        )

    @staticmethod
    def mail_context(invoice) -> dict:
        """The delivery log, and who *Send* would e-mail (or why it cannot) in which round."""
        if invoice.is_draft:
            return {}
        to, cc = mail.recipients(invoice)
        deliveries = list(selectors.deliveries_of(invoice))
        return {
            "deliveries": deliveries,
            "send": {
                "to": to,
                "cc": cc,
                "problem": "" if to else mail.no_address_message(invoice),
                "round": selectors.latest_round(invoice, to) + 1 if to else 1,
                "again": any(
                    delivery.recipient == to and delivery.status != DeliveryStatus.FAILED
                    for delivery in deliveries
                ),
                "attachments": mail.attachment_names(invoice),
                "ubl_available": einvoice.is_supported(invoice),
            },
        }

    # The form's `action` → the method that parses it and calls its one service.
    actions = {
        "issue": "issue",
        "delete": "delete_draft",
        "credit": "credit",
        "line": "update_line",
        "send": "send",
        "resend": "send",
        "retry": "retry",
    }

    def post(self, request, pk):
        invoice = access.get_invoice_for_write(request, pk)
        handler = self.actions.get(request.POST.get("action"))
        if handler is None:
            raise Http404("Unknown action.")
        try:
            return getattr(self, handler)(request, invoice)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect(invoice)

    def issue(self, request, invoice):
        if not confirm.confirmed(request):  # asks once, with the number and totals
            return confirm.ask(request, **confirmations.issue(request, invoice))
        invoice = services.invoice_issue(tenant=request.tenant, by=request.user, invoice=invoice)
        messages.success(
            request, gettext("%(invoice_number)s issued.") % {"invoice_number": invoice.number}
        )
        return redirect(invoice)

    def delete_draft(self, request, invoice):
        if not confirm.confirmed(request):  # asks once, with what the draft holds
            return confirm.ask(request, **confirmations.delete_draft(request, invoice))
        services.draft_delete(tenant=request.tenant, by=request.user, invoice=invoice)
        messages.success(request, gettext("Draft deleted; its rows can be invoiced again."))
        return redirect(invoice.project.get_absolute_url() + "invoices/")

    def credit(self, request, invoice):
        form = CreditForm(request.POST, invoice=invoice)
        if not form.is_valid():
            raise ValidationError(gettext("Say why the invoice is credited."))
        if not confirm.confirmed(request):  # asks once, with the lines, number and totals
            question = confirmations.credit(
                request,
                invoice,
                line_ids=form.cleaned_data["lines"] or None,
                reason=form.cleaned_data["reason"],
            )
            return confirm.ask(request, **question)
        note = services.invoice_credit(
            tenant=request.tenant,
            by=request.user,
            invoice=invoice,
            line_ids=form.cleaned_data["lines"] or None,
            reason=form.cleaned_data["reason"],
        )
        messages.success(
            request, gettext("Credit note %(note_number)s issued.") % {"note_number": note.number}
        )
        return redirect(note)

    def send(self, request, invoice):
        """*Send* and *Send again*: the round comes from the page, so a double click (or a
        replayed form) finds its round claimed and sends nothing more."""
        round_ = parse_id(request.POST.get("round"))
        if round_ is None:
            raise ValidationError(gettext("Reload the page and send again."))
        delivery, sent_now = services.invoice_send(
            tenant=request.tenant, by=request.user, invoice=invoice, round=round_
        )
        if not sent_now:
            messages.info(
                request,
                (
                    gettext(
                        "%(invoice_number)s was e-mailed to %(recipient)s already (%(lower)s): "
                        "nothing was sent twice."
                    )
                    % {
                        "invoice_number": invoice.number,
                        "recipient": delivery.recipient,
                        "lower": delivery.get_status_display().lower(),
                    }
                ),
            )
        elif delivery.status == DeliveryStatus.SENT:
            messages.success(
                request,
                gettext("%(invoice_number)s e-mailed to %(recipient)s.")
                % {"invoice_number": invoice.number, "recipient": delivery.recipient},
            )
        else:
            messages.error(
                request,
                gettext("%(invoice_number)s was not sent: %(error)s")
                % {"invoice_number": invoice.number, "error": delivery.error},
            )
        return redirect(invoice)

    def retry(self, request, invoice):
        delivery = invoice.deliveries.filter(pk=parse_id(request.POST.get("delivery"))).first()
        if delivery is None:
            raise Http404("No such delivery.")
        delivery = services.delivery_retry(
            tenant=request.tenant, by=request.user, delivery=delivery
        )
        if delivery.status == DeliveryStatus.SENT:
            messages.success(
                request,
                gettext("%(invoice_number)s e-mailed to %(recipient)s.")
                % {"invoice_number": invoice.number, "recipient": delivery.recipient},
            )
        else:
            messages.error(
                request,
                gettext("%(invoice_number)s was not sent: %(error)s")
                % {"invoice_number": invoice.number, "error": delivery.error},
            )
        return redirect(invoice)

    def update_line(self, request, invoice):
        line = invoice.lines.filter(pk=parse_id(request.POST.get("line"))).first()
        form = LineForm(request.POST)
        if line is None or not form.is_valid():
            raise ValidationError(gettext("Enter a quantity and a unit price."))
        services.draft_line_update(
            tenant=request.tenant, by=request.user, line=line, **form.cleaned_data
        )
        messages.success(request, gettext("Line updated."))
        return redirect(invoice)


class InvoicePdfView(TenantViewMixin, View):
    """The stored PDF, unchanged; rendered now if the background task has not run yet."""

    def get(self, request, pk):
        invoice = access.get_invoice_for_user(request, pk)
        if invoice.is_draft:
            raise Http404("Drafts have no PDF: issue the invoice first.")
        if not invoice.pdf:
            render_invoice_pdf.func(tenant_id=request.tenant.pk, invoice_id=invoice.pk)
            invoice.refresh_from_db()
        response = FileResponse(
            invoice.pdf.open("rb"),
            content_type="application/pdf",
            filename=f"{invoice.number}.pdf",
            as_attachment=request.GET.get("download") == "1",
        )
        return response


class InvoiceUblView(TenantViewMixin, View):
    """The UBL 2.1 e-invoice (Peppol BIS Billing 3.0) of an issued invoice or credit note,
    written from its frozen snapshot: the same content as the Factur-X XML inside the PDF."""

    def get(self, request, pk):
        invoice = access.get_invoice_for_user(request, pk)
        if invoice.is_draft:
            raise Http404("Drafts have no e-invoice: issue the invoice first.")
        try:
            content = einvoice.ubl_xml(invoice)
        except einvoice.EInvoiceUnavailable as refusal:
            messages.error(request, str(refusal))
            return redirect(invoice)
        response = HttpResponse(content, content_type="application/xml; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{invoice.number}.xml"'
        return response


class InvoiceZipView(TenantViewMixin, View):
    """The ticked issued invoices' PDFs and UBL e-invoices in one ZIP (a read: GET with
    ?selected=…)."""

    def get(self, request):
        ids = [pk for pk in map(parse_id, request.GET.getlist("selected")) if pk]
        invoices = list(
            access.shared_invoices(request, selectors.issued_documents())
            .filter(pk__in=ids)
            .select_related("credits")
            .prefetch_related("lines")
        )
        if not invoices:
            messages.error(request, gettext("Tick one or more issued invoices to download."))
            return redirect(_url(request, "invoicing:invoice-list"))

        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for invoice in invoices:
                if not invoice.pdf:
                    render_invoice_pdf.func(tenant_id=request.tenant.pk, invoice_id=invoice.pk)
                    invoice.refresh_from_db(fields=["pdf"])
                with invoice.pdf.open("rb") as handle:
                    archive.writestr(f"{invoice.number}.pdf", handle.read())
                if einvoice.is_supported(invoice):  # not e.g. KWD: the PDF only
                    archive.writestr(f"{invoice.number}.xml", einvoice.ubl_xml(invoice))
        response = HttpResponse(buffer.getvalue(), content_type="application/zip")
        response["Content-Disposition"] = 'attachment; filename="invoices.zip"'
        return response


class InvoiceFromSelectionView(TenantViewMixin, View):
    """Review the ticked registrations and items (with why any cannot be invoiced), choose the
    grouping, and create the drafts."""

    permission = permissions.INVOICE
    write_permission = permissions.INVOICE
    template_name = "invoicing/invoice_from_selection.html"

    def post(self, request, project_pk):
        project = get_project_for_user(request, project_pk)
        registration_ids = [pk for pk in map(parse_id, request.POST.getlist("selected")) if pk]
        item_ids = [pk for pk in map(parse_id, request.POST.getlist("selected_items")) if pk]
        rows = selectors.selection_rows(
            project, registration_ids=registration_ids, item_ids=item_ids
        )
        form = GroupingForm(request.POST if "grouping" in request.POST else None)
        if "create" in request.POST and form.is_valid():
            try:
                invoices = services.drafts_create(
                    tenant=request.tenant,
                    by=request.user,
                    project=project,
                    registration_ids=[
                        r.pk for r, problem in rows if isinstance(r, Registration) and not problem
                    ],
                    item_ids=[r.pk for r, problem in rows if isinstance(r, Item) and not problem],
                    grouping=form.cleaned_data["grouping"],
                )
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(
                    request,
                    ngettext(
                        "%(invoices)s draft invoice created.",
                        "%(invoices)s draft invoices created.",
                        len(invoices),
                    )
                    % {"invoices": len(invoices)},
                )
                return redirect(
                    invoices[0] if len(invoices) == 1 else project.get_absolute_url() + "invoices/"
                )
        return render(
            request,
            self.template_name,
            {
                "project": project,
                "rows": rows,
                "form": form or GroupingForm(),
                "ok_count": sum(1 for _, problem in rows if not problem),
                # Who shares the lines (`invoicing.services.funding`), said before drafting.
                "funders": [str(funder) for funder in project.funders.all()],
            },
        )


class DepositCreateView(TenantViewMixin, View):
    """Invoice a deposit on a project: an amount or a percentage of its committed value, then
    what the deposit invoice will be (asked once to confirm), then its draft."""

    permission = permissions.INVOICE
    write_permission = permissions.INVOICE
    template_name = "invoicing/deposit_form.html"

    def render_page(self, project, form, plan=None, status=200):
        return render(
            self.request,
            self.template_name,
            {
                "project": project,
                "form": form,
                "plan": plan,
                "committed": committed_value(project),
                "committed_text": COMMITTED_VALUE_TEXT,
                **selectors.billing_summary(project),  # what is left under the cap, as the tab
                **selectors.deposit_summary(project),
            },
            status=status,
        )

    def get(self, request, project_pk):
        project = get_project_for_user(request, project_pk)
        return self.render_page(project, DepositForm())

    def post(self, request, project_pk):
        project = get_project_for_user(request, project_pk)
        form = DepositForm(request.POST)
        if not form.is_valid():
            return self.render_page(project, form, status=422)
        data = form.cleaned_data
        call = {"tenant": request.tenant, "project": project}
        call.update(amount=data["amount"], percent=data["percent"])
        try:
            if not data["confirm"]:
                return self.render_page(project, form, plan=services.deposit_plan(**call))
            invoice = services.deposit_create(by=request.user, **call)
        except ValidationError as error:
            add_service_error(form, error)
            return self.render_page(project, form, status=422)
        messages.success(
            request,
            (
                gettext(
                    "Draft deposit invoice of %(gross_total)s %(currency)s created: check it and "
                    "issue it. Later invoices of the project deduct it."
                )
                % {"gross_total": format(invoice.gross_total, ",.2f"), "currency": invoice.currency}
            ),
        )
        return redirect(invoice)


class ExchangeRateView(TenantViewMixin, View):
    write_permission = permissions.INVOICE
    template_name = "invoicing/exchange_rates.html"

    def render_page(self, form, status=200):
        return render(
            self.request,
            self.template_name,
            {
                "rates": ExchangeRate.objects.all()[:200],
                "form": form,
                "max_rate_age_days": selectors.invoicing_settings(
                    self.request.tenant
                ).max_rate_age_days,
            },
            status=status,
        )

    def get(self, request):
        return self.render_page(ExchangeRateForm(tenant=request.tenant))

    def post(self, request):
        form = ExchangeRateForm(request.POST, tenant=request.tenant)
        if not save_with_service(
            form,
            lambda: services.exchange_rate_save(
                tenant=request.tenant, by=request.user, rate=form.instance
            ),
        ):
            return self.render_page(form, status=422)
        messages.success(request, gettext("%(instance)s saved.") % {"instance": form.instance})
        return redirect(_url(request, "invoicing:exchange-rates"))


class InvoicingSettingsView(TenantViewMixin, View):
    """The company's invoicing settings (tenant admins): handling fee, exchange-rate age and the
    invoice e-mail's templates, previewed for the latest issued document."""

    permission = permissions.MANAGE_TENANT
    write_permission = permissions.MANAGE_TENANT
    template_name = "invoicing/settings.html"

    def form(self, data=None):
        current = selectors.invoicing_settings(self.request.tenant)
        return InvoicingSettingsForm(data, instance=current, tenant=self.request.tenant)

    def preview(self):
        """The e-mail of the latest issued document, from the saved templates."""
        invoice = selectors.latest_issued()
        if invoice is None:
            return None
        subject, body = mail.subject_and_body(invoice)
        to, cc = mail.recipients(invoice)
        return {"invoice": invoice, "subject": subject, "body": body, "to": to, "cc": cc}

    def get(self, request):
        return render(request, self.template_name, {"form": self.form(), "preview": self.preview()})

    def post(self, request):
        form = self.form(request.POST)
        if not save_with_service(
            form,
            lambda: services.invoicing_settings_save(
                tenant=request.tenant, by=request.user, settings=form.instance
            ),
        ):
            return render(
                request,
                self.template_name,
                {"form": form, "preview": self.preview()},
                status=422,
            )
        messages.success(request, gettext("Invoicing settings saved."))
        return redirect(_url(request, "invoicing:settings"))


def project_invoices_context(request, project):
    invoices = selectors.invoices_of_project(project)
    ready = ready_to_invoice(project) if can(request, permissions.INVOICE) else {}
    return {
        **ready,
        "invoice_table": CompactInvoiceTable(invoices),
        # Sums over every line of the project: figures, cached until the company's next write
        # (services check the cap uncached, in their transaction).
        **figures.cached("billing-summary", selectors.billing_summary, project=project),
        **figures.cached("deposit-summary", selectors.deposit_summary, project=project),
        "deposit_form": DepositForm() if can(request, permissions.INVOICE) else None,
    }


def account_invoices_context(request, account):
    invoices = access.shared_invoices(request, selectors.invoice_list()).filter(
        pk__in=selectors.invoice_ids_of_account(account)
    )
    return {
        # Its projects' ready rows invoiced together (account_views.AccountReadyView).
        "can_invoice_across": can(request, permissions.INVOICE),
        "invoice_table": CompactInvoiceTable(invoices[:100]),
        **account_payments_context(request, account),  # its balance and payments
        **account_reminders_context(account),  # on hold or not
    }


from invoicing.run_views import RunDetailView, RunListView  # noqa: E402, F401

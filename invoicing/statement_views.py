"""A billing account's statement (issue 16, part 2): the page, and its PDF, CSV and XLSX.
Whoever sees money reads it (finance, admins; viewers too)."""

import datetime

from django import forms
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View

from accounts.models import Account
from accounts.platform import permissions
from accounts.platform.exporting import download
from accounts.platform.forms import DATE, Form
from accounts.platform.views import TenantViewMixin
from invoicing.pdf import render_statement_pdf
from invoicing.statements import StatementExporter, account_statements
from invoicing.tasks import logo_data_uri

FORMATS = ("pdf", "csv", "xlsx")


class StatementForm(Form):
    date_from = forms.DateField(label=_("From"), widget=DATE)
    date_to = forms.DateField(label=_("To"), widget=DATE)

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            raise forms.ValidationError(
                gettext("The period ends before it starts: swap the two days.")
            )
        if start and end and (end - start).days > 3660:
            raise forms.ValidationError(gettext("Choose a period of at most ten years."))
        return data


def default_period(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """This year so far."""
    return today.replace(month=1, day=1), today


class AccountStatementView(TenantViewMixin, View):
    permission = permissions.SEE_MONEY
    template_name = "invoicing/statement.html"

    def get(self, request, account_pk):
        account = get_object_or_404(Account.objects, pk=account_pk)
        start, end = default_period(timezone.localdate())
        form = StatementForm(
            request.GET if "date_from" in request.GET else None,
            initial={"date_from": start, "date_to": end},
        )
        if form.is_bound:
            if not form.is_valid():
                return render(
                    request, self.template_name, {"account": account, "form": form}, status=422
                )
            start, end = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
        statements = account_statements(account, date_from=start, date_to=end)
        name = f"statement-{account.number}-{start:%Y%m%d}-{end:%Y%m%d}"
        file_format = request.GET.get("format")
        if file_format == "pdf":
            pdf = render_statement_pdf(
                statements,
                tenant=request.tenant,
                account=account,
                date_from=start,
                date_to=end,
                logo_data_uri=logo_data_uri(request.tenant),
            )
            response = HttpResponse(pdf, content_type="application/pdf")
            response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
            return response
        if file_format in FORMATS:
            return download(StatementExporter(statements, file_name=name), file_format)
        return render(
            request,
            self.template_name,
            {
                "account": account,
                "form": form,
                "statements": statements,
                "date_from": start,
                "date_to": end,
                "query": f"date_from={start:%Y-%m-%d}&date_to={end:%Y-%m-%d}",
            },
        )

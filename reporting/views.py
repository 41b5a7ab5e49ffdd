"""Reporting views. The project's profitability tab is shown on the project page (projects
never imports this app: the tab is registered in ReportingConfig.ready)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views import View

from accounts.platform import permissions
from accounts.platform.bounds import parse_id
from accounts.platform.exporting import (
    CONTENT_TYPES,
    download,
    filter_refusal,
    refuse_filter,
    streaming_download,
)
from accounts.platform.views import TenantViewMixin
from invoicing.filters import InvoiceFilter
from invoicing.models import Invoice
from projects.access import shared_with, visible_projects
from projects.models import Project
from reporting import export_selectors, freshness, services
from reporting.aged import BUCKETS, AgedReceivablesExporter, aged_receivables, stacked_chart
from reporting.custom import MEASURES, MONEY_MEASURES, Definition, charts, run
from reporting.dashboard_selectors import dashboard
from reporting.exports import (
    CustomReportExporter,
    ProfitabilityExporter,
    ReconciliationExporter,
)
from reporting.forms import CustomReportForm, SaveReportForm
from reporting.models import ExportBatch, SavedReport
from reporting.selectors import DIMENSIONS, profitability, project_figures


def project_profitability_context(request, project):

    return {"figures": freshness.cached("project", project_figures, project=project)}


def project_overview_money_context(request, project):

    return {"figures": freshness.cached("project", project_figures, project=project)}


def _unexported_count() -> int:
    """What the next export batch would hold: documents, payments and reversals."""
    return export_selectors.unexported_documents().count() + len(
        export_selectors.unexported_payments()
    )


class ExportsView(TenantViewMixin, View):
    """Finance exports: the reconciliation file (filtered like the invoice list) and batches."""

    permission = permissions.EXPORT
    write_permission = permissions.EXPORT
    template_name = "reporting/exports.html"

    def get(self, request):

        return render(
            request,
            self.template_name,
            {
                "filter": InvoiceFilter(
                    request.GET or None, queryset=Invoice.objects.none(), request=request
                ),
                "batches": ExportBatch.objects.select_related("created_by")[:50],
                # Every issued document against the export batches: cached until the next write.
                "pending": freshness.cached("unexported", _unexported_count),
            },
        )

    def post(self, request):
        try:
            batch = services.export_batch_create(tenant=request.tenant, by=request.user)
            messages.success(
                request,
                (
                    gettext(
                        "%(batch)s holds %(invoice_count)s invoices and credit notes "
                        "(%(line_count)s lines)."
                    )
                    % {
                        "batch": batch,
                        "invoice_count": batch.invoice_count,
                        "line_count": batch.line_count,
                    }
                ),
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect(reverse("reporting:exports", kwargs={"tenant_slug": request.tenant.slug}))


class ReconciliationView(TenantViewMixin, View):
    """Streams at once; the query carries its own tenant filter (see reporting.exports). A
    filter that cannot be applied (an unknown parameter, a malformed date, another company's
    project) is refused with 400, never taken for "the whole company"."""

    permission = permissions.EXPORT

    def get(self, request):

        filtered = InvoiceFilter(request.GET, queryset=Invoice.objects.all(), request=request)
        refused = filter_refusal(filtered, request.GET)
        if refused:
            return refuse_filter(refused)
        exporter = ReconciliationExporter(
            tenant=request.tenant,
            invoices=filtered.qs,
            file_name=f"reconciliation-{request.tenant.slug}-{timezone.localdate():%Y%m%d}",
        )
        # Read after the middleware's scope has closed: the rows come back under row-level security.
        return streaming_download(exporter, tenant=request.tenant)


class BatchDownloadView(TenantViewMixin, View):
    permission = permissions.EXPORT

    def get(self, request, pk):
        batch = get_object_or_404(ExportBatch.objects, pk=pk)
        return FileResponse(
            batch.file.open("rb"),
            as_attachment=True,
            filename=f"reconciliation-batch-{batch.number:05d}.csv",
            content_type=CONTENT_TYPES["csv"],
        )


REPORT_PAGE_SIZE = 50


class ProfitabilityView(TenantViewMixin, View):
    """Revenue, cost and profit per project, or rolled up by customer, region, manager or
    month, 50 rows a page with the totals of all; CSV of every row with ?format=csv."""

    permission = permissions.SEE_MONEY
    template_name = "reporting/profitability.html"

    def get(self, request):

        group_by = request.GET.get("group", "project")
        if group_by not in DIMENSIONS:
            group_by = "project"
        date_from, date_to = (
            _month_param(request.GET.get("from")),
            _month_param(request.GET.get("to"), end=True),
        )
        include_finished = request.GET.get("finished") == "1"
        rows, base = freshness.cached(
            "profitability",
            profitability,
            group_by=group_by,
            date_from=date_from,
            date_to=date_to,
            base_currency=request.tenant.base_currency,
            projects=report_projects(request, include_finished=include_finished),
        )
        if request.GET.get("format") == "csv":
            # Every row, not one page.
            return download(ProfitabilityExporter(rows, DIMENSIONS[group_by]), "csv")
        page = Paginator(rows, REPORT_PAGE_SIZE).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        return render(
            request,
            self.template_name,
            {
                "rows": page.object_list,
                "page": page,
                "query": query.urlencode(),
                "base": base,
                "group_by": group_by,
                "dimensions": DIMENSIONS,
                "date_from": request.GET.get("from", ""),
                "date_to": request.GET.get("to", ""),
                "include_finished": include_finished,
            },
        )


def report_projects(request, *, include_finished: bool):
    """The ids of the projects a report covers: those shared with the member (projects' one
    sharing rule), finished ones only when asked for."""
    shared = shared_with(request, path="")
    if include_finished and not shared:
        return None  # every project of the company: no filter to add to the report's queries
    projects = Project.objects.filter(shared)
    if not include_finished:
        projects = projects.unfinished()
    return projects.values("pk")


def _month_param(value, end=False):
    import datetime

    try:
        day = datetime.date.fromisoformat(f"{value}-01") if value else None
    except ValueError:
        return None
    if day and end:
        day = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - (
            datetime.timedelta(days=1)
        )
    return day


def dashboard_context(request) -> dict:

    return freshness.cached(
        "dashboard",
        dashboard,
        base_currency=request.tenant.base_currency,
        projects=report_projects(request, include_finished=True),
    )


# A custom report by event (a large company has 23,000) rendered every row: 2.7 s a page.
REPORT_ROWS_SHOWN = 500


class CustomReportView(TenantViewMixin, View):
    """Pick dimensions, measures and filters; see the table and a chart; export it to CSV or
    XLSX; save the definition to open it again."""

    permission = permissions.SEE_MONEY
    write_permission = permissions.SAVE_REPORTS
    template_name = "reporting/custom.html"

    def get(self, request):

        params = request.GET.copy()
        saved = None
        if parse_id(params.get("saved")):
            saved = get_object_or_404(SavedReport.objects, pk=parse_id(params["saved"]))
            definition = saved.definition
            params.setlist("dimensions", definition.get("dimensions", []))
            params.setlist("measures", definition.get("measures", []))
            for name in ("date_from", "date_to", "status", "tag", "project_class"):
                params[name] = definition.get(name) or ""
            params["include_finished"] = "on" if definition.get("include_finished") else ""
            params["account"] = definition.get("account_id") or ""
            params["chart"] = saved.chart
        form = CustomReportForm(params if params.get("dimensions") else None)
        result = chart_data = None
        if form.is_bound and form.is_valid():
            definition = Definition.from_data(form.definition_data())
            result = freshness.cached(
                "custom report", run, definition=definition, projects=visible_projects(request)
            )
            if request.GET.get("format") in ("csv", "xlsx"):
                exporter = CustomReportExporter(result, definition)
                return download(exporter, request.GET["format"])
            chart_data = charts(  # every chosen measure, each on its own axis
                result,
                definition.measures,
                MEASURES,
                form.cleaned_data["chart"],
                dimensions=definition.dimensions,
            )
        return render(
            request,
            self.template_name,
            {
                "form": form,
                "result": result,
                # The page shows the first rows; the CSV and XLSX have them all.
                "rows": result.rows[:REPORT_ROWS_SHOWN] if result else [],
                "rows_left_out": max(0, len(result.rows) - REPORT_ROWS_SHOWN) if result else 0,
                "charts": chart_data,
                "saved": saved,
                "saved_reports": SavedReport.objects.all()[:50],
                "save_form": SaveReportForm(),
                "measure_labels": MEASURES,
                "money_measures": MONEY_MEASURES,
                "query": params.urlencode(),
                # What "Save report" posts: every field of the form as the page was asked for,
                # so a filter added to the form is never left out of a saved report.
                "carried": [(name, value) for name in form.fields for value in params.getlist(name)]
                if form.is_bound
                else [],
            },
        )

    def post(self, request):

        form, save_form = CustomReportForm(request.POST), SaveReportForm(request.POST)
        if not (form.is_valid() and save_form.is_valid()):
            messages.error(
                request,
                gettext("Give the report a name and pick at least one dimension and one measure."),
            )
            return redirect(
                reverse("reporting:custom", kwargs={"tenant_slug": request.tenant.slug})
            )
        try:
            report = services.saved_report_create(
                tenant=request.tenant,
                by=request.user,
                name=save_form.cleaned_data["name"],
                definition=form.definition_data(),
                chart=form.cleaned_data["chart"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(
                reverse("reporting:custom", kwargs={"tenant_slug": request.tenant.slug})
            )
        messages.success(
            request, gettext("Report “%(report_name)s” saved.") % {"report_name": report.name}
        )
        return redirect(report.get_absolute_url())


def _day_param(value, default):
    import datetime

    try:
        return datetime.date.fromisoformat(value) if value else default
    except ValueError:
        return default


class AgedReceivablesView(TenantViewMixin, View):
    """What billing accounts owe, bucketed by days past due on a day (default today), with the
    stacked chart; ?export=csv|xlsx downloads the table."""

    permission = permissions.SEE_MONEY
    template_name = "reporting/aged_receivables.html"

    def get(self, request):
        today = timezone.localdate()
        as_of = _day_param(request.GET.get("as_of"), today)
        report = freshness.cached(
            "aged", aged_receivables, as_of=as_of, base_currency=request.tenant.base_currency
        )
        if request.GET.get("export") in CONTENT_TYPES:
            exporter = AgedReceivablesExporter(report, file_name=f"aged-receivables-{as_of:%Y%m%d}")
            return download(exporter, request.GET["export"])  # every row, not one page
        # 50 rows a page, the totals of all below each (a large company owed on 1,000 accounts).
        page = Paginator(report.rows, REPORT_PAGE_SIZE).get_page(request.GET.get("page"))
        return render(
            request,
            self.template_name,
            {
                "report": report,
                "rows": page.object_list,
                "page": page,
                "buckets": BUCKETS,
                "chart": stacked_chart(report),
                "as_of": as_of,
                "query": f"as_of={as_of:%Y-%m-%d}",
            },
        )


def aged_panel_context(request) -> dict:
    """The dashboard's aged receivables panel: the buckets in the base currency, today."""
    report = freshness.cached(
        "aged",
        aged_receivables,
        as_of=timezone.localdate(),
        base_currency=request.tenant.base_currency,
    )
    return {
        "base": report.base,
        "buckets": [(label, report.base.buckets.get(key, 0)) for key, label, _days in BUCKETS],
    }

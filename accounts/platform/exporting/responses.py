"""Exports as downloads: a file built in memory (`download`), a streamed one (`streaming_download`),
and `?export=csv|xlsx` on a list page (`ListExportMixin`): the file holds exactly the filtered
rows, or the request is refused, never widened to every row of the company."""

from django.http import HttpResponse, HttpResponseBadRequest, StreamingHttpResponse

from accounts.platform import permissions
from accounts.platform.access import require
from accounts.platform.exporting.exporters import Exporter
from accounts.platform.tenancy import iterate_in

__all__ = [
    "CONTENT_TYPES",
    "ListExportMixin",
    "download",
    "filter_refusal",
    "refuse_filter",
    "streaming_download",
]

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _attachment(response, exporter: Exporter, file_format: str):
    response["Content-Disposition"] = f'attachment; filename="{exporter.file_name}.{file_format}"'
    return response


def download(exporter: Exporter, file_format: str) -> HttpResponse:
    """The whole file, CSV or XLSX, named `<exporter.file_name>.<format>`."""
    content = exporter.csv() if file_format == "csv" else exporter.xlsx()
    return _attachment(
        HttpResponse(content, content_type=CONTENT_TYPES[file_format]), exporter, file_format
    )


def streaming_download(exporter: Exporter, *, tenant) -> StreamingHttpResponse:
    """The CSV streamed as it is written. The server reads it after the middleware's tenant scope
    has closed: it is read inside a scope of its own (and on PostgreSQL under row-level
    security); serve it from threaded workers, or build it in a task (PITFALLS.md)."""
    response = StreamingHttpResponse(
        iterate_in(tenant, exporter.stream_csv()), content_type=CONTENT_TYPES["csv"]
    )
    return _attachment(response, exporter, "csv")


def filter_refusal(filterset, params, *, allowed=()) -> str:
    """Why an export cannot apply its filter ("" when it can): a parameter the filter does not
    know (a misspelt name would otherwise be ignored), or a value it refuses (a malformed date,
    another company's project). An export never falls back to every row of the company."""
    known = set(filterset.form.fields)
    unknown = sorted(name[:40] for name in set(params) - known - set(allowed))
    if unknown:
        return f"Unknown filter {', '.join(unknown)}: filter by {', '.join(filterset.form.fields)}."
    if filterset.is_bound and not filterset.is_valid():
        problems = "; ".join(
            f"{filterset.form.fields[name].label or name if name in known else name}: "
            + " ".join(errors)
            for name, errors in filterset.form.errors.items()
        )
        return f"The filter cannot be applied ({problems}). Correct it and try again."
    return ""


def refuse_filter(message: str) -> HttpResponseBadRequest:
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


class ListExportMixin:
    """?export=csv|xlsx on a FilterView list: `exporter_class(filtered queryset)` as a download
    named `export_name`, for roles that see money (the page and its download go together)."""

    exporter_class: type | None = None
    export_name = "export"
    # Parameters of the list page itself, not of its filter.
    page_parameters = ("export", "sort", "page", "per_page", "columns")

    def get(self, request, *args, **kwargs):
        file_format = request.GET.get("export")
        if file_format in CONTENT_TYPES and self.exporter_class is not None:
            require(request, permissions.SEE_MONEY)
            filterset = self.get_filterset(self.get_filterset_class())
            refused = filter_refusal(filterset, request.GET, allowed=self.page_parameters)
            if refused:
                return refuse_filter(refused)
            exporter = self.exporter_class(filterset.qs, file_name=self.export_name)
            return download(exporter, file_format)
        return super().get(request, *args, **kwargs)

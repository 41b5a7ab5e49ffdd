"""Small exports of list pages through django-import-export (big ones: reporting.exports).

`SafeResource` neutralises text that a spreadsheet would run as a formula (import-export's own
escaping only strips a leading "="), and keeps numbers as numbers. `ListExportMixin` adds
?export=csv|xlsx to a FilterView list: the file holds exactly the filtered rows.
"""

from django.http import HttpResponse
from import_export import resources

from accounts import permissions
from accounts.access import require
from accounts.importing import neutralise

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
MAX_ROWS = 50_000


class SafeResource(resources.ModelResource):
    def export_field(self, field, instance, **kwargs):
        return neutralise(super().export_field(field, instance, **kwargs))


def export_response(resource, queryset, file_format: str, name: str) -> HttpResponse:
    dataset = resource.export(queryset=queryset[:MAX_ROWS])
    response = HttpResponse(dataset.export(file_format), content_type=CONTENT_TYPES[file_format])
    response["Content-Disposition"] = f'attachment; filename="{name}.{file_format}"'
    return response


class ListExportMixin:
    export_resource_class = None
    export_name = "export"

    def get(self, request, *args, **kwargs):
        file_format = request.GET.get("export")
        if file_format in CONTENT_TYPES and self.export_resource_class is not None:
            require(request, permissions.EXPORT)
            filterset = self.get_filterset(self.get_filterset_class())
            rows = (
                filterset.qs
                if (not filterset.is_bound or filterset.is_valid())
                else (self.get_queryset().none())
            )
            return export_response(
                self.export_resource_class(), rows, file_format, self.export_name
            )
        return super().get(request, *args, **kwargs)

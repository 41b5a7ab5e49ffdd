"""The accounting mapping page, a batch's accounting files and their downloads."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views import View

from accounts.platform import permissions
from accounts.platform.exporting import CONTENT_TYPES
from accounts.platform.tenancy import tenant_reverse
from accounts.platform.views import TenantViewMixin, save_with_service
from reporting.accounting import services
from reporting.accounting.forms import AccountCodesForm, AccountingSettingsForm
from reporting.accounting.mapping import accounting_settings, mapping_rows
from reporting.accounting.models import AccountingSystem, BatchFile
from reporting.accounting.systems import FILES
from reporting.models import ExportBatch


def _system(value) -> str:
    return value if value in AccountingSystem.values else AccountingSystem.XERO


class AccountingMappingView(TenantViewMixin, View):
    """Per accounting system: products to revenue accounts, tax codes to the system's tax codes
    (defaults shown), and the company's DATEV numbers and bank accounts (finance and admins)."""

    permission = permissions.EXPORT
    write_permission = permissions.EXPORT
    template_name = "reporting/accounting_mapping.html"

    def page(self, request, system, *, settings_form=None, codes_form=None, status=200):
        codes_form = codes_form or AccountCodesForm(rows=mapping_rows(system))
        return render(
            request,
            self.template_name,
            {
                "system": system,
                "systems": AccountingSystem.choices,
                "settings_form": settings_form
                or AccountingSettingsForm(instance=accounting_settings(request.tenant)),
                "codes_form": codes_form,
                "revenue_rows": codes_form.field_rows("revenue"),
                "tax_rows": codes_form.field_rows("tax"),
            },
            status=status,
        )

    def get(self, request):
        return self.page(request, _system(request.GET.get("system")))

    def post(self, request):
        system = _system(request.POST.get("system"))
        url = tenant_reverse("reporting:accounting-mapping", tenant_id=request.tenant.pk)
        if request.POST.get("form") == "settings":
            form = AccountingSettingsForm(
                request.POST, instance=accounting_settings(request.tenant)
            )
            if not save_with_service(
                form,
                lambda: services.accounting_settings_save(
                    tenant=request.tenant, by=request.user, settings=form.instance
                ),
            ):
                return self.page(request, system, settings_form=form, status=422)
            messages.success(request, gettext("Accounting settings saved."))
            return redirect(f"{url}?system={system}")
        form = AccountCodesForm(request.POST, rows=mapping_rows(system))
        changed = []
        if not save_with_service(
            form,
            lambda: changed.append(
                services.account_codes_save(
                    tenant=request.tenant, by=request.user, system=system, codes=form.codes()
                )
            ),
        ):
            return self.page(request, system, codes_form=form, status=422)
        label = AccountingSystem(system).label
        messages.success(
            request,
            gettext("%(label)s mapping saved (%(changed)s changed).")
            % {"label": label, "changed": changed[0]},
        )
        return redirect(f"{url}?system={system}")


class BatchAccountingView(TenantViewMixin, View):
    """A batch's files per accounting system: downloaded before (stored), ready, or what to map
    first."""

    permission = permissions.EXPORT
    template_name = "reporting/batch_accounting.html"

    def get(self, request, pk):
        batch = get_object_or_404(ExportBatch.objects.select_related("created_by"), pk=pk)
        stored = set(BatchFile.objects.filter(batch=batch).values_list("name", flat=True))
        problems_by_system = {}
        systems = []
        for system in FILES:
            files = []
            for spec, name, label in services.file_names(batch, system):
                problems = [] if name in stored else None
                if problems is None:
                    key = (system, spec.documents == "payments")
                    if key not in problems_by_system:
                        problems_by_system[key] = services.batch_file_problems(batch, name)
                    problems = problems_by_system[key]
                files.append(
                    {"name": name, "label": label, "stored": name in stored, "problems": problems}
                )
            systems.append(
                {"value": system, "label": AccountingSystem(system).label, "files": files}
            )
        return render(
            request,
            self.template_name,
            {
                "batch": batch,
                "systems": systems,
                "title": f"Batch {batch.number} for your accounting system",
            },
        )


class BatchFileDownloadView(TenantViewMixin, View):
    """The stored file, or built, stored and served on its first download; refused (back to the
    batch's page with what to map) while the mapping is incomplete."""

    permission = permissions.EXPORT

    def get(self, request, pk, name):
        batch = get_object_or_404(ExportBatch.objects, pk=pk)
        if services.parse_name(name) is None:
            return redirect(batch_accounting_url(request, batch))
        try:
            row = services.batch_file_get(
                tenant=request.tenant, by=request.user, batch=batch, name=name
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(batch_accounting_url(request, batch))
        return FileResponse(
            row.file.open("rb"),
            as_attachment=True,
            filename=f"{name}-batch-{batch.number:05d}.csv",
            content_type="text/csv; charset=windows-1252"
            if name.startswith("datev")
            else CONTENT_TYPES["csv"],
        )


def batch_accounting_url(request, batch) -> str:
    return tenant_reverse(
        "reporting:batch-accounting", tenant_id=request.tenant.pk, kwargs={"pk": batch.pk}
    )

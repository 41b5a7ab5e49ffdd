"""Accounting exports' writes: the mapping, the settings, and a batch's file built once.

A batch's file for a system is built on its first download and stored (`BatchFile`); every later
download serves those bytes, whatever the mapping or the catalogue say by then. A file whose
mapping is incomplete is refused with the list of what to fill in, never written with a blank.
"""

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.forms.models import model_to_dict
from django.utils.translation import gettext

from accounts.platform.audit import audit
from accounts.platform.guards import check_tenant, require_active
from reporting.accounting import formats
from reporting.accounting.mapping import accounting_settings, missing
from reporting.accounting.models import (
    AccountCode,
    AccountingSettings,
    AccountingSystem,
    BatchFile,
    MappingKind,
)
from reporting.accounting.systems import FILE_SPECS, FILES
from reporting.models import ExportBatch

SETTINGS_FIELDS = [
    "datev_consultant_number",
    "datev_client_number",
    "fiscal_year_start_month",
    "datev_account_length",
    "datev_debtor_start",
    "datev_bank_account",
    "sage_bank_account",
]


@transaction.atomic
def accounting_settings_save(*, tenant, by, settings: AccountingSettings) -> AccountingSettings:
    """Save the company's accounting settings (one row, created on first save)."""
    require_active(tenant)
    if settings.tenant_id is not None and settings.tenant_id != tenant.pk:
        raise ValidationError(gettext("These settings belong to another company."))
    settings.tenant = tenant
    before = AccountingSettings.objects.select_for_update().filter(tenant=tenant).first()
    if before is not None:
        settings.pk, settings._state.adding = before.pk, False
    settings.datev_bank_account = settings.datev_bank_account.strip()
    settings.sage_bank_account = settings.sage_bank_account.strip()
    if settings.datev_bank_account and not settings.datev_bank_account.isdigit():
        raise ValidationError(
            {"datev_bank_account": gettext("A DATEV account is digits, e.g. 1200.")}
        )
    settings.full_clean()
    settings.save()
    audit(
        tenant=tenant,
        actor=by,
        action="accounting settings changed",
        obj=settings,
        before=model_to_dict(before, SETTINGS_FIELDS) if before else {},
        after=model_to_dict(settings, SETTINGS_FIELDS),
    )
    return settings


@transaction.atomic
def account_codes_save(*, tenant, by, system: str, codes: dict) -> int:
    """Set `system`'s mapping: `codes` maps (kind, key) to a code; a blank code removes the
    mapping. Returns how many mappings changed."""
    require_active(tenant)
    if system not in AccountingSystem.values:
        raise ValidationError(gettext("Choose Xero, QuickBooks Online, Sage or DATEV."))
    current = {
        (row.kind, row.key): row
        for row in AccountCode.objects.select_for_update().filter(tenant=tenant, system=system)
    }
    changed = 0
    for (kind, key), code in codes.items():
        if kind not in MappingKind.values or not key or len(key) > 40:
            raise ValidationError(gettext("%(key)s cannot be mapped.") % {"key": repr(key[:40])})
        code = (code or "").strip()
        if len(code) > 60:
            raise ValidationError(
                gettext("The code for %(key)s is longer than 60 characters: shorten it.")
                % {"key": key}
            )
        datev_account = system == AccountingSystem.DATEV and kind == MappingKind.REVENUE
        if datev_account and code and not code.isdigit():
            raise ValidationError(
                gettext("DATEV accounts are digits: %(key)s → %(code)s.")
                % {"key": key, "code": repr(code[:20])}
            )
        row = current.get((kind, key))
        if row is not None and row.code == code:
            continue
        if row is not None and not code:
            audit(
                tenant=tenant,
                actor=by,
                action="account code removed",
                obj=row,
                before={"code": row.code},
            )
            row.delete()
        elif row is not None:
            before = row.code
            row.code = code
            row.save(update_fields=["code"])
            audit(
                tenant=tenant,
                actor=by,
                action="account code changed",
                obj=row,
                before={"code": before},
                after={"code": code},
            )
        elif code:
            row = AccountCode.objects.create(
                tenant=tenant, system=system, kind=kind, key=key, code=code
            )
            audit(tenant=tenant, actor=by, action="account code set", obj=row, after={"code": code})
        else:
            continue
        changed += 1
    return changed


def parse_name(name: str):
    """(system, spec, fiscal year or None) of a file name: a FILE_SPECS name, or for DATEV the
    spec's name and a fiscal year ("datev-documents-2026"); None when it names no file."""
    if name in FILE_SPECS:
        system, spec = FILE_SPECS[name]
        return None if system == AccountingSystem.DATEV else (system, spec, None)
    base, _, year = name.rpartition("-")
    datev = base in FILE_SPECS and FILE_SPECS[base][0] == AccountingSystem.DATEV
    if datev and year.isdigit() and len(year) == 4:
        return (*FILE_SPECS[base], int(year))
    return None


def file_names(batch, system: str, settings=None) -> list[tuple]:
    """(spec, file name, label) of the batch's files for `system`: DATEV's one per fiscal year
    of the batch's bookings."""
    found = []
    for spec in FILES[system]:
        if system != AccountingSystem.DATEV:
            found.append((spec, spec.name, spec.label))
            continue
        settings = settings or accounting_settings(batch.tenant)
        exporter = exporter_for(batch, spec.name, settings)
        for year in formats.fiscal_years_of(exporter):
            month = settings.fiscal_year_start_month
            label = f"{spec.label}, fiscal year {year}" + (f"/{year + 1}" if month > 1 else "")
            found.append((spec, f"{spec.name}-{year}", label))
    return found


def exporter_for(batch, name: str, settings=None, fiscal_year=None):
    """The exporter of the batch's file `name` (FILE_SPECS)."""
    system, spec = FILE_SPECS[name]
    file_name = f"{name}-batch-{batch.number:05d}"
    if system == AccountingSystem.XERO:
        return formats.XeroExporter(batch, documents=spec.documents, file_name=file_name)
    if system == AccountingSystem.QBO:
        return formats.QuickBooksExporter(batch, documents=spec.documents, file_name=file_name)
    if system == AccountingSystem.SAGE:
        exporter = (
            formats.SagePaymentsExporter if spec.documents == "payments" else (formats.SageExporter)
        )
        return exporter(batch, documents=spec.documents, file_name=file_name)
    settings = settings or accounting_settings(batch.tenant)
    exporter = (
        formats.DatevPaymentsExporter if spec.documents == "payments" else (formats.DatevExporter)
    )
    return exporter(
        batch,
        settings=settings,
        documents=spec.documents,
        file_name=file_name,
        fiscal_year=fiscal_year,
    )


def batch_file_problems(batch, name: str) -> list[str]:
    """What stops the batch's file `name` from being written (empty: nothing)."""
    system, spec, _ = parse_name(name)
    settings = accounting_settings(batch.tenant)
    return missing(system, batch, settings, payments=spec.documents == "payments")


@transaction.atomic
def batch_file_get(*, tenant, by, batch: ExportBatch, name: str) -> BatchFile:
    """The batch's file `name`: the stored one, or built now from the batch's frozen documents
    and payments and stored (audited), refused with what to map when the mapping is incomplete."""
    require_active(tenant)
    check_tenant(tenant, batch)
    parsed = parse_name(name)
    if parsed is None:
        raise ValidationError(gettext("There is no such file: choose one of the listed downloads."))
    system, spec, year = parsed
    stored = BatchFile.objects.filter(tenant=tenant, batch=batch, name=name).first()
    if stored is not None:
        return stored
    batch = ExportBatch.objects.select_for_update().get(pk=batch.pk)  # one builder at a time
    stored = BatchFile.objects.filter(tenant=tenant, batch=batch, name=name).first()
    if stored is not None:
        return stored
    problems = batch_file_problems(batch, name)
    if problems:
        raise ValidationError(
            f"Map these on the {AccountingSystem(system).label} mapping page first: "
            + " ".join(problems)
        )
    content = exporter_for(batch, spec.name, fiscal_year=year).csv()
    row = BatchFile(
        tenant=tenant,
        batch=batch,
        name=name,
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    row.file.save(
        f"{tenant.pk}/{name}-batch-{batch.number:05d}.csv", ContentFile(content), save=False
    )
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:  # built at the same moment by someone else: theirs is the file
        return BatchFile.objects.get(tenant=tenant, batch=batch, name=name)
    audit(
        tenant=tenant,
        actor=by,
        action="accounting file written",
        obj=row,
        after={"batch": batch.number, "file": name},
    )
    return row


def files_of(system: str):
    return FILES[system]

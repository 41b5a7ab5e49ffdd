"""Import previews in storage, large imports as background tasks, and their clean-up.

Every import is checked before anything is saved (`DatasetImportView`): its preview (the state,
the checked rows, the report) waits in Django storage under `tenants/<id>/imports/<token>.json`
until someone confirms it, so any app server can finish it. A small file is checked in the
request. A large one (more than BACKGROUND_BYTES, or more than BACKGROUND_ROWS rows) is stored as
uploaded next to its preview and checked by the task `run_import_step` in the tenant's scope
(DESIGN.md, "Background work"); the task writes its progress into the preview, the page polls it
and then shows the same preview and confirm step. Confirming a large preview imports it in a
task too (imports run about 3 ms a row: 10,000 rows take half a minute).

Previews nobody confirms are deleted after a day: `purge_import_previews()` runs for the tenant
whenever it stores a new preview, and for every tenant from cron
(`python manage.py purge_import_previews`).
"""

import json
import logging
import uuid
from datetime import timedelta

import tablib
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.module_loading import import_string

from accounts.platform.importing import load_table
from accounts.platform.tasks import enqueue_on_commit, tenant_task
from accounts.platform.tenancy import current_tenant

logger = logging.getLogger(__name__)

BACKGROUND_BYTES = 256 * 1024
BACKGROUND_ROWS = 200
KEEP_FOR = timedelta(days=1)
# A step that has not written its progress for this long has stopped (a worker killed mid-task
# leaves it "running"; nothing re-queues it).
STALE_AFTER = timedelta(minutes=30)

WORKING = ("queued", "reading", "checking", "importing")
STEP_LABELS = {
    "queued": "Waiting for a worker",
    "reading": "Reading the file",
    "checking": "Checking every row",
    "importing": "Importing",
}


def new_token() -> str:
    return uuid.uuid4().hex


def _folder(tenant_id) -> str:
    return f"tenants/{int(tenant_id)}/imports"


def preview_path(tenant_id, token: str) -> str:
    """Where a preview waits; ValueError for a token that is not one of ours."""
    return f"{_folder(tenant_id)}/{uuid.UUID(hex=token).hex}.json"


def _upload_path(tenant_id, token: str) -> str:
    return f"{_folder(tenant_id)}/{uuid.UUID(hex=token).hex}.upload"


def _claim_path(tenant_id, token: str) -> str:
    return f"{_folder(tenant_id)}/{uuid.UUID(hex=token).hex}.claim"


# --- The stored preview -------------------------------------------------------------------------


def read_preview(tenant_id, token: str) -> dict | None:
    """The preview as stored, or None once it is gone (confirmed, expired or never made)."""
    path = preview_path(tenant_id, token)
    try:
        with default_storage.open(path) as stored:
            preview = json.loads(stored.read())
    except FileNotFoundError:
        # A task rewrites a preview by deleting and saving it; in between, only the upload that
        # it is reading is there.
        upload = _upload_path(tenant_id, token)
        if default_storage.exists(upload):
            return {"state": "reading", "updated": _modified(upload).isoformat()}
        return None
    return preview if isinstance(preview, dict) else None


def write_preview(tenant_id, token: str, preview: dict) -> dict:
    preview = {**preview, "updated": timezone.now().isoformat()}
    path = preview_path(tenant_id, token)
    default_storage.delete(path)
    saved = default_storage.save(path, ContentFile(json.dumps(preview).encode()))
    if saved != path:  # two writers at once: not how previews are used
        default_storage.delete(saved)
        raise RuntimeError(f"Import preview {token} was written twice at once.")
    return preview


def discard_preview(tenant_id, token: str) -> None:
    for path in (
        preview_path(tenant_id, token),
        _upload_path(tenant_id, token),
        _claim_path(tenant_id, token),
    ):
        default_storage.delete(path)


def claim_preview(tenant_id, token: str) -> bool:
    """Take the preview for one import: False when another request or task holds it already, so
    a double click imports the rows once."""
    path = _claim_path(tenant_id, token)
    saved = default_storage.save(path, ContentFile(b""))
    if saved != path:  # the storage gave the name to an earlier claim
        default_storage.delete(saved)
        return False
    return True


def release_preview(tenant_id, token: str) -> None:
    default_storage.delete(_claim_path(tenant_id, token))


def is_stale(preview: dict) -> bool:
    updated = parse_datetime(preview.get("updated") or "")
    return (
        preview.get("state") in WORKING
        and updated is not None
        and timezone.now() - updated > STALE_AFTER
    )


def dataset_state(dataset) -> dict:
    return {"headers": list(dataset.headers or []), "rows": [list(row) for row in dataset]}


def dataset_from(preview: dict):
    stored = preview.get("dataset")
    if not stored:
        return None
    return tablib.Dataset(*[tuple(row) for row in stored["rows"]], headers=stored["headers"])


def report_state(report) -> dict:
    return {
        "errors": [list(item) for item in report.errors],
        "warnings": [list(item) for item in report.warnings],
        "new": report.new,
        "updated": report.updated,
        "changes": [list(item) for item in getattr(report, "changes", [])],
    }


class StoredReport:
    """An `ImportReport` as the preview stored it: what the page shows of it."""

    def __init__(self, state: dict):
        self.errors = [tuple(item) for item in state.get("errors", [])]
        self.warnings = [tuple(item) for item in state.get("warnings", [])]
        self.changes = [tuple(item) for item in state.get("changes", [])]
        self.new = state.get("new", 0)
        self.updated = state.get("updated", 0)

    @property
    def ok(self) -> bool:
        return not self.errors


# --- Starting work ------------------------------------------------------------------------------


def save_checked_preview(*, tenant, view: str, target_id: int, name: str, dataset, report) -> str:
    """Store a preview checked in the request; its token."""
    token = new_token()
    write_preview(
        tenant.pk,
        token,
        {
            "state": "ready",
            "view": view,
            "target": target_id,
            "name": name,
            "rows": len(dataset),
            "report": report_state(report),
            "dataset": dataset_state(dataset),
        },
    )
    purge_import_previews(tenant_id=tenant.pk)
    return token


def start_check(*, tenant, user, view: str, target_id: int, upload, name: str) -> str:
    """Store an upload unread and queue the task that checks it; the preview's token."""
    token = new_token()
    upload.seek(0)
    default_storage.save(_upload_path(tenant.pk, token), upload)
    write_preview(
        tenant.pk,
        token,
        {"state": "queued", "view": view, "target": target_id, "name": name, "size": upload.size},
    )
    enqueue_on_commit(run_import_step, tenant=tenant, token=token, user_id=user.pk, step="check")
    purge_import_previews(tenant_id=tenant.pk)
    return token


def start_import(*, tenant, user, token: str, preview: dict, confirm: bool) -> None:
    """Queue the import of a claimed preview."""
    write_preview(tenant.pk, token, {**preview, "state": "importing"})
    enqueue_on_commit(
        run_import_step,
        tenant=tenant,
        token=token,
        user_id=user.pk,
        step="import",
        confirm=confirm,
    )


# --- The task -----------------------------------------------------------------------------------


@tenant_task()
def run_import_step(
    *, tenant_id: int, token: str, user_id: int, step: str, confirm: bool = False
) -> str:
    """Check a stored upload (`step="check"`) or import a confirmed preview (`"import"`), with
    the view's own target lookup and import, as the user who started it."""
    preview = read_preview(tenant_id, token)
    if preview is None or "view" not in preview:
        return "expired"
    try:
        view = _import_view(preview["view"], user_id=user_id)
        target = view.get_target(preview["target"])
        if step == "check":
            preview = _check(view, target, tenant_id, token, preview)
        else:
            preview = _import(view, target, tenant_id, token, preview, confirm=confirm)
    except (Http404, PermissionDenied, ValidationError) as error:
        _stop(tenant_id, token, preview, error)
        return "failed"
    except Exception as error:  # the page must say the step stopped, not poll for ever
        _stop(tenant_id, token, preview, error)
        raise
    return preview["state"]


def _stop(tenant_id, token, preview, error) -> None:
    write_preview(tenant_id, token, {**preview, "state": "failed", "message": _why(error)})
    release_preview(tenant_id, token)
    default_storage.delete(_upload_path(tenant_id, token))


def _import_view(path: str, *, user_id: int):
    # The views queue this task (they import this module): importing them at the top here would
    # be an import cycle.
    from accounts.platform.views import DatasetImportView

    view_class = import_string(path)
    if not (isinstance(view_class, type) and issubclass(view_class, DatasetImportView)):
        raise ImproperlyConfigured(f"{path} is not an import view.")
    user = get_user_model().objects.get(pk=user_id)
    return view_class.for_task(tenant=current_tenant(), user=user)


def _check(view, target, tenant_id, token, preview) -> dict:
    preview = write_preview(tenant_id, token, {**preview, "state": "reading"})
    try:
        with default_storage.open(_upload_path(tenant_id, token)) as stored:
            dataset = load_table(stored, name=preview["name"])
    except ValidationError as error:
        preview = write_preview(
            tenant_id, token, {**preview, "state": "refused", "message": " ".join(error.messages)}
        )
        default_storage.delete(_upload_path(tenant_id, token))
        return preview
    preview = write_preview(
        tenant_id, token, {**preview, "state": "checking", "rows": len(dataset)}
    )
    report = view.run_import(target, dataset, dry_run=True, confirm=True)
    preview = write_preview(
        tenant_id,
        token,
        {
            **preview,
            "state": "ready",
            "report": report_state(report),
            "dataset": dataset_state(dataset) if report.ok else None,
        },
    )
    default_storage.delete(_upload_path(tenant_id, token))
    return preview


def _import(view, target, tenant_id, token, preview, *, confirm: bool) -> dict:
    dataset = dataset_from(preview)
    if dataset is None:
        raise ValidationError("The preview holds no rows to import.")
    report = view.run_import(target, dataset, dry_run=False, confirm=confirm)
    if report.ok:
        return write_preview(
            tenant_id,
            token,
            {
                **preview,
                "state": "done",
                "report": report_state(report),
                "dataset": None,
                "message": view.success_message(report),
            },
        )
    # Nothing was saved: the preview again, with what stopped it (a warning to confirm, or a
    # row that has become invalid since).
    preview = write_preview(
        tenant_id, token, {**preview, "state": "ready", "report": report_state(report)}
    )
    release_preview(tenant_id, token)
    return preview


def _why(error) -> str:
    if isinstance(error, Http404):
        return "What you were importing into no longer exists."
    if isinstance(error, PermissionDenied):
        return "Your role no longer allows this import."
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    logger.error("Import step failed: %r", error)
    return (
        "The import stopped on an unexpected error. Check the list before you upload the file "
        "again: an import saves all of its rows or none."
    )


# --- Clean-up -----------------------------------------------------------------------------------


def purge_import_previews(*, tenant_id=None, older_than: timedelta = KEEP_FOR, now=None) -> int:
    """Delete previews (and their uploads) older than `older_than`: for one tenant, or for every
    tenant with an imports folder. The number of files deleted."""
    cutoff = (now or timezone.now()) - older_than
    if tenant_id is None:
        try:
            folders, _files = default_storage.listdir("tenants")
        except FileNotFoundError:
            return 0
        tenant_ids = [folder for folder in folders if folder.isdigit()]
    else:
        tenant_ids = [tenant_id]
    removed = 0
    for tid in tenant_ids:
        folder = _folder(tid)
        try:
            _folders, files = default_storage.listdir(folder)
        except FileNotFoundError:
            continue
        for file_name in files:
            path = f"{folder}/{file_name}"
            try:
                if _modified(path) < cutoff:
                    default_storage.delete(path)
                    removed += 1
            except FileNotFoundError:  # confirmed or purged meanwhile
                continue
    return removed


def _modified(path: str):
    modified = default_storage.get_modified_time(path)
    if timezone.is_naive(modified):
        modified = timezone.make_aware(modified, timezone.get_default_timezone())
    return modified

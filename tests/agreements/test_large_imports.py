"""A large import is checked, and imported, by background tasks; the page shows its progress
and then the same preview and confirm step as a small one. Previews nobody confirms are
deleted after a day."""

import datetime
import io
import json
import os
import time
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from accounts.platform import import_tasks
from accounts.platform.importing import MAX_ROWS
from accounts.platform.models import Membership, Role
from accounts.platform.tenancy import activate
from agreements.models import PriceListEntry
from tests.factories import PriceListFactory, ProductFactory

CSV = "product_code,unit_price\nPY-101,100.00\nSQL-200,20\nJS-300,30.5\n"


@pytest.fixture
def price_list(world_a):
    for code in ("PY-101", "SQL-200", "JS-300"):
        ProductFactory(tenant=world_a.tenant, code=code)
    return PriceListFactory(tenant=world_a.tenant, currency="EUR")


@pytest.fixture
def large(monkeypatch):
    """Three rows count as a large import (the real threshold is BACKGROUND_ROWS)."""
    monkeypatch.setattr(import_tasks, "BACKGROUND_ROWS", 2)


def page(price_list):
    return f"/alpha/price-lists/{price_list.pk}/import/"


def upload(text=CSV, name="prices.csv"):
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def entries(tenant):
    with activate(tenant):
        return sorted(PriceListEntry.objects.values_list("product__code", "unit_price"))


def outcome(report):
    return (report.ok, report.errors, report.warnings, report.new, report.updated)


def test_a_large_import_is_checked_by_a_task_and_ends_at_the_same_preview(
    world_a, price_list, client_for, django_capture_on_commit_callbacks, monkeypatch
):
    client = client_for(world_a.staff)
    small = client.post(page(price_list), {"file": upload()})
    assert small.status_code == 200 and small.context["report"].ok

    monkeypatch.setattr(import_tasks, "BACKGROUND_ROWS", 2)
    with django_capture_on_commit_callbacks() as queued:
        started = client.post(page(price_list), {"file": upload()})
    assert started.status_code == 302
    token = started["Location"].split("?preview=")[1]
    assert started["Location"] == f"{page(price_list)}?preview={token}"
    assert len(queued) == 1, "the check is queued once the upload is stored"

    waiting = client.get(started["Location"])
    body = waiting.content.decode()
    assert waiting.status_code == 200 and "Waiting for a worker" in body
    assert 'hx-trigger="every 1s"' in body and "report" not in waiting.context

    queued[0]()  # the worker runs the task (the tests' backend runs it at once)

    polled = client.get(
        started["Location"], headers={"HX-Request": "true", "HX-Target": "import-result"}
    )
    assert polled.templates[0].name == "includes/import_result.html"
    assert "hx-trigger" not in polled.content.decode(), "polling stops with the preview"
    preview = client.get(started["Location"])
    assert preview.templates[0].name == small.templates[0].name == "includes/import_page.html"
    assert outcome(preview.context["report"]) == outcome(small.context["report"])
    assert preview.context["rows"] == small.context["rows"] == 3
    assert preview.context["token"] == token
    assert "All 3 rows are valid" in preview.content.decode()
    assert entries(world_a.tenant) == [], "a preview saves nothing"

    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(page(price_list), {"token": token})
    assert confirmed["Location"] == started["Location"], "a large import runs as a task too"
    done = client.get(confirmed["Location"])
    assert done.status_code == 302 and done["Location"] == price_list.get_absolute_url()
    assert [str(m) for m in get_messages(done.wsgi_request)] == [
        "Imported 3 new prices and changed 0 prices."
    ]
    assert entries(world_a.tenant) == [
        ("JS-300", Decimal("30.500")),
        ("PY-101", Decimal("100.000")),
        ("SQL-200", Decimal("20.000")),
    ]
    assert import_tasks.read_preview(world_a.tenant.pk, token) is None
    again = client.post(page(price_list), {"token": token})
    assert again.status_code == 302 and entries(world_a.tenant)[0][0] == "JS-300"


def test_a_large_file_is_stored_unread_and_its_errors_come_back_as_the_preview(
    world_a, price_list, client_for, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(import_tasks, "BACKGROUND_BYTES", 10)
    counted = _Counted(import_tasks.load_table)
    monkeypatch.setattr(import_tasks, "load_table", counted)
    client = client_for(world_a.staff)
    with django_capture_on_commit_callbacks() as queued:
        started = client.post(page(price_list), {"file": upload(CSV + "NOPE,1\n")})
    assert started.status_code == 302 and counted.calls == 0, "not read in the request"
    queued[0]()
    assert counted.calls == 1
    preview = client.get(started["Location"])
    report = preview.context["report"]
    assert preview.status_code == 200 and not report.ok
    assert [line for line, _message in report.errors] == [5], "the unknown product's line"
    assert "token" not in preview.context, "nothing to confirm"


class _Counted:
    def __init__(self, function):
        self.function, self.calls = function, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.function(*args, **kwargs)


def test_a_large_file_past_the_row_limit_is_refused_by_the_task_with_the_limit(
    world_a, price_list, client_for, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(import_tasks, "BACKGROUND_BYTES", 10)
    client = client_for(world_a.staff)
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(
            page(price_list), {"file": upload("product_code,unit_price\n" + "A,1\n" * 20_000)}
        )
    body = client.get(started["Location"]).content.decode()
    assert f"prices.csv has more than {MAX_ROWS} rows" in body
    assert "Nothing was imported from prices.csv" in body


def test_a_task_runs_with_the_role_the_user_has_when_it_runs(
    world_a, price_list, client_for, django_capture_on_commit_callbacks, large
):
    client = client_for(world_a.staff)
    with django_capture_on_commit_callbacks() as queued:
        started = client.post(page(price_list), {"file": upload()})
    with activate(world_a.tenant):
        Membership.objects.filter(user=world_a.staff).update(role=Role.VIEWER)
    queued[0]()
    with activate(world_a.tenant):
        Membership.objects.filter(user=world_a.staff).update(role=Role.STAFF)
    body = client.get(started["Location"]).content.decode()
    assert "Your role no longer allows this import." in body


def test_a_preview_belongs_to_its_import_page(world_a, price_list, client_for):
    client = client_for(world_a.staff)
    token = client.post(page(price_list), {"file": upload()}).context["token"]
    other = PriceListFactory(tenant=world_a.tenant, currency="EUR")
    assert client.post(page(other), {"token": token}).status_code == 404
    assert client.get(f"{page(other)}?preview={token}").status_code == 404
    assert client.get(f"{page(price_list)}?preview=not-a-token").status_code == 404
    assert entries(world_a.tenant) == []


def test_a_preview_is_imported_once_however_often_it_is_confirmed(world_a, price_list, client_for):
    client = client_for(world_a.staff)
    token = client.post(page(price_list), {"file": upload()}).context["token"]
    assert import_tasks.claim_preview(world_a.tenant.pk, token)  # another request holds it
    held = client.post(page(price_list), {"token": token})
    assert held.status_code == 302 and entries(world_a.tenant) == []
    import_tasks.release_preview(world_a.tenant.pk, token)
    assert client.post(page(price_list), {"token": token}).status_code == 302
    assert len(entries(world_a.tenant)) == 3


def test_a_check_that_stopped_reporting_says_so(world_a, price_list, client_for):
    token = import_tasks.new_token()
    import_tasks.write_preview(
        world_a.tenant.pk,
        token,
        {"state": "reading", "view": _view_path(), "target": price_list.pk, "name": "big.csv"},
    )
    path = import_tasks.preview_path(world_a.tenant.pk, token)
    stored = json.loads(default_storage.open(path).read())
    stored["updated"] = (timezone.now() - datetime.timedelta(hours=2)).isoformat()
    default_storage.delete(path)
    default_storage.save(path, ContentFile(json.dumps(stored).encode()))
    body = client_for(world_a.staff).get(f"{page(price_list)}?preview={token}").content.decode()
    assert "seems to have stopped" in body and "hx-trigger" not in body


def _view_path():
    from agreements.views import PriceListImportView

    return PriceListImportView.task_path()


# --- Clean-up -----------------------------------------------------------------------------------


@pytest.fixture
def disk(tmp_path):
    """Real files on disk, so that their modification time can be set a day back."""
    storages = {
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        yield tmp_path


def stored_file(tenant_id, name, *, age_hours=0.0):
    path = default_storage.save(f"tenants/{tenant_id}/imports/{name}", ContentFile(b"{}"))
    when = time.time() - age_hours * 3600
    os.utime(default_storage.path(path), (when, when))
    return path


def test_the_purge_deletes_previews_older_than_a_day_and_keeps_fresh_ones(disk, tenant_a, tenant_b):
    old = stored_file(tenant_a.pk, f"{import_tasks.new_token()}.json", age_hours=25)
    old_upload = stored_file(tenant_b.pk, f"{import_tasks.new_token()}.upload", age_hours=48)
    fresh = stored_file(tenant_a.pk, f"{import_tasks.new_token()}.json", age_hours=23)
    default_storage.save(f"tenants/{tenant_a.pk}/logo-1.png", ContentFile(b"png"))
    os.utime(default_storage.path(f"tenants/{tenant_a.pk}/logo-1.png"), (0, 0))

    out = io.StringIO()
    call_command("purge_import_previews", stdout=out)

    assert "Deleted 2 import preview files." in out.getvalue()
    assert not default_storage.exists(old) and not default_storage.exists(old_upload)
    assert default_storage.exists(fresh)
    assert default_storage.exists(f"tenants/{tenant_a.pk}/logo-1.png"), "only imports/ is purged"


def test_storing_a_new_preview_purges_that_companys_old_ones(disk, world_a, price_list, client_for):
    old = stored_file(world_a.tenant.pk, f"{import_tasks.new_token()}.json", age_hours=30)
    response = client_for(world_a.staff).post(page(price_list), {"file": upload()})
    assert response.status_code == 200
    assert not default_storage.exists(old)
    token = response.context["token"]
    assert default_storage.exists(import_tasks.preview_path(world_a.tenant.pk, token))

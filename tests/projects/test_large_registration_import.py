"""A large registration import goes through background tasks with the same warnings and
confirmation as a small one (DatasetImportView, accounts/platform/import_tasks.py)."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.platform import import_tasks
from accounts.platform.tenancy import activate
from projects import services
from projects.models import PrivateEvent, Project, Registration


@pytest.fixture
def project(deal):
    with activate(deal["tenant"]):
        project = services.project_save(
            tenant=deal["tenant"],
            by=None,
            project=Project(
                name="Leadership",
                account=deal["account"],
                booking=deal["booking"],
                start_date=datetime.date(2026, 1, 1),
                end_date=datetime.date(2026, 12, 31),
            ),
        )
        services.event_save(
            tenant=deal["tenant"],
            by=None,
            event=PrivateEvent(
                project=project,
                product=deal["course"],
                title="First-time manager",
                capacity=2,
                start_date=datetime.date(2026, 3, 2),
                end_date=datetime.date(2026, 3, 3),
            ),
        )
    return project


def test_a_large_registration_import_asks_to_confirm_its_warnings_as_a_small_one_does(
    world_a, deal, project, client_for, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(import_tasks, "BACKGROUND_ROWS", 2)
    address = reverse(
        "projects:registration-import", kwargs={"tenant_slug": "alpha", "pk": project.pk}
    )
    client = client_for(world_a.staff)
    existing = deal["learners"][0]
    csv = (
        "event,learner_email,first_name,last_name,requested_date\n"
        f"First-time manager,{existing.email},,,2026-02-01\n"
        "First-time manager,nina@meridian.example,Nina,New,01/02/2026\n"
        "First-time manager,omar@meridian.example,Omar,Other,2026-02-01\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(address, {"file": SimpleUploadedFile("r.csv", csv.encode())})
    preview = client.get(started["Location"])
    report = preview.context["report"]
    assert report.new == 3 and report.warnings and "full" in report.warnings[0][1]
    token = preview.context["token"]

    with django_capture_on_commit_callbacks(execute=True):
        unconfirmed = client.post(address, {"token": token})
    again = client.get(unconfirmed["Location"])
    assert not again.context["report"].ok and again.context["report"].warnings
    assert 'name="confirm_warnings"' in again.content.decode(), "confirm from here, as before"
    assert again.context["token"] == token
    with activate(deal["tenant"]):
        assert not Registration.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(address, {"token": token, "confirm_warnings": "1"})
    done = client.get(confirmed["Location"])
    assert done.status_code == 302
    with activate(deal["tenant"]):
        assert Registration.objects.count() == 3


def test_a_refused_confirmation_offers_the_confirmation_again(world_a, deal, project, client_for):
    address = reverse(
        "projects:registration-import", kwargs={"tenant_slug": "alpha", "pk": project.pk}
    )
    client = client_for(world_a.staff)
    csv = (
        "event,learner_email,first_name,last_name,requested_date\n"
        "First-time manager,nina@meridian.example,Nina,New,2026-02-01\n"
        "First-time manager,omar@meridian.example,Omar,Other,2026-02-01\n"
        "First-time manager,pia@meridian.example,Pia,Third,2026-02-01\n"
    )
    token = client.post(address, {"file": SimpleUploadedFile("r.csv", csv.encode())}).context[
        "token"
    ]
    refused = client.post(address, {"token": token})
    assert refused.status_code == 422
    assert 'name="confirm_warnings"' in refused.content.decode()
    assert client.post(address, {"token": token, "confirm_warnings": "1"}).status_code == 302

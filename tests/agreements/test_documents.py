import io
import re
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from accounts.platform.tenancy import activate
from agreements.models import BookingDocument
from tests.factories import AccountFactory, BookingFactory

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def booking(world_a):
    return BookingFactory(account=AccountFactory(tenant=world_a.tenant))


def upload(client, booking, name, data):
    return client.post(
        f"/alpha/bookings/{booking.pk}/documents/upload/",
        {"file": SimpleUploadedFile(name, data), "description": "Contract"},
        follow=True,
    )


def stored_files(world):
    folder = f"tenants/{world.tenant.pk}/documents"
    try:
        return sorted(default_storage.listdir(folder)[1])
    except FileNotFoundError:
        return []


def documents(world):
    with activate(world.tenant):
        return list(BookingDocument.objects.all())


def docx_bytes():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "data"), [("Signed contract.pdf", PDF), ("Annex.docx", docx_bytes())]
)
def test_a_contract_is_stored_under_a_generated_name(world_a, booking, client_for, name, data):
    response = upload(client_for(world_a.staff), booking, name, data)
    assert f"{name} uploaded" in response.content.decode()
    (document,) = documents(world_a)
    assert document.original_name == name and document.size == len(data)
    assert name not in document.file.name and document.file.name.startswith(
        f"tenants/{world_a.tenant.pk}/documents/"
    )


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("setup.exe", b"MZ\x90\x00" + b"\x00" * 64, "are not accepted"),
        ("contract.pdf", b"MZ\x90\x00" + b"\x00" * 64, "does not contain what its name says"),
        ("contract.pdf", b"<html><script>alert(1)</script></html>", "does not contain"),
        ("notes.html", b"<html></html>", "are not accepted"),
        ("empty.pdf", b"", "is empty"),
    ],
)
def test_disallowed_or_disguised_files_are_refused_and_nothing_is_stored(
    world_a, booking, client_for, name, data, message
):
    before = stored_files(world_a)
    response = upload(client_for(world_a.staff), booking, name, data)
    assert message in response.content.decode()
    assert documents(world_a) == []
    assert stored_files(world_a) == before


@override_settings(UPLOAD_MAX_BYTES=1024)
def test_an_oversized_file_is_refused(world_a, booking, client_for):
    before = stored_files(world_a)
    response = upload(client_for(world_a.staff), booking, "big.pdf", PDF + b"0" * 2048)
    assert "files may be at most 1.0" in response.content.decode()
    assert documents(world_a) == [] and stored_files(world_a) == before


def test_a_download_is_an_attachment_with_an_encoded_name(world_a, booking, client_for):
    upload(client_for(world_a.staff), booking, "Vertrag Müller & Söhne.pdf", PDF)
    (document,) = documents(world_a)
    response = client_for(world_a.viewer).get(f"/alpha/documents/{document.pk}/download/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''Vertrag%20M%C3%BCller%20%26%20S%C3%B6hne.pdf" in disposition
    assert response["Content-Type"] == "application/pdf"


def test_another_tenant_cannot_download_and_a_viewer_cannot_upload(
    world_a, world_b, booking, client_for
):
    upload(client_for(world_a.staff), booking, "c.pdf", PDF)
    (document,) = documents(world_a)
    assert (
        client_for(world_b.admin).get(f"/bravo/documents/{document.pk}/download/").status_code
        == 404
    )
    response = client_for(world_a.viewer).post(
        f"/alpha/bookings/{booking.pk}/documents/upload/",
        {"file": SimpleUploadedFile("x.pdf", PDF)},
    )
    assert response.status_code == 403


def test_deleting_a_document_removes_the_file(
    world_a, booking, client_for, django_capture_on_commit_callbacks
):
    client = client_for(world_a.staff)
    upload(client, booking, "c.pdf", PDF)
    (document,) = documents(world_a)
    question = client.post(f"/alpha/documents/{document.pk}/delete/").content.decode()
    assert "Delete c.pdf (" in question and "The file is deleted from storage." in question
    assert documents(world_a) == [document], "nothing happens unconfirmed"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/alpha/documents/{document.pk}/delete/", {"confirmed": "1"})
    assert documents(world_a) == []
    assert not default_storage.exists(document.file.name)


def test_an_upload_error_keeps_the_description_typed(world_a, booking, client_for):
    """Issue 17: the refusal came back on an empty form."""
    response = client_for(world_a.staff).post(
        f"/alpha/bookings/{booking.pk}/documents/upload/",
        {
            "file": SimpleUploadedFile("tool.exe", b"MZ\x90\x00"),
            "description": "Signed framework, all annexes",
        },
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert 'value="Signed framework, all annexes"' in html
    assert re.search(r'<input[^>]*name="file"[^>]*is-invalid|is-invalid[^>]*name="file"', html)
    assert documents(world_a) == []


def test_a_project_upload_error_keeps_the_description_typed(world_a, client_for):
    from tests.factories import AccountFactory, ProjectFactory

    project = ProjectFactory(account=AccountFactory(tenant=world_a.tenant))
    response = client_for(world_a.staff).post(
        f"/alpha/projects/{project.pk}/documents/upload/",
        {"file": SimpleUploadedFile("tool.exe", b"MZ\x90\x00"), "description": "Course plan"},
    )
    assert response.status_code == 422
    assert 'value="Course plan"' in response.content.decode()

"""Uploaded documents (signed contracts, project documents): one model shape, one way to store,
delete and serve them, shared by every app that keeps files.

Files are checked by size, extension and content before anything is stored (accounts.uploads),
kept under a generated name (the uploader's name is in the database only), and served only
through views that fetched the row inside the tenant's scope.
"""

import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models, transaction
from django.http import FileResponse, Http404
from django.utils.translation import gettext

from accounts.platform.audit import audit
from accounts.platform.tenancy import TenantOwned
from accounts.platform.uploads import check_document


def document_path(instance, filename):
    """A generated name: the uploader's file name is kept in the database only."""
    suffix = PurePosixPath(filename).suffix.lower()[:10]
    return f"tenants/{instance.tenant_id}/documents/{uuid.uuid4().hex}{suffix}"


class StoredDocument(TenantOwned):
    file = models.FileField(upload_to=document_path, max_length=255)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    description = models.CharField(max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["-uploaded_at"]

    def __str__(self):
        return self.original_name


def store(document: StoredDocument, upload, *, by, description: str = "") -> StoredDocument:
    """Check the upload, then save the file and the row together (the caller's transaction)."""
    checked = check_document(upload)
    document.original_name = checked.original_name
    document.content_type = checked.content_type
    document.size = checked.size
    document.description = description
    document.uploaded_by = by if getattr(by, "is_authenticated", False) else None
    document.file.save(checked.original_name, upload, save=False)
    try:
        document.full_clean(exclude=["file"])
        document.save()
    except Exception:
        document.file.delete(save=False)
        raise
    return document


def discard(document: StoredDocument, *, tenant=None, by=None, attached_to=None) -> None:
    """Delete the row now and the file once the transaction has committed; with `tenant`, the
    deletion is audited (what the document was attached to, and its file's name)."""
    if tenant is not None:
        audit(
            tenant=tenant,
            actor=by,
            action="document deleted",
            obj=document,
            before={"attached to": str(attached_to), "file": document.original_name},
        )
    stored, storage = document.file.name, document.file.storage
    document.delete()
    transaction.on_commit(lambda: storage.delete(stored))


def serve(document: StoredDocument) -> FileResponse:
    """The file as an attachment with its original (correctly encoded) name."""
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing from storage.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=document.original_name,
        content_type=document.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def upload_from_request(request, form, save) -> StoredDocument | None:
    """Validate an upload form and store the file through `save(upload, description)`: the
    document (and a message saying so), or None with what to change on the form, which the
    page shows again as it was typed (issue 17: an upload error lost the description)."""
    from django.contrib import messages
    from django.core.exceptions import ValidationError

    if not form.is_valid():
        return None
    try:
        document = save(form.cleaned_data["file"], form.cleaned_data["description"])
    except ValidationError as error:
        form.add_error("file", error.messages)
        return None
    messages.success(
        request, gettext("%(original_name)s uploaded.") % {"original_name": document.original_name}
    )
    return document


def delete_question(document: StoredDocument, *, attached_to: str, cancel_url: str) -> dict:
    """What deleting a document will do, for `confirm.ask` (issue 17: asks once)."""
    from django.template.defaultfilters import filesizeformat

    return {
        "title": f"Delete {document.original_name}",
        "question": (
            f"Delete {document.original_name} ({filesizeformat(document.size)}, uploaded "
            f"{document.uploaded_at:%-d %b %Y}) from {attached_to}? The file is deleted from "
            "storage."
        ),
        "warning": "A deleted document cannot be restored: upload it again if you need it.",
        "button": "Delete the document",
        "cancel_url": cancel_url,
    }

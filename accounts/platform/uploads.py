"""Checks for uploaded documents (contracts, project documents): size, extension and content.

The extension must be allowed *and* the file's first bytes must match it, so a renamed
executable or an HTML page called `contract.pdf` is refused before anything is stored.
"""

from dataclasses import dataclass
from pathlib import PurePosixPath

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext

# extension -> (content type, the content types filetype may detect for it)
ALLOWED = {
    ".pdf": ("application/pdf", {"application/pdf"}),
    ".png": ("image/png", {"image/png"}),
    ".jpg": ("image/jpeg", {"image/jpeg"}),
    ".jpeg": ("image/jpeg", {"image/jpeg"}),
    ".docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        {"application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
    ),
    ".xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    ),
    ".pptx": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        {"application/vnd.openxmlformats-officedocument.presentationml.presentation"},
    ),
    ".odt": (
        "application/vnd.oasis.opendocument.text",
        {"application/vnd.oasis.opendocument.text"},
    ),
    ".ods": (
        "application/vnd.oasis.opendocument.spreadsheet",
        {"application/vnd.oasis.opendocument.spreadsheet"},
    ),
    ".doc": ("application/msword", {"application/msword", "application/x-ole-storage"}),
    ".xls": ("application/vnd.ms-excel", {"application/vnd.ms-excel", "application/x-ole-storage"}),
}
ALLOWED_LABEL = "PDF, PNG, JPEG, Word, Excel, PowerPoint or OpenDocument"


@dataclass(frozen=True)
class CheckedUpload:
    original_name: str
    content_type: str
    size: int


def check_document(upload) -> CheckedUpload:
    name = PurePosixPath(upload.name or "").name[:255]
    limit = settings.UPLOAD_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            (
                gettext("%(name)s is %(size)s; files may be at most %(limit)s.")
                % {
                    "name": name,
                    "size": filesizeformat(upload.size),
                    "limit": filesizeformat(limit),
                }
            ),
            code="too_large",
        )
    if upload.size == 0:
        raise ValidationError(gettext("%(name)s is empty.") % {"name": name}, code="empty")
    extension = PurePosixPath(name).suffix.lower()
    if extension not in ALLOWED:
        raise ValidationError(
            (
                gettext(
                    "%(name)s: files of type “%(extension)s” are not accepted. Upload a "
                    "%(ALLOWED_LABEL)s file."
                )
                % {
                    "name": name,
                    "extension": extension or "no extension",
                    "ALLOWED_LABEL": ALLOWED_LABEL,
                }
            ),
            code="bad_type",
        )
    content_type, acceptable = ALLOWED[extension]
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    detected = filetype.guess_mime(head)
    if detected not in acceptable:
        raise ValidationError(
            (
                gettext(
                    "%(name)s does not contain what its name says (%(upper)s); it may be renamed "
                    "from another kind of file. Upload the original document."
                )
                % {"name": name, "upper": extension[1:].upper()}
            ),
            code="content_mismatch",
        )
    return CheckedUpload(original_name=name, content_type=content_type, size=upload.size)

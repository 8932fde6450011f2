"""Checks every upload of the integrity app passes (documents, standards' texts,
attachments): not empty, not too large, and of the type its name says."""

import math

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_UPLOAD_BYTES = 20 * 1024 * 1024

# What a file of each allowed extension begins with; a CSV has no signature, but text
# holds no NUL byte. Checked so that a renamed executable is not kept as a "PDF".
SIGNATURES = {
    "pdf": (b"%PDF-",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "xlsx": (b"PK\x03\x04",),
}


def extension_of(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def check_upload(upload, field: str = "file") -> None:
    """ValidationError on `field` when the file is empty, larger than MAX_UPLOAD_BYTES or
    not what its extension says (the allowed extensions are the model field's business)."""
    if upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            {
                field: _("The file is %(size)s MB; a file may be at most %(limit)s MB.")
                % {
                    # Rounded up: a file just over the limit must not read as "20.0 MB".
                    "size": f"{math.ceil(upload.size * 10 / 1024 / 1024) / 10:.1f}",
                    "limit": MAX_UPLOAD_BYTES // 1024 // 1024,
                }
            }
        )
    if upload.size == 0:
        raise ValidationError({field: _("The file is empty.")})
    head = upload.read(8192)
    upload.seek(0)
    extension = extension_of(upload.name)
    signatures = SIGNATURES.get(extension)
    looks_wrong = not head.startswith(signatures) if signatures is not None else b"\x00" in head
    if looks_wrong:
        raise ValidationError(
            {
                field: _("The file is named .%(extension)s but its content is not of that type.")
                % {"extension": extension}
            }
        )

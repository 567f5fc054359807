"""Checking uploaded files: an allowed type, a size limit, and content that matches the name."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

_ZIP = (b"PK\x03\x04",)
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    ".pdf": (b"%PDF",),
    ".png": (b"\x89PNG",),
    ".jpg": (b"\xff\xd8",),
    ".jpeg": (b"\xff\xd8",),
    ".pptx": _ZIP,
    ".docx": _ZIP,
    ".xlsx": _ZIP,
    ".mp4": (),  # checked by the ftyp box below
}
DOCUMENTS = (".pdf", ".pptx", ".docx", ".xlsx")
IMAGES = (".png", ".jpg", ".jpeg")
VIDEOS = (".mp4",)


def extension_of(name: str) -> str:
    name = (name or "").lower()
    return name[name.rfind("."):] if "." in name else ""


def check_upload(upload, *, field: str, allowed: tuple[str, ...], max_bytes: int) -> None:
    """Raise a ValidationError on `field` unless the upload is an allowed type within the size limit."""
    extension = extension_of(upload.name)
    if extension not in allowed:
        raise ValidationError({field: _("Files of type %(type)s are not allowed here. Allowed: %(allowed)s.") % {
            "type": extension or _("(no extension)"), "allowed": ", ".join(a.lstrip(".").upper() for a in allowed)}})
    if upload.size > max_bytes:
        raise ValidationError({field: _("The file is %(size)s; the limit is %(limit)s.") % {
            "size": filesizeformat(upload.size), "limit": filesizeformat(max_bytes)}})
    head = upload.read(12)
    upload.seek(0)
    if extension == ".mp4":
        matches = head[4:8] == b"ftyp"
    else:
        matches = head.startswith(SIGNATURES[extension])
    if not matches:
        raise ValidationError({field: _("The file's content does not match its type.")})

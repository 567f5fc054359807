"""The content library: items with versions, tier-gated access, and every view and download recorded."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from enablement.audience import Viewer, sees
from enablement.models import ContentAccess, ContentItem, ContentVersion
from partners.access import require_vendor_staff
from partners.models import SignalKind
from partners.selectors import partner_for_user
from partners.services import signal_add
from prm.accounts.models import User
from prm.uploads import DOCUMENTS, IMAGES, VIDEOS, check_upload

LIBRARY_TYPES = DOCUMENTS + IMAGES + VIDEOS
LIBRARY_MAX_BYTES = 50 * 1024 * 1024


def _clean_tags(tags) -> list[str]:
    if isinstance(tags, str):
        tags = tags.replace("、", ",").split(",")
    return sorted({tag.strip() for tag in tags if tag and tag.strip()})


@transaction.atomic
def content_create(*, actor: User, file, notes: str = "", **fields) -> ContentItem:
    """A new library item with its first version; nothing is saved when the file is refused."""
    require_vendor_staff(actor)
    check_upload(file, field="file", allowed=LIBRARY_TYPES, max_bytes=LIBRARY_MAX_BYTES)
    fields["tags"] = _clean_tags(fields.get("tags", []))
    item = ContentItem(**fields)
    item.full_clean()
    item.save()
    content_version_add(item=item, actor=actor, file=file, notes=notes or _("First version"))
    return item


@transaction.atomic
def content_update(*, item: ContentItem, actor: User, **fields) -> ContentItem:
    require_vendor_staff(actor)
    if "tags" in fields:
        fields["tags"] = _clean_tags(fields["tags"])
    for name, value in fields.items():
        setattr(item, name, value)
    item.full_clean()
    item.save()
    return item


@transaction.atomic
def content_version_add(*, item: ContentItem, actor: User, file, notes: str = "") -> ContentVersion:
    require_vendor_staff(actor)
    check_upload(file, field="file", allowed=LIBRARY_TYPES, max_bytes=LIBRARY_MAX_BYTES)
    item = ContentItem.objects.select_for_update().get(pk=item.pk)
    number = item.current_version + 1
    version = ContentVersion.objects.create(item=item, number=number, file=file, notes=notes, uploaded_by=actor)
    ContentItem.objects.filter(pk=item.pk).update(current_version=number, updated_at=timezone.now())
    return version


def check_content_open(*, item: ContentItem, viewer: Viewer) -> None:
    if not item.is_published or not sees(item, viewer):
        if item.is_published and (item.min_tier_rank > viewer.rank or (item.gated and not viewer.gated_content)):
            raise PermissionDenied(_("This material is for partners of a higher tier."))
        raise PermissionDenied(_("This material is not available to your company."))


@transaction.atomic
def content_access_record(*, item: ContentItem, user: User, action: str) -> ContentAccess:
    """Record a view or download by a partner user (refused when the item is not open to them).

    A download is also a partner signal, so tiers, health and the incentive engine see it.
    """
    partner = partner_for_user(user)
    if partner is None:
        raise PermissionDenied
    check_content_open(item=item, viewer=Viewer.of(partner))
    version = ContentVersion.objects.filter(item=item, number=item.current_version).first()
    if version is None:
        raise ValidationError(_("This material has no file yet."))
    contact = getattr(user, "contact", None)
    access = ContentAccess.objects.create(item=item, version=version, user=user, contact=contact, partner=partner,
                                          action=action)
    counter = "download_count" if action == ContentAccess.Action.DOWNLOAD else "view_count"
    ContentItem.objects.filter(pk=item.pk).update(**{counter: F(counter) + 1})
    if action == ContentAccess.Action.DOWNLOAD:
        # Not signal_record: a download changes no contact stage or checklist item, and this path is hot.
        signal_add(partner=partner, contact=contact, kind=SignalKind.CONTENT_DOWNLOADED, occurred_at=access.at,
                   source=f"enablement.ContentAccess:{access.pk}")
    return access

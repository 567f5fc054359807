"""Saving and deleting a person's views of a list; the views call these, nothing else writes SavedView."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from prm import locks
from prm.accounts.access import require_vendor_staff
from prm.savedviews.models import MAX_NAME_LENGTH, SavedView

# Views one person keeps on one list: enough for every way a manager slices it, few enough to show as links.
MAX_PER_LIST = 50


@transaction.atomic
def saved_view_create(*, user, list_key: str, name: str, query: str, shared: bool) -> SavedView:
    """Keep `query` (already cleaned by the list) as the user's view `name` of the list. The count and the name
    are checked under a lock per person and list, so requests sent at once cannot pass the limit together."""
    require_vendor_staff(user)
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": _("Enter a name for the view.")})
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationError({"name": _("Use at most %(max)s characters for the name.") % {"max": MAX_NAME_LENGTH}})
    locks.hold(f"saved-views/{list_key}", user.pk)
    mine = SavedView.objects.filter(user=user, list_key=list_key)
    if mine.filter(name=name).exists():
        raise ValidationError({"name": _("You already have a view called “%(name)s”.") % {"name": name}})
    if mine.count() >= MAX_PER_LIST:
        raise ValidationError(_("You can keep at most %(max)s views of this list: delete one first.")
                              % {"max": MAX_PER_LIST})
    return SavedView.objects.create(user=user, list_key=list_key, name=name, query=query, shared=shared)


def saved_view_delete(*, user, pk: int) -> SavedView | None:
    """Delete the user's own view `pk`; None when the user has no such view (another's, even a shared one, or none)."""
    view = SavedView.objects.filter(pk=pk, user=user).first()
    if view is not None:
        view.delete()
    return view


def saved_views_for(*, user, list_key: str) -> list[SavedView]:
    """The user's views of the list and those the team shares, the user's own first, each by name. One query."""
    views = (SavedView.objects.filter(Q(user=user) | Q(shared=True), list_key=list_key)
             .select_related("user").order_by("name", "pk"))
    return sorted(views, key=lambda view: view.user_id != user.pk)

"""`{% saved_views "deals.pipeline" query %}`: a list's saved views as links, and the form that saves its filters."""

from __future__ import annotations

from django import template

from prm.savedviews.forms import SavedViewForm
from prm.savedviews.services import MAX_PER_LIST, saved_views_for

register = template.Library()


@register.inclusion_tag("savedviews/_bar.html", takes_context=True)
def saved_views(context, list_key: str, query: str | None) -> dict:
    """`query`: the list's current filters as the list writes them (no page number), what a new view keeps; None
    when the list refused them (nothing to save)."""
    request = context["request"]
    views = saved_views_for(user=request.user, list_key=list_key)
    return {
        "request": request, "user": request.user, "views": views, "query": query, "list_key": list_key,
        "form": SavedViewForm(initial={"list": list_key, "query": query or ""}),
        "can_save": query is not None and sum(view.user_id == request.user.pk for view in views) < MAX_PER_LIST,
        "csrf_token": context.get("csrf_token"),
    }

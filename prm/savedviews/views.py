"""Console: save the current filters of a list as a view, delete one's own (prm.savedviews)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from prm import savedviews
from prm.accounts.access import console_view
from prm.forms import errors_naming_fields
from prm.params import next_url
from prm.savedviews import services
from prm.savedviews.forms import SavedViewForm


def _list_url(listed: savedviews.SavedList, query: str) -> str:
    return f"{reverse(listed.url_name)}?{query}" if query else reverse(listed.url_name)


@console_view
@require_POST
def saved_view_create(request: HttpRequest) -> HttpResponse:
    form = SavedViewForm(request.POST)
    if not form.is_valid():
        messages.error(request, errors_naming_fields(form))
        return HttpResponseRedirect(next_url(request, request.POST.get("next", ""), "/"))
    listed, query = form.cleaned_data["list"], form.cleaned_data["query"]
    try:
        query = listed.clean(QueryDict(query))  # the list's own form: a view never keeps filters it refuses
        view = services.saved_view_create(user=request.user, list_key=listed.key, name=form.cleaned_data["name"],
                                          query=query, shared=form.cleaned_data["shared"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return HttpResponseRedirect(next_url(request, request.POST.get("next", ""), _list_url(listed, "")))
    messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
    return HttpResponseRedirect(_list_url(listed, view.query))


@console_view
@require_POST
def saved_view_delete(request: HttpRequest, pk: int) -> HttpResponse:
    view = services.saved_view_delete(user=request.user, pk=pk)
    if view is None:
        raise Http404  # another person's view, shared or not, is not theirs to delete
    messages.success(request, _("View “%(name)s” deleted.") % {"name": view.name})
    listed = savedviews.saved_list(view.list_key)
    default = _list_url(listed, "") if listed is not None else "/"
    return HttpResponseRedirect(next_url(request, request.POST.get("next", ""), default))

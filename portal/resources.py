"""Portal: the content library, study sessions, the FAQ and question path, announcements and roadmap."""

from __future__ import annotations

from urllib.parse import urlsplit

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST, require_safe

from deals.selectors import deals_registered_by
from enablement import calendar, selectors, services
from enablement.audience import Viewer
from enablement.models import Announcement, ContentAccess, ContentItem, PartnerQuestion, StudySession
from enablement.services.sessions import JOIN_LINK_OPENS, lead_window
from portal.access import or_404, portal_view
from prm.downloads import file_response
from prm.htmx import htmx_partial
from prm.invitations.forms import ServiceErrorsMixin
from prm.tenancy.urls import reverse_path, site_url


class AskForm(ServiceErrorsMixin, forms.Form):
    text = forms.CharField(label=gettext_lazy("Your question"), max_length=4000,
                           widget=forms.Textarea(attrs={"rows": 3}))


class AnswerForm(ServiceErrorsMixin, forms.Form):
    answer = forms.CharField(label=gettext_lazy("Answer"), max_length=8000, widget=forms.Textarea(attrs={"rows": 3}))


# --------------------------------------------------------------------------- library


def _item_for(request: HttpRequest, pk: int) -> ContentItem:
    """A published library item; content_access_record, which every library view calls, checks type and tier."""
    return or_404(selectors.published_content_item(pk))


@portal_view
@require_GET
def library(request: HttpRequest) -> HttpResponse:
    viewer = Viewer.of(request.partner)
    query, kind, tag = request.GET.get("q", "").strip()[:100], request.GET.get("kind", ""), request.GET.get("tag", "")
    sort = request.GET.get("sort", "new")
    if kind not in ContentItem.Kind.values:
        kind = ""
    items = selectors.library(viewer, query=query, kind=kind, tag=tag, sort=sort)
    page = Paginator(items, 24).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    context = {"page": page, "query": query, "kind": kind, "tag": tag, "sort": sort, "kinds": ContentItem.Kind.choices,
               "querystring": params.urlencode(), "viewer": viewer}
    if htmx_partial(request):
        return render(request, "portal/resources/_library_results.html", context)
    context["tags"] = selectors.library_tags(viewer)
    return render(request, "portal/resources/library.html", context)


@portal_view
@require_GET
def content(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item_for(request, pk)
    services.content_access_record(item=item, user=request.user, action=ContentAccess.Action.VIEW)
    return render(request, "portal/resources/content.html", {
        "item": item, "versions": selectors.recent_versions(item, limit=10),
    })


@portal_view
@require_safe
def content_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    item = _item_for(request, pk)
    try:
        access = services.content_access_record(item=item, user=request.user, action=ContentAccess.Action.DOWNLOAD)
    except ValidationError:
        raise Http404 from None
    return file_response(request, access.version.file)


# --------------------------------------------------------------------------- sessions


@portal_view
@require_GET
def sessions(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    rows = selectors.sessions_for(request.user, request.partner).select_related("partner")
    return render(request, "portal/resources/sessions.html", {
        "upcoming": list(rows.filter(ends_at__gte=now).order_by("starts_at")[:50]),
        "past": list(rows.filter(ends_at__lt=now)[:30]),
    })


def _session_for(request: HttpRequest, pk: int) -> StudySession:
    sessions = selectors.sessions_for(request.user, request.partner)
    return get_object_or_404(sessions, pk=pk)


@portal_view
@require_GET
def session(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session_for(request, pk)
    now = timezone.now()
    start, lead_until = lead_window(session)
    seat = session.seats.filter(user=request.user).first()
    registered_here = 0
    if seat:  # the count the console shows for a session's attendees, for this rep alone
        registered_here = deals_registered_by([(session.pk, request.user.pk, start, lead_until)]).get(session.pk, 0)
    return render(request, "portal/resources/session.html", {
        "session": session, "seat": seat, "now": now, "running": start <= now <= lead_until,
        "started": session.starts_at <= now, "finished": session.ends_at < now, "lead_until": lead_until,
        "registered_here": registered_here, "join_url": services.join_url_for(session=session, seat=seat, now=now),
        "join_opens": session.starts_at - JOIN_LINK_OPENS,
        "full": session.capacity is not None and session.seat_count >= session.capacity,
    })


@portal_view
@require_POST
def session_join(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session_for(request, pk)
    try:
        services.session_join(session=session, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("You are registered for this session."))
    return redirect("portal_session", pk=session.pk)


@portal_view
@require_POST
def session_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session_for(request, pk)
    try:
        services.session_cancel(session=session, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Your registration is cancelled; the seat is free for someone else."))
    return redirect("portal_session", pk=session.pk)


@portal_view
@require_safe
def session_calendar(request: HttpRequest, pk: int) -> HttpResponse:
    """The session as an .ics file for the rep's calendar; the same UID every time, so a second import updates
    the event instead of adding another."""
    session = _session_for(request, pk)
    page = reverse_path("portal_session", "portal", pk=session.pk)
    try:
        url = site_url(request.tenant, "portal", page)
    except LookupError:
        url = request.build_absolute_uri(page)
    body = calendar.event_calendar(
        uid=f"study-session-{session.pk}@{urlsplit(url).hostname}", title=session.title, starts_at=session.starts_at,
        ends_at=session.ends_at, stamp=timezone.now(), location=session.place, url=url,
        description="\n\n".join(part for part in (session.agenda.strip(), url) if part))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="session-{session.pk}.ics"'
    return response


# --------------------------------------------------------------------------- FAQ and questions


@portal_view
@require_http_methods(["GET", "POST"])
def faq(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    form = AskForm(request.POST or None, initial={"text": query})
    if request.method == "POST" and form.is_valid():
        try:
            question = services.question_ask(actor=request.user, text=form.cleaned_data["text"])
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            if question.status == PartnerQuestion.Status.WITH_VENDOR:
                messages.success(request, _("Your question was sent to the vendor."))
            else:
                messages.success(request, _("Your question was sent to your sales manager."))
            return redirect("portal_questions")
    entries = services.faq_search(query)[:30] if query else services.faq_search("")[:30]
    return render(request, "portal/resources/faq.html", {"entries": entries, "query": query, "form": form})


@portal_view
@require_GET
def questions(request: HttpRequest) -> HttpResponse:
    manager = services.is_partner_manager(request.user, request.partner)
    rows = selectors.questions_for_partner_user(request.user, request.partner, manager=manager)
    return render(request, "portal/resources/questions.html", {
        "mine": [q for q in rows if q.asked_by_id == request.user.pk][:50],
        "waiting": [q for q in rows if q.status == PartnerQuestion.Status.WITH_MANAGER and q.asked_by_id != request.user.pk]
        if manager else [],
        "company": [q for q in rows if q.asked_by_id != request.user.pk and q.status != PartnerQuestion.Status.WITH_MANAGER][:50]
        if manager else [],
        "manager": manager, "answer_form": AnswerForm(), "now": timezone.now(),
    })


def _question_for(request: HttpRequest, pk: int) -> PartnerQuestion:
    question = or_404(selectors.question_of_partner(pk, partner=request.partner))
    if not services.is_partner_manager(request.user, request.partner) and question.asked_by_id != request.user.pk:
        raise Http404
    return question


@portal_view
@require_POST
def question_answer(request: HttpRequest, pk: int) -> HttpResponse:
    question = _question_for(request, pk)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write an answer."))
        return redirect("portal_questions")
    try:
        services.question_answer(question=question, actor=request.user, answer=form.cleaned_data["answer"])
    except PermissionDenied:
        raise
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Answer sent."))
    return redirect("portal_questions")


@portal_view
@require_POST
def question_escalate(request: HttpRequest, pk: int) -> HttpResponse:
    question = _question_for(request, pk)
    try:
        services.question_escalate(question=question, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Question passed on to the vendor."))
    return redirect("portal_questions")


# --------------------------------------------------------------------------- announcements


@portal_view
@require_GET
def announcements(request: HttpRequest) -> HttpResponse:
    viewer = Viewer.of(request.partner)
    kind = request.GET.get("kind", "")
    if kind not in Announcement.Kind.values:
        kind = ""
    page = Paginator(selectors.announcements_for(request.user, viewer, kind=kind or None), 20).get_page(
        request.GET.get("page"))
    return render(request, "portal/resources/announcements.html", {"page": page, "kind": kind, "viewer": viewer,
                                                                    "querystring": f"kind={kind}" if kind else ""})


@portal_view
@require_GET
def announcement(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = Viewer.of(request.partner)
    item = get_object_or_404(selectors.announcements_for(request.user, viewer), pk=pk)
    services.announcement_read(announcement=item, user=request.user)
    return render(request, "portal/resources/announcement.html", {"item": item})

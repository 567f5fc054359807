"""Console: study sessions and kickoffs (勉強会) — scheduling, invitations, attendance and the leads they bring."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from enablement import selectors, services
from enablement.forms_resources import AttendanceForm, SessionInviteForm, StudySessionForm
from enablement.models import SessionSeat, StudySession
from enablement.services import resources_admin
from enablement.services.sessions import lead_window
from partners.views.common import paginate, querystring_without_page
from prm.accounts.access import console_view


def get_session(pk: int) -> StudySession:
    return get_object_or_404(StudySession.objects.select_related("partner", "host"), pk=pk)


@console_view
@require_GET
def session_list(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    upcoming = list(selectors.sessions_console().filter(ends_at__gte=now).order_by("starts_at", "pk"))
    past = paginate(request, selectors.sessions_console().filter(ends_at__lt=now).order_by("-starts_at", "-pk"), 50)
    past.object_list = list(past.object_list)
    leads = selectors.session_leads([s.pk for s in upcoming] + [s.pk for s in past.object_list])
    for session in [*upcoming, *past.object_list]:
        session.leads = leads.get(session.pk, 0)
    return render(request, "enablement/resources/sessions.html", {
        "upcoming": upcoming, "page": past, "query": querystring_without_page(request), "now": now})


def _save(request: HttpRequest, session: StudySession | None) -> HttpResponse:
    if session is None:
        form = StudySessionForm(request.POST or None, initial={"host": request.user.pk, "lead_window_minutes": 60})
    else:
        form = StudySessionForm(request.POST or None, session=session)
    if request.method == "POST" and form.is_valid():
        fields = form.session_fields()
        if fields["host"] is None:
            fields["host"] = session.host if session else request.user
        try:
            session = services.session_save(actor=request.user, session=session, **fields)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("%(title)s saved.") % {"title": session.title})
            return redirect("enablement_session", pk=session.pk)
    return render(request, "enablement/resources/session_form.html", {"form": form, "session": session})


@console_view
@require_http_methods(["GET", "POST"])
def session_create(request: HttpRequest) -> HttpResponse:
    return _save(request, None)


@console_view
@require_http_methods(["GET", "POST"])
def session_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _save(request, get_session(pk))


def _seats(session: StudySession) -> list[SessionSeat]:
    return list(session.seats.select_related("user__partner_membership__partner", "user__contact").order_by(
        "user__partner_membership__partner__name_kana", "user__full_name", "user__email"))


def _session_page(request: HttpRequest, session: StudySession, *, invite_form: SessionInviteForm | None = None,
                  attendance_form: AttendanceForm | None = None, seats: list[SessionSeat] | None = None) -> HttpResponse:
    seats = _seats(session) if seats is None else seats
    counts = {status: 0 for status, _label in SessionSeat.Status.choices}
    for seat in seats:
        counts[seat.status] += 1
    start, end = lead_window(session)
    return render(request, "enablement/resources/session_detail.html", {
        "session": session,
        "seats": seats,
        "counts": counts,
        "started": session.starts_at <= timezone.now(),
        "invite_form": invite_form or SessionInviteForm(session=session),
        "attendance_form": attendance_form or AttendanceForm(seats=seats),
        "deals": resources_admin.session_lead_deals(session),
        "window_start": start,
        "window_end": end,
    })


@console_view
@require_GET
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _session_page(request, get_session(pk))


@console_view
@require_POST
def session_invite(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_session(pk)
    form = SessionInviteForm(request.POST, session=session)
    if form.is_valid():
        try:
            seats = services.session_invite(session=session, actor=request.user, partners=form.cleaned_data["partners"],
                                            users=form.cleaned_data["users"])
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            if seats:
                messages.success(request, ngettext("%(count)s person invited.", "%(count)s people invited.",
                                                   len(seats)) % {"count": len(seats)})
            else:
                messages.info(request, _("Everyone chosen already has a seat."))
            return redirect("enablement_session", pk=session.pk)
    return _session_page(request, session, invite_form=form)


@console_view
@require_POST
def session_attendance(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_session(pk)
    seats = _seats(session)
    form = AttendanceForm(request.POST, seats=seats)
    if not form.is_valid():
        messages.error(request, _("Choose a status for every seat."))
        return _session_page(request, session, attendance_form=form, seats=seats)
    try:
        changed = services.attendance_mark(session=session, actor=request.user, statuses=form.statuses())
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, ngettext("Attendance saved: %(count)s seat changed.",
                                           "Attendance saved: %(count)s seats changed.", changed) % {"count": changed})
    return redirect("enablement_session", pk=session.pk)

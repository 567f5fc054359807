"""Study sessions and kickoffs (勉強会): scheduling, invitations, attendance and the leads they produce."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from enablement.models import SessionSeat, StudySession
from partners.access import require_partner_member, require_vendor_staff
from partners.models import Partner, SignalKind
from partners.selectors import partner_for_user
from partners.services import signal_record, signals_withdraw
from prm import messages as msg
from prm.accounts.models import User
from prm.notifications.services import notify
from prm.tenancy.urls import reverse_path


@transaction.atomic
def session_save(*, actor: User, session: StudySession | None = None, **fields) -> StudySession:
    require_vendor_staff(actor)
    session = session or StudySession(host=actor)
    for name, value in fields.items():
        setattr(session, name, value)
    if session.starts_at and session.ends_at and session.ends_at <= session.starts_at:
        raise ValidationError({"ends_at": _("The end must be after the start.")})
    session.full_clean()
    session.save()
    return session


def lead_window(session: StudySession) -> tuple:
    return session.starts_at, session.ends_at + timedelta(minutes=session.lead_window_minutes)


@transaction.atomic
def session_invite(*, session: StudySession, actor: User, partners: Iterable[Partner] = (),
                   users: Iterable[User] = ()) -> list[SessionSeat]:
    """Seat every active user of the given partners and the given users; people already seated are skipped."""
    require_vendor_staff(actor)
    people = {user.pk: user for user in users if user.is_partner_user and user.is_active}
    partner_ids = [partner.pk for partner in partners]
    if session.partner_id is not None and any(pk != session.partner_id for pk in partner_ids):
        raise ValidationError(_("This session is for one partner only."))
    for user in User.objects.filter(partner_membership__partner__in=partner_ids, is_active=True):
        people[user.pk] = user
    if session.partner_id is not None:
        strangers = [u for u in people.values() if getattr(partner_for_user(u), "pk", None) != session.partner_id]
        if strangers:
            raise ValidationError(_("This session is for one partner only."))
    seated = set(session.seats.values_list("user_id", flat=True))
    new = [SessionSeat(session=session, user=user) for pk, user in people.items() if pk not in seated]
    if session.capacity is not None and len(seated) + len(new) > session.capacity:
        raise ValidationError(_("Only %(left)s seats are left; %(asked)s people were invited.") % {
            "left": max(session.capacity - len(seated), 0), "asked": len(new)})
    SessionSeat.objects.bulk_create(new)
    notify(users=[seat.user for seat in new], kind="session_invited", url=reverse_path("portal_session", "portal", pk=session.pk),
           message=(msg.text("session.invited", title=session.title),
                    msg.text("session.invited.body", when=msg.moment(session.starts_at), place=session.place or "-")))
    return new


@transaction.atomic
def session_join(*, session: StudySession, user: User) -> SessionSeat:
    """A partner user registers for an open session (or one for their own company) that has not started: an
    invitation they hold becomes a registration, or they take a free seat."""
    if session.partner_id is not None:
        require_partner_member(user, session.partner_id)
    elif partner_for_user(user) is None:
        raise PermissionDenied
    session = StudySession.objects.select_for_update().get(pk=session.pk)
    if session.starts_at <= timezone.now():
        raise ValidationError(_("This session has already started."))
    seat = SessionSeat.objects.filter(session=session, user=user).first()
    if seat is not None:
        if seat.status == SessionSeat.Status.INVITED:
            seat.status = SessionSeat.Status.REGISTERED
            seat.save(update_fields=["status"])
        return seat
    if session.capacity is not None and session.seats.count() >= session.capacity:
        raise ValidationError(_("This session is full."))
    return SessionSeat.objects.create(session=session, user=user, status=SessionSeat.Status.REGISTERED)


@transaction.atomic
def session_cancel(*, session: StudySession, user: User) -> None:
    """A partner user gives up their seat (registered or only invited) before the session starts; the seat is
    free for someone else, and nothing of the seat is left to count as attendance."""
    session = StudySession.objects.select_for_update().get(pk=session.pk)
    seat = SessionSeat.objects.filter(session=session, user=user).first()
    if seat is None:
        raise ValidationError(_("You are not registered for this session."))
    if session.starts_at <= timezone.now():
        raise ValidationError(_("This session has already started."))
    _withdraw_attendance(seat)
    seat.delete()


def _withdraw_attendance(seat: SessionSeat) -> None:
    """The 'session attended' signal goes with the attendance it records."""
    signals_withdraw(kind=SignalKind.SESSION_ATTENDED, source=f"enablement.SessionSeat:{seat.pk}")


JOIN_LINK_OPENS = timedelta(minutes=30)


def join_url_for(*, session: StudySession, seat: SessionSeat | None, now: datetime) -> str:
    """The meeting link a person may see now: registered (or attended) people, from shortly before the start
    until the end; "" otherwise."""
    if not session.join_url or seat is None or seat.status not in (SessionSeat.Status.REGISTERED, SessionSeat.Status.ATTENDED):
        return ""
    return session.join_url if session.starts_at - JOIN_LINK_OPENS <= now <= session.ends_at else ""


@transaction.atomic
def attendance_mark(*, session: StudySession, actor: User, statuses: dict[int, str]) -> int:
    """Set each seat's status; an attended seat records a 'session attended' signal once."""
    require_vendor_staff(actor)
    if session.starts_at > timezone.now():
        raise ValidationError(_("Attendance can be taken once the session has started."))
    valid = {choice for choice, _label in SessionSeat.Status.choices}
    seats = {seat.pk: seat for seat in session.seats.select_related("user__contact", "user__partner_membership__partner")}
    changed = 0
    for seat_id, status in statuses.items():
        if status not in valid or seat_id not in seats:
            raise ValidationError(_("Unknown seat or status."))
        seat = seats[seat_id]
        if seat.status == status:
            continue
        seat.status, seat.marked_at = status, timezone.now()
        seat.save(update_fields=["status", "marked_at"])
        changed += 1
        if status != SessionSeat.Status.ATTENDED:  # corrected
            _withdraw_attendance(seat)
        else:
            contact = getattr(seat.user, "contact", None)
            signal_record(partner=seat.user.partner_membership.partner, contact=contact,
                          kind=SignalKind.SESSION_ATTENDED, occurred_at=session.starts_at,
                          source=f"enablement.SessionSeat:{seat.pk}")
    return changed

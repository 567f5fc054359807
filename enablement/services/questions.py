"""The question path: a rep asks their own sales manager, who answers or escalates to the vendor;
an answered question can become an FAQ entry. Also announcements and their read receipts."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from enablement.audience import Viewer, sees
from enablement.models import Announcement, AnnouncementRead, FaqEntry, PartnerQuestion
from partners.access import require_vendor_staff
from partners.models import ContactRole, Partner
from partners.selectors import contact_of_user, partner_for_user, staff_for
from prm import messages as msg
from prm.accounts.models import Role, User
from prm.notifications.services import notify
from prm.tenancy.urls import reverse_path


def partner_managers(partner: Partner) -> list[User]:
    """Who answers a rep's question first: the company's sales managers, else its partner admins."""
    users = User.objects.filter(partner_membership__partner=partner, is_active=True)
    managers = list(users.filter(contact__role=ContactRole.SALES_MANAGER))
    return managers or list(users.filter(role=Role.PARTNER_ADMIN))


def is_partner_manager(user: User, partner: Partner) -> bool:
    own = partner_for_user(user)
    if own is None or own.pk != partner.pk or not user.is_active:
        return False
    return user.is_partner_admin or getattr(contact_of_user(user), "role", None) == ContactRole.SALES_MANAGER


@transaction.atomic
def question_ask(*, actor: User, text: str) -> PartnerQuestion:
    partner = partner_for_user(actor)
    if partner is None:
        raise PermissionDenied
    text = (text or "").strip()
    if len(text) < 5:
        raise ValidationError({"text": _("Write your question in a sentence or two.")})
    question = PartnerQuestion.objects.create(partner=partner, asked_by=actor, text=text)
    managers = [user for user in partner_managers(partner) if user.pk != actor.pk]
    if not managers:  # the asker is the company's only manager: straight to the vendor
        return question_escalate(question=question, actor=actor)
    notify(users=managers, kind="question_asked", url=reverse_path("portal_questions", "portal"),
           message=(msg.text("question.asked", name=actor.get_full_name()), text[:200]))
    return question


@transaction.atomic
def question_escalate(*, question: PartnerQuestion, actor: User) -> PartnerQuestion:
    question = PartnerQuestion.objects.select_for_update().get(pk=question.pk)
    if question.status != PartnerQuestion.Status.WITH_MANAGER:
        raise ValidationError(_("This question is no longer waiting for your company."))
    if not is_partner_manager(actor, question.partner) and actor.pk != question.asked_by_id:
        raise PermissionDenied
    question.status, question.escalated_at = PartnerQuestion.Status.WITH_VENDOR, timezone.now()
    question.save(update_fields=["status", "escalated_at"])
    notify(users=staff_for(question.partner), kind="question_escalated", url=reverse_path("question_queue", "console"),
           message=(msg.text("question.escalated", partner=question.partner.name), question.text[:200]))
    return question


@transaction.atomic
def question_answer(*, question: PartnerQuestion, actor: User, answer: str) -> PartnerQuestion:
    """The partner's manager answers while it is with them; vendor staff answer once it is escalated."""
    question = PartnerQuestion.objects.select_for_update().select_related("partner").get(pk=question.pk)
    answer = (answer or "").strip()
    if not answer:
        raise ValidationError({"answer": _("Write an answer.")})
    if question.status == PartnerQuestion.Status.ANSWERED:
        raise ValidationError(_("This question has already been answered."))
    by_vendor = actor.is_vendor_staff
    if by_vendor and question.status != PartnerQuestion.Status.WITH_VENDOR:
        raise ValidationError(_("This question is still with the partner's sales manager."))
    if not by_vendor and (question.status != PartnerQuestion.Status.WITH_MANAGER
                          or not is_partner_manager(actor, question.partner)):
        raise PermissionDenied
    question.status, question.answer, question.answered_by = PartnerQuestion.Status.ANSWERED, answer, actor
    question.answered_at, question.answered_by_vendor = timezone.now(), by_vendor
    question.save(update_fields=["status", "answer", "answered_by", "answered_at", "answered_by_vendor"])
    notify(users=[question.asked_by], kind="question_answered", url=reverse_path("portal_questions", "portal"),
           message=(msg.text("question.answered"), answer[:200]))
    return question


@transaction.atomic
def question_to_faq(*, question: PartnerQuestion, actor: User, faq_question: str, faq_answer: str,
                    tags=()) -> FaqEntry:
    require_vendor_staff(actor)
    if question.status != PartnerQuestion.Status.ANSWERED:
        raise ValidationError(_("Only an answered question can become an FAQ entry."))
    if question.faq_id is not None:
        raise ValidationError(_("This question is already in the FAQ."))
    entry = FaqEntry(question=faq_question.strip(), answer=faq_answer.strip(), tags=sorted(set(tags)))
    entry.full_clean()
    entry.save()
    PartnerQuestion.objects.filter(pk=question.pk).update(faq=entry)
    return entry


MAX_SEARCH_WORDS = 10


def faq_filter(entries, query: str):
    """Entries containing every word of the query in the question, the answer or the tags."""
    for word in (query or "").split()[:MAX_SEARCH_WORDS]:  # a pasted essay must not become a 5,000-join query
        entries = entries.filter(Q(question__icontains=word) | Q(answer__icontains=word) | Q(tags__contains=[word]))
    return entries


def faq_search(query: str):
    return faq_filter(FaqEntry.objects.filter(is_published=True), query)


# --------------------------------------------------------------------------- announcements


@transaction.atomic
def announcement_publish(*, actor: User, notify_partners: bool = False, **fields) -> Announcement:
    require_vendor_staff(actor)
    announcement = Announcement(**fields)
    announcement.full_clean()
    announcement.save()
    if notify_partners:
        from enablement.selectors import announcement_audience

        notify(users=announcement_audience(announcement), kind="announcement",
               url=reverse_path("portal_announcement", "portal", pk=announcement.pk),
               message=(announcement.title, announcement.body[:200]))
    return announcement


def announcement_read(*, announcement: Announcement, user: User) -> bool:
    """Record that a partner user opened it; True the first time."""
    partner = partner_for_user(user)
    if partner is None or not sees(announcement, Viewer.of(partner)) or announcement.published_at > timezone.now():
        raise PermissionDenied
    try:
        with transaction.atomic():
            AnnouncementRead.objects.create(announcement=announcement, user=user)
    except IntegrityError:
        return False
    return True

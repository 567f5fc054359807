"""Console: the question queue (questions partners escalated to the vendor), the FAQ and announcements."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from enablement import selectors, services
from enablement.forms_resources import (
    PARTNER_TYPE_LABELS,
    AnnouncementCreateForm,
    AnnouncementForm,
    AnswerForm,
    FaqForm,
    FaqFromQuestionForm,
    FaqSearchForm,
    tags_text,
)
from enablement.models import Announcement, FaqEntry, PartnerQuestion
from enablement.services import resources_admin
from partners.views.common import paginate, querystring_without_page
from prm.accounts.access import console_view


def humanised(delta: timedelta | None) -> str:
    """The largest whole unit of a duration: "3時間", "2 days"."""
    if delta is None:
        return "—"
    now = timezone.now()
    return timesince(now - max(delta, timedelta(0)), now, depth=1)


# --------------------------------------------------------------------------- questions


@console_view
@require_GET
def question_queue(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    page = paginate(request, selectors.question_queue(), 50)
    page.object_list = list(page.object_list)
    for question in page.object_list:
        question.waiting = humanised(now - question.escalated_at if question.escalated_at else None)
        question.form = AnswerForm(prefix=f"q{question.pk}")
    times = selectors.answer_times()
    return render(request, "enablement/resources/questions.html", {
        "page": page, "query": querystring_without_page(request),
        "manager_time": humanised(times["manager"]) if times["manager"] is not None else None,
        "vendor_time": humanised(times["vendor"]) if times["vendor"] is not None else None,
        "answered": resources_admin.recently_answered(),
    })


@console_view
@require_POST
def question_answer(request: HttpRequest, pk: int) -> HttpResponse:
    question = get_object_or_404(PartnerQuestion, pk=pk)
    form = AnswerForm(request.POST, prefix=f"q{question.pk}")
    if not form.is_valid():
        messages.error(request, _("Write an answer."))
        return redirect("question_queue")
    try:
        services.question_answer(question=question, actor=request.user, answer=form.cleaned_data["answer"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Answer sent to %(name)s.") % {"name": question.asked_by.get_full_name()})
    return redirect("question_queue")


@console_view
@require_http_methods(["GET", "POST"])
def question_to_faq(request: HttpRequest, pk: int) -> HttpResponse:
    question = get_object_or_404(PartnerQuestion.objects.select_related("partner", "asked_by", "answered_by"), pk=pk)
    if question.status != PartnerQuestion.Status.ANSWERED or question.faq_id is not None:
        messages.error(request, _("Only an answered question that is not in the FAQ yet can become an entry."))
        return redirect("question_queue")
    form = FaqFromQuestionForm(request.POST or None, initial={"question": question.text[:300], "answer": question.answer})
    if request.method == "POST" and form.is_valid():
        try:
            entry = services.question_to_faq(question=question, actor=request.user,
                                             faq_question=form.cleaned_data["question"],
                                             faq_answer=form.cleaned_data["answer"], tags=form.cleaned_data["tags"])
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The FAQ entry %(question)s was created.") % {"question": entry.question})
            return redirect("enablement_faq")
    return render(request, "enablement/resources/question_faq.html", {"form": form, "question": question})


# --------------------------------------------------------------------------- FAQ


@console_view
@require_GET
def faq_list(request: HttpRequest) -> HttpResponse:
    form = FaqSearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    page = paginate(request, resources_admin.faq_console(query), 50)
    return render(request, "enablement/resources/faq.html", {"form": form, "page": page,
                                                              "query": querystring_without_page(request)})


def _faq_save(request: HttpRequest, entry: FaqEntry | None) -> HttpResponse:
    initial = ({"question": entry.question, "answer": entry.answer, "tags": tags_text(entry.tags),
                "is_published": entry.is_published} if entry else None)
    form = FaqForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            entry = resources_admin.faq_save(actor=request.user, entry=entry, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("FAQ entry saved."))
            return redirect("enablement_faq")
    return render(request, "enablement/resources/faq_form.html", {"form": form, "entry": entry})


@console_view
@require_http_methods(["GET", "POST"])
def faq_create(request: HttpRequest) -> HttpResponse:
    return _faq_save(request, None)


@console_view
@require_http_methods(["GET", "POST"])
def faq_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _faq_save(request, get_object_or_404(FaqEntry, pk=pk))


@console_view
@require_POST
def faq_unpublish(request: HttpRequest, pk: int) -> HttpResponse:
    entry = resources_admin.faq_unpublish(actor=request.user, entry=get_object_or_404(FaqEntry, pk=pk))
    messages.success(request, _("%(question)s is no longer shown to partners.") % {"question": entry.question})
    return redirect("enablement_faq")


# --------------------------------------------------------------------------- announcements


@console_view
@require_GET
def announcement_list(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.announcements_console(), 50)
    page.object_list = list(page.object_list)
    sizes = resources_admin.announcement_audience_sizes(page.object_list)
    for announcement in page.object_list:
        announcement.audience_size = sizes[announcement.pk]
    return render(request, "enablement/resources/announcements.html", {
        "page": page, "query": querystring_without_page(request), "tiers": resources_admin.tier_labels(),
        "type_labels": PARTNER_TYPE_LABELS, "now": timezone.now()})


@console_view
@require_http_methods(["GET", "POST"])
def announcement_create(request: HttpRequest) -> HttpResponse:
    form = AnnouncementCreateForm(request.POST or None, tiers=resources_admin.tier_labels())
    if request.method == "POST" and form.is_valid():
        try:
            announcement = services.announcement_publish(actor=request.user,
                                                         notify_partners=form.cleaned_data["notify_partners"],
                                                         **form.announcement_fields())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("%(title)s published.") % {"title": announcement.title})
            return redirect("enablement_announcement", pk=announcement.pk)
    return render(request, "enablement/resources/announcement_form.html", {"form": form, "announcement": None})


@console_view
@require_http_methods(["GET", "POST"])
def announcement_edit(request: HttpRequest, pk: int) -> HttpResponse:
    announcement = get_object_or_404(Announcement, pk=pk)
    form = AnnouncementForm(request.POST or None, announcement=announcement, tiers=resources_admin.tier_labels())
    if request.method == "POST" and form.is_valid():
        try:
            resources_admin.announcement_update(actor=request.user, announcement=announcement,
                                                **form.announcement_fields())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("%(title)s saved.") % {"title": announcement.title})
            return redirect("enablement_announcement", pk=announcement.pk)
    return render(request, "enablement/resources/announcement_form.html", {"form": form, "announcement": announcement})


@console_view
@require_GET
def announcement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    announcement = get_object_or_404(Announcement, pk=pk)
    return render(request, "enablement/resources/announcement_detail.html", {
        "announcement": announcement, "receipts": resources_admin.announcement_receipts(announcement),
        "tiers": resources_admin.tier_labels(), "type_labels": PARTNER_TYPE_LABELS, "now": timezone.now()})

"""Console: the partner list, detail, create and edit."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partners import list_columns, selectors, services, signals
from partners.forms import PartnerFilterForm, PartnerForm, SettingsForm, StageForm
from partners.lifecycle import services as lifecycle
from partners.lifecycle import texts
from partners.models import Partner, PartnerSettings, PartnerType, Stage
from partners.selectors.timeline import MAX_PAGES, timeline_later, timeline_page
from partners.views.common import get_partner, paginate, querystring_without_page
from prm.accounts.access import console_view
from prm.formatting import format_date
from prm.forms import error_messages
from prm.htmx import htmx_partial
from prm.invitations.forms import ColleagueInvitationForm
from prm.params import int_param
from prm.postgres import prepared_statements
from prm.reads import gather, resolve

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class Heading:
    """A column heading of the partner list; a sortable one links to the list sorted by it."""

    label: StrOrPromise
    sort: str = ""  # the sort key; empty: the column does not sort
    end: bool = False  # a number, aligned right
    query: str = ""  # the list's query string sorted by this column: ascending, or descending when it already is
    direction: str = ""  # "ascending" or "descending" while the list is sorted by this column (aria-sort)


def _headings(request: HttpRequest, sort: str) -> list[Heading]:
    columns = [Heading(_("Partner"), "name"), Heading(_("Type"), "type"), Heading(_("Stage"), "stage"),
               *(Heading(column.label, column.key) for column in list_columns.columns()),
               Heading(_("Owner")), Heading(_("Territory")), Heading(_("Contacts"), end=True),
               Heading(_("Active contacts"), "active", end=True)]
    headings = []
    for heading in columns:
        if heading.sort:
            params = request.GET.copy()
            params.pop("page", None)
            params["sort"] = f"-{heading.sort}" if sort == heading.sort else heading.sort
            direction = {heading.sort: "ascending", f"-{heading.sort}": "descending"}.get(sort, "")
            heading = replace(heading, query=params.urlencode(), direction=direction)
        headings.append(heading)
    return headings


@console_view
@require_GET
def partner_list(request: HttpRequest) -> HttpResponse:
    # Without a query string there is nothing to check: the list builds no form (partners_tags.filter_fields draws
    # the empty one's markup, kept, and the default filters are PartnerFilters()).
    form = PartnerFilterForm(request.GET) if request.GET else None
    filters = form.filters() if form is not None else selectors.PartnerFilters()
    # The whole list in any order reads by key and keeps generic plans; a filtered one is planned for its values.
    with prepared_statements(generic=filters.whole_list):
        return _partner_list(request, form, filters)


def _partner_list(request: HttpRequest, form: PartnerFilterForm | None, filters: selectors.PartnerFilters) -> HttpResponse:
    partial = htmx_partial(request)
    stage_counts = None if partial else selectors.stage_counts()
    total = selectors.partner_total(filters, stage_counts) if stage_counts is not None else None
    page = paginate(request, selectors.PartnerPages(filters), count=total)
    context = {"form": form, "filters": filters, "page": page, "query": querystring_without_page(request),
               "export_query": request.GET.urlencode(), "sort": filters.sort,
               "headings": _headings(request, filters.sort), "partial": partial}
    if partial:
        return render(request, "partners/_partner_table.html", context)
    context["stage_counts"] = stage_counts
    context["stages"] = Stage.choices
    return render(request, "partners/partner_list.html", context)


@console_view
@require_http_methods(["GET", "POST"])
def partner_create(request: HttpRequest) -> HttpResponse:
    form = PartnerForm(request.POST or None, initial={"stage": Stage.PROSPECT, "owner": request.user.pk})
    if request.method == "POST" and form.is_valid():
        try:
            partner = services.partner_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Partner %(name)s created.") % {"name": partner.name})
            return redirect("partner_detail", pk=partner.pk)
    return render(request, "partners/partner_form.html", {"form": form, "partner": None})


@console_view
@require_http_methods(["GET", "POST"])
def partner_edit(request: HttpRequest, pk: int) -> HttpResponse:
    partner = get_partner(pk)
    form = PartnerForm(request.POST or None, partner=partner)
    if request.method == "POST" and form.is_valid():
        try:
            services.partner_update(partner=partner, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Partner %(name)s saved.") % {"name": partner.name})
            return redirect("partner_detail", pk=partner.pk)
    return render(request, "partners/partner_form.html", {"form": form, "partner": partner})


@console_view
@require_POST
def partner_stage(request: HttpRequest, pk: int) -> HttpResponse:
    partner = get_partner(pk)
    form = StageForm(request.POST)
    if form.is_valid():
        try:
            partner = lifecycle.stage_override(partner=partner, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Stage set to %(stage)s until %(day)s.") % {
                "stage": partner.get_stage_display(), "day": format_date(partner.stage_override_until)})
            return redirect("partner_detail", pk=partner.pk)
    messages.error(request, " ".join(error_messages(form)))
    return redirect("partner_detail", pk=partner.pk)


@console_view
@require_POST
def partner_stage_release(request: HttpRequest, pk: int) -> HttpResponse:
    partner = lifecycle.stage_override_end(partner=get_partner(pk), actor=request.user)
    messages.success(request, _("The rules decide the stage again: %(stage)s.") % {"stage": partner.get_stage_display()})
    return redirect("partner_detail", pk=partner.pk)


@console_view
@require_GET
@prepared_statements(generic=True)
def partner_detail(request: HttpRequest, pk: int) -> HttpResponse:
    partner = get_partner(pk)
    page: dict = {}  # what one section reads that another would read again (partners.signals)
    # The apps' sections answer with their reads (prm.reads.Later): the page's own records, its timeline, the header's
    # facts and the panels send their statements to PostgreSQL in one round trip, then each is built.
    own, timeline, header_facts, panels = resolve([
        selectors.partner_page_later(partner, activities=5),
        timeline_later(partner, limit=15),
        gather([fact for _receiver, fact in signals.partner_detail_header.send(
            sender=Partner, request=request, partner=partner, page=page)], list),
        gather([panel for _receiver, panel in signals.partner_detail_panels.send(
            sender=Partner, request=request, partner=partner, page=page)], list)])
    checklist, plan, contacts = own.checklist, own.plan, own.contacts
    context = {
        "partner": partner,
        "contacts": contacts,
        "contact_stages": selectors.contact_stage_rows(contacts=contacts),
        "agreements": selectors.agreement_rows(partner, own.agreements),
        "checklist": checklist,
        "checklist_done": sum(1 for item in checklist if item.is_done),
        "activities": own.activities,
        "timeline": timeline,
        "plan": plan,
        "plan_progress": selectors.plan_progress(plan) if plan else [],
        "children": list(selectors.children_summary(partner)[:50]) if partner.partner_type == PartnerType.DISTRIBUTOR else [],
        # the forms' fields for their labels and choices: the page writes both forms out, always empty
        "stage_fields": StageForm.base_fields, "stage_until": (timezone.localdate() + timedelta(days=30)).isoformat(),
        "stage_reason": texts.reason_text(partner.stage_reason),
        "stage_next": texts.next_rule_text(partner.stage_reason),
        "header_facts": header_facts,
        "panels": panels,
        "invite_fields": ColleagueInvitationForm.base_fields,
    }
    return render(request, "partners/partner_detail.html", context)


@console_view
@require_POST
def partner_invite(request: HttpRequest, pk: int) -> HttpResponse:
    """Invite a person of this partner to the portal, from its page (the same service as the team page)."""
    partner = get_partner(pk)
    form = ColleagueInvitationForm(request.POST)
    if form.is_valid() and (invitation := form.send(inviter=request.user, partner=partner)) is not None:
        messages.success(request, _("Invitation sent to %(email)s.") % {"email": invitation.email})
        return redirect("partner_detail", pk=partner.pk)
    messages.error(request, " ".join(error_messages(form)))
    return redirect("partner_detail", pk=partner.pk)


@console_view
@require_GET
def partner_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    partner = get_partner(pk)
    number = int_param(request, "page", default=1, max_value=MAX_PAGES) or 1
    entries, older = timeline_page(partner, page=number)
    return render(request, "partners/partner_timeline.html", {
        "partner": partner, "entries": entries, "number": number, "older": older})


@console_view(admin_only=True)
@require_http_methods(["GET", "POST"])
def settings_edit(request: HttpRequest) -> HttpResponse:
    form = SettingsForm(request.POST or None, instance=PartnerSettings.current())
    if request.method == "POST" and form.is_valid():
        services.settings_update(actor=request.user, **{name: form.cleaned_data[name] for name in SettingsForm.Meta.fields})
        messages.success(request, _("Partner settings saved; contact and lifecycle stages recomputed."))
        return redirect("partner_settings")
    return render(request, "partners/settings.html", {"form": form})

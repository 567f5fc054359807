import threading
from collections import OrderedDict

from django import template
from django.db import connection
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import get_language, gettext

from partners import japan, list_columns
from partners.forms import PartnerFilterForm, filter_options_key
from prm.formatting import escape_html, format_date, format_datetime, format_number
from prm.paths import path_of_each
from prm.templatetags.kyoso_forms import field_block

register = template.Library()


# The partner list's filter row, field by field: (field name or None for the registered columns, its column's classes).
FILTER_ROW = (("q", "col-12 col-lg-3"), ("partner_type", "col-6 col-md-4 col-lg"), ("stage", "col-6 col-md-4 col-lg"),
              (None, "col-6 col-md-4 col-lg"), ("owner", "col-6 col-md-4 col-lg"), ("prefecture", "col-6 col-md-4 col-lg"))
EMPTY_FILTERS_KEPT = 256  # empty filter rows kept per process (vendor, language, staff and columns' options)
_empty_filters: OrderedDict[tuple, SafeString] = OrderedDict()
_empty_filters_lock = threading.Lock()


@register.simple_tag
def filter_fields(form) -> SafeString:
    """The partner list's filter fields (a PartnerFilterForm; None for the list without filters, which builds no
    form), each in its column of the row.

    The form is empty whenever the list opens without filters, and an empty form writes the same markup for the same
    vendor, language, staff and column options (`filter_options_key`): that markup is kept here, least recently used
    first out, rather than drawn again (seven fields and some eighty options, each escaped: `./kyoso bench web`
    measured the list's CPU a request at 7.4 ms before, 6.4 ms after). A staff member or a tier added or renamed
    changes the key, so the next list draws it afresh; a form with values is always drawn."""
    if form is not None and form.is_bound:
        return _filter_fields(form)
    key = (connection.schema_name, get_language(), filter_options_key())
    with _empty_filters_lock:
        html = _empty_filters.get(key)
        if html is not None:
            _empty_filters.move_to_end(key)
            return html
    html = _filter_fields(form if form is not None else PartnerFilterForm())
    with _empty_filters_lock:
        _empty_filters[key] = html
        while len(_empty_filters) > EMPTY_FILTERS_KEPT:
            _empty_filters.popitem(last=False)
    return html


def _filter_fields(form) -> SafeString:
    return mark_safe("\n    ".join(f'<div class="{css}">{field_block(field, "mb-0")}</div>'
                                    for name, css in FILTER_ROW
                                    for field in (form.column_fields if name is None else [form[name]])))


@register.filter
def prefecture_names(codes) -> str:
    return "、".join(japan.prefecture_name(code) for code in codes or [])


@register.filter
def industry_names(codes) -> str:
    from partners.models import Industry

    labels = dict(Industry.choices)
    return "、".join(str(labels.get(code, code)) for code in codes or [])


STAGE_COLOURS = {
    "prospect": "secondary", "applied": "info", "recruiting": "info", "onboarding": "primary",
    "activation": "warning", "retention": "success", "dormant": "dark", "terminated": "danger",
    "potential": "secondary", "valid": "info", "trained": "primary", "active": "success",
}


@register.filter
def stage_colour(stage: str) -> str:
    return STAGE_COLOURS.get(stage, "secondary")



_esc = escape_html  # ten calls a row


@register.simple_tag
def partner_rows(partners) -> SafeString:
    """The partner list's rows, written in Python: the same markup as the template loop they replace
    (tests/partners/test_partner_rows.py compares the two), at a fraction of the cost of fifty rows
    of template variables, filters and {% url %} tags. A cell many rows share (a type, a stage, an owner,
    a territory) is written once per table."""
    path = path_of_each("partner_detail")
    under = gettext("under %(parent)s")
    columns = list_columns.columns()
    types: dict[str, str] = {}
    stages: dict[str, str] = {}
    owners: dict[int | None, str] = {}
    territories: dict[tuple, str] = {}
    rows = []
    for partner in partners:
        parent = ""
        if partner.parent:
            parent = " · " + under % {"parent": _esc(partner.parent.name)}
        partner_type = types.get(partner.partner_type)
        if partner_type is None:
            partner_type = types[partner.partner_type] = _esc(partner.get_partner_type_display())
        stage = stages.get(partner.stage)
        if stage is None:
            stage = stages[partner.stage] = (f'<span class="badge text-bg-{_esc(stage_colour(partner.stage))}">'
                                             f"{_esc(partner.get_stage_display())}</span>")
        owner = owners.get(partner.owner_id)
        if owner is None:
            owner = owners[partner.owner_id] = _esc(
                (partner.owner.get_short_name() if partner.owner is not None else "") or "—")
        codes = tuple(partner.prefectures or ())
        territory = territories.get(codes)
        if territory is None:
            territory = prefecture_names(codes)
            if len(territory) > 24:  # Truncator only when it can cut: it translates its ellipsis on every call
                territory = Truncator(territory).chars(24)
            territory = territories[codes] = _esc(territory or "—")
        rows.append(
            "\n        <tr>\n          <td>\n"
            f'            <a class="fw-semibold text-decoration-none" href="{_esc(path(partner.pk))}">'
            f"{_esc(partner.name)}</a>\n"
            f'            <div class="small text-muted">{_esc(partner.name_kana)}{parent}</div>\n'
            "          </td>\n"
            f"          <td>{partner_type}</td>\n"
            f"          <td>{stage}</td>\n"
            + "".join(f"          <td>{column.cell(partner)}</td>\n" for column in columns) +
            f"          <td>{owner}</td>\n"
            f'          <td class="small">{territory}</td>\n'
            # format_number writes digits, commas or a dash: nothing to escape
            f'          <td class="text-end">{format_number(partner.contact_count)}</td>\n'
            f'          <td class="text-end">{format_number(partner.active_contacts)}</td>\n'
            "        </tr>\n      "
        )
    return mark_safe("".join(rows))


@register.simple_tag
def timeline_items(entries) -> SafeString:
    """A timeline's entries (partners.timeline.TimelineEntry), written in Python: the markup of the template loop
    they replace (tests/partners/test_timeline_items.py compares the two), for the partner page's fifteen entries
    and the full timeline's fifty."""
    items = []
    for entry in entries:
        text = _esc(entry.text)
        if entry.url:
            text = f'<a href="{_esc(entry.url)}">{text}</a>'
        actor = f" · {_esc(entry.actor)}" if entry.actor else ""
        items.append(
            f'\n  <li class="d-flex gap-3 mb-3" data-source="{_esc(entry.source)}">\n'
            f'    <span class="kyoso-timeline-icon"><i class="bi bi-{_esc(entry.icon)}"></i></span>\n'
            '    <div class="text-break">\n'
            f"      <div>{text}</div>\n"
            f'      <div class="small text-muted">{_esc(format_datetime(entry.at))}{actor}</div>\n'
            "    </div>\n  </li>\n")
    if not items:
        items.append(f'\n  <li class="text-muted">{_esc(gettext("Nothing has happened yet."))}</li>\n')
    return mark_safe("".join(items))


@register.simple_tag
def contact_rows(contacts, partner) -> SafeString:
    """The partner page's contacts table rows, written in Python: the markup of the template loop they replace
    (tests/partners/test_contact_rows.py compares the two); a partner may have dozens of contacts."""
    if not contacts:
        return mark_safe('\n          <tr><td colspan="5" class="text-center text-muted py-4">'
                         f'{_esc(gettext("No contacts yet."))}</td></tr>\n        ')
    edit_path = path_of_each("contact_edit", partner.pk)
    key_person = f' <span class="badge text-bg-warning">{_esc(gettext("Key person"))}</span>'
    account = f' <i class="bi bi-person-check text-success" title="{_esc(gettext("Has a portal account"))}"></i>'
    edit = _esc(gettext("Edit"))
    rows = []
    for contact in contacts:
        rows.append(
            "\n          <tr>\n"
            f"            <td>{_esc(contact.full_name)}{key_person if contact.is_key_person else ''}"
            f'<div class="small text-muted">{_esc(contact.title)}</div></td>\n'
            f"            <td>{_esc(contact.get_role_display())}</td>\n"
            f'            <td class="small">{_esc(contact.email or "—")}{account if contact.user else ""}</td>\n'
            f'            <td><span class="badge text-bg-{_esc(stage_colour(contact.stage))}">'
            f"{_esc(contact.get_stage_display())}</span></td>\n"
            f'            <td class="text-end"><a class="btn btn-sm btn-link" href="{_esc(edit_path(contact.pk))}">'
            f"{edit}</a></td>\n"
            "          </tr>\n        ")
    return mark_safe("".join(rows))


@register.simple_tag
def agreement_rows(agreements, partner) -> SafeString:
    """The four agreements' rows of the partner page (selectors.agreement_rows), written in Python: the markup of the
    template loop they replace (tests/partners/test_contact_rows.py compares the two)."""
    edit_path = path_of_each("agreement_edit", partner.pk)
    done, missing = '<i class="bi bi-check-circle-fill text-success"></i>', '<i class="bi bi-circle text-muted"></i>'
    edit, record, recorded_by = _esc(gettext("Edit")), _esc(gettext("Record")), gettext("recorded by %(name)s")
    rows = []
    for kind, label, agreement in agreements:
        details = ""
        if agreement:
            signatory = agreement.partner_signatory
            recorder = agreement.recorded_by
            details = (f'<div class="small text-muted ms-4">{_esc(format_date(agreement.agreed_on))}'
                       f"{f' · {_esc(signatory.full_name)}' if signatory else ''}"
                       f"{' · ' + recorded_by % {'name': _esc(recorder.get_short_name())} if recorder else ''}</div>")
        rows.append(
            '\n        <li class="list-group-item px-0 d-flex justify-content-between align-items-start">\n'
            "          <div>\n"
            f"            {done if agreement else missing}\n"
            f'            <span class="ms-1">{_esc(label)}</span>\n'
            f"            {details}\n"
            "          </div>\n"
            f'          <a class="btn btn-sm btn-link text-nowrap" href="{_esc(edit_path(kind))}">'
            f"{edit if agreement else record}</a>\n"
            "        </li>\n      ")
    return mark_safe("".join(rows))


_SORT_ICONS = {"ascending": "bi-caret-up-fill", "descending": "bi-caret-down-fill"}


@register.simple_tag
def partner_headings(headings) -> SafeString:
    """The partner list's column headings (partners.views.partners.Heading), a link to sort by each sortable one:
    the markup of the template loop they replace (tests/partners/test_partner_rows.py compares the two)."""
    cells = []
    for heading in headings:
        cell = "<th"
        if heading.end:
            cell += ' class="text-end"'
        if heading.direction:
            cell += f' aria-sort="{_esc(heading.direction)}"'
        cell += ">"
        if heading.sort:
            query = _esc(heading.query)
            icon = _SORT_ICONS.get(heading.direction, "bi-chevron-expand text-muted")
            cell += (f'<a class="kyoso-sort text-reset text-decoration-none text-nowrap" href="?{query}" '
                     f'hx-get="?{query}" data-sort="{_esc(heading.sort)}">{_esc(heading.label)} '
                     f'<i class="bi {icon}" aria-hidden="true"></i></a>')
        else:
            cell += _esc(heading.label)
        cells.append(f"{cell}</th>")
    return mark_safe("".join(cells))


@register.simple_tag
def stage_strip(stages, counts, chosen) -> SafeString:
    """The partner list's stage buttons, each with its number of partners, the chosen stage's filled: the markup
    of the template loop they replace (tests/partners/test_partner_rows.py compares the two)."""
    buttons = []
    for code, label in stages:
        colour = _esc(stage_colour(code))
        style = f"btn-{colour}" if chosen == code else f"btn-outline-{colour}"
        count = format_number(counts.get(code) if counts else None)  # digits, commas or a dash
        buttons.append(f'\n  <a class="btn btn-sm {style}" href="?stage={_esc(code)}">{_esc(label)} '
                       f'<span class="badge text-bg-light">{count}</span></a>\n  ')
    return mark_safe("".join(buttons))

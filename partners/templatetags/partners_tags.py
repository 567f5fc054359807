from django import template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext

from partners import japan, list_columns
from prm.formatting import escape_html, format_number

register = template.Library()


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


_PK_MARK = 987654321  # reversed once per table; each row's pk takes its place in the path


_esc = escape_html  # ten calls a row


@register.simple_tag
def partner_rows(partners) -> SafeString:
    """The partner list's rows, written in Python: the same markup as the template loop they replace
    (tests/partners/test_partner_rows.py compares the two), at a fraction of the cost of fifty rows
    of template variables, filters and {% url %} tags. A cell many rows share (a type, a stage, an owner,
    a territory) is written once per table."""
    path = reverse("partner_detail", args=[_PK_MARK])
    head, tail = (_esc(part) for part in path.split(str(_PK_MARK), 1))
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
            f'            <a class="fw-semibold text-decoration-none" href="{head}{partner.pk}{tail}">'
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

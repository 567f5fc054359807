"""Server-side SVG charts: funnel, horizontal bars, stacked bars over time, lines, sparkline, histogram,
and the score trend printed in the QBR pack.

No JavaScript library and no style attributes (the CSP forbids them): geometry and colours are
SVG presentation attributes, every text is escaped, and every chart carries <title> and <desc>
for screen readers, with a <title> on each mark for the browser's own tooltip. Labels are sized
for Japanese: full-width characters count as one em when a label is fitted to its column.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from django.utils import dateformat
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from prm.formatting import format_number

FONT = ("system-ui, -apple-system, 'Hiragino Sans', 'Hiragino Kaku Gothic ProN', 'Noto Sans JP', "
        "'Yu Gothic UI', Meiryo, sans-serif")
PALETTE = ("#2f6fde", "#20a486", "#f08c2e", "#7a52c7", "#d6457a", "#e0b400", "#3ba3c4", "#8c6d4f", "#6c757d",
           "#b5c3d6")
INK, MUTED, GRID = "#212529", "#6c757d", "#e3e7ed"
BAND_FILLS = {"healthy": "#198754", "at_risk": "#e0a100", "dormant": "#dc3545"}


# --------------------------------------------------------------------------- text and numbers

def _japanese() -> bool:
    return (get_language() or "ja").startswith("ja")


def text_width(text: str, size: float) -> float:
    """Rough rendered width: CJK and full-width characters are square, Latin about 0.6 em."""
    return sum(size if ord(ch) >= 0x2E80 else size * 0.6 for ch in text)


def fit(text: str, size: float, width: float) -> str:
    """The text, cut with an ellipsis so that it fits `width`."""
    if text_width(text, size) <= width:
        return text
    while text and text_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


def compact_yen(value: int | float) -> str:
    """Short money for axes: ¥1.2億 / ¥3,400万 in Japanese, ¥1.2B / ¥34M in English."""
    value = int(value)
    sign, value = ("-" if value < 0 else ""), abs(value)
    if _japanese():
        if value >= 100_000_000:
            text = f"{value / 100_000_000:.1f}".rstrip("0").rstrip(".") + "億"
        elif value >= 10_000:
            text = f"{value // 10_000:,}万"
        else:
            text = f"{value:,}"
    elif value >= 1_000_000_000:
        text = f"{value / 1_000_000_000:.1f}".rstrip("0").rstrip(".") + "B"
    elif value >= 1_000_000:
        text = f"{value / 1_000_000:.1f}".rstrip("0").rstrip(".") + "M"
    elif value >= 1_000:
        text = f"{value // 1_000:,}K"
    else:
        text = f"{value:,}"
    return f"{sign}¥{text}"


def month_label(day: date, *, with_year: bool = False) -> str:
    if _japanese():
        return f"{day.year}年{day.month}月" if with_year else f"{day.month}月"
    name = day.strftime("%b")
    return f"{name} {day.year}" if with_year else name


def nice_ceiling(value: float, ticks: int = 4) -> tuple[float, float]:
    """(axis maximum, tick step): the step is 1, 2, 2.5 or 5 × 10^n and the maximum a whole number of steps."""
    if value <= 0:
        return float(ticks), 1.0
    raw = value / ticks
    magnitude = 10 ** (len(str(int(raw))) - 1) if raw >= 1 else 1
    for factor in (1, 2, 2.5, 5, 10):
        if factor == 2.5 and magnitude == 1:
            continue  # counts: ticks stay whole numbers
        step = factor * magnitude
        if step >= raw:
            break
    steps = -(-value // step)
    return steps * step, step


def _n(value: float) -> str:
    """A coordinate: short, no exponent."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _text(x: float, y: float, text: str, *, size: float = 12, anchor: str = "start", fill: str = INK,
          weight: str = "", baseline: str = "") -> str:
    extra = f' font-weight="{weight}"' if weight else ""
    extra += f' dominant-baseline="{baseline}"' if baseline else ""
    return (f'<text x="{_n(x)}" y="{_n(y)}" font-size="{_n(size)}" text-anchor="{anchor}" fill="{fill}"{extra}>'
            f"{escape(text)}</text>")


def _rect(x: float, y: float, width: float, height: float, fill: str, tip: str = "", *, rx: float = 2,
          opacity: float | None = None) -> str:
    extra = f' fill-opacity="{opacity}"' if opacity is not None else ""
    tip_tag = f"<title>{escape(tip)}</title>" if tip else ""
    return (f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(max(width, 0))}" height="{_n(max(height, 0))}" rx="{_n(rx)}" '
            f'fill="{fill}"{extra}>{tip_tag}</rect>')


def _svg(chart_id: str, width: int, height: int, title: str, desc: str, body: list[str]) -> SafeString:
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" class="kyoso-chart w-100 h-auto" '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" id="{chart_id}" font-family="{FONT}">'
        f'<title id="{chart_id}-title">{escape(title)}</title><desc id="{chart_id}-desc">{escape(desc)}</desc>'
        + "".join(body) + "</svg>"
    )


def _empty(chart_id: str, width: int, height: int, title: str) -> SafeString:
    message = _("No data for this period.")
    return _svg(chart_id, width, height, title, message, [
        _rect(0.5, 0.5, width - 1, height - 1, "#f8f9fa", rx=6),
        _text(width / 2, height / 2, message, size=13, anchor="middle", fill=MUTED, baseline="middle"),
    ])


# --------------------------------------------------------------------------- funnel

@dataclass(frozen=True)
class Step:
    label: str
    value: int
    note: str = ""  # shown beside the count, e.g. "median 45 days here"
    muted: bool = False  # off the main path (dormant): drawn grey below a divider
    href: str = ""
    detail: str = ""  # a second line under the note, e.g. "7 wait on: a first deal"


def funnel(chart_id: str, title: str, steps: Sequence[Step]) -> SafeString:
    """Centred bars, one per stage, as wide as the stage is full: where the bars narrow, partners stall."""
    width, row, label_w, note_w = 760, 38, 130, 230
    bar_area = width - label_w - note_w - 20
    main = [s for s in steps if not s.muted]
    side = [s for s in steps if s.muted]
    height = 10 + row * len(steps) + (14 if side else 0)
    if not any(s.value for s in steps):
        return _empty(chart_id, width, max(height, 120), title)
    top = max(s.value for s in steps) or 1
    body, y = [], 8.0
    desc_parts = []
    for index, step in enumerate([*main, *side]):
        if step.muted and index == len(main):
            body.append(f'<line x1="0" x2="{width}" y1="{_n(y + 4)}" y2="{_n(y + 4)}" stroke="{GRID}" '
                        f'stroke-dasharray="4 4"/>')
            y += 14
        bar_w = max(bar_area * step.value / top, 3 if step.value else 0)
        x = label_w + (bar_area - bar_w) / 2
        colour = MUTED if step.muted else PALETTE[0]
        opacity = 0.55 if step.muted else round(1 - 0.08 * index, 2)
        tip = f"{step.label}: {format_number(step.value)}" + "".join(f" · {text}" for text in (step.note, step.detail)
                                                                      if text)
        desc_parts.append(tip)
        mark = [_text(label_w - 10, y + row / 2 - 2, fit(step.label, 13, label_w - 12), size=13, anchor="end",
                      baseline="middle"),
                _rect(label_w, y + 4, bar_area, row - 10, "#f1f3f6", rx=4),
                _rect(x, y + 4, bar_w, row - 10, colour, tip, rx=4, opacity=opacity),
                _text(label_w + bar_area + 14, y + row / 2 - 2, format_number(step.value), size=14, weight="600",
                      baseline="middle")]
        note_x = label_w + bar_area + 14 + text_width(format_number(step.value), 14) + 10
        lines = [text for text in (step.note, step.detail) if text]
        for line, text in enumerate(lines):  # one line centred, two one above the other
            mark.append(_text(note_x, y + row / 2 - 2 + (line * 2 - len(lines) + 1) * 7, fit(text, 11, note_w - 40),
                              size=11 if line == 0 else 10, fill=MUTED, baseline="middle"))
        if step.href:
            body.append(f'<a href="{escape(step.href)}" class="text-decoration-none">{"".join(mark)}</a>')
        else:
            body.extend(mark)
        y += row
    return _svg(chart_id, width, height, title, "; ".join(desc_parts), body)


# --------------------------------------------------------------------------- horizontal bars

@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    href: str = ""


def bars(chart_id: str, title: str, items: Sequence[Bar], *, fmt: Callable[[int], str] = format_number,
         colour: str = PALETTE[0]) -> SafeString:
    """Horizontal bars, longest first as given: long Japanese company names stay readable on the left."""
    width, row, label_w, value_w = 760, 30, 230, 110
    height = 8 + row * max(len(items), 1)
    if not items or not any(item.value for item in items):
        return _empty(chart_id, width, 120, title)
    top = max(item.value for item in items) or 1
    area = width - label_w - value_w
    body, y = [], 4.0
    for item in items:
        bar_w = max(area * item.value / top, 2 if item.value else 0)
        tip = f"{item.label}: {fmt(item.value)}"
        mark = [_text(label_w - 10, y + row / 2, fit(item.label, 12.5, label_w - 14), size=12.5, anchor="end",
                      baseline="middle"),
                _rect(label_w, y + 5, bar_w, row - 10, colour, tip, rx=3),
                _text(label_w + bar_w + 8, y + row / 2, fmt(item.value), size=12, fill=MUTED, baseline="middle")]
        body.append(f'<a href="{escape(item.href)}" class="text-decoration-none">{"".join(mark)}</a>'
                    if item.href else "".join(mark))
        y += row
    return _svg(chart_id, width, height, title, "; ".join(f"{i.label}: {fmt(i.value)}" for i in items), body)


# --------------------------------------------------------------------------- bars and lines over time

@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[int]
    colour: str = ""


def _legend(series: Sequence[Series], width: int, y: float) -> tuple[list[str], float]:
    """Legend entries flowing left to right, wrapping; returns the marks and the height used."""
    marks, x, line = [], 0.0, 0
    for index, item in enumerate(series):
        label = fit(item.name, 12, 200)
        needed = 18 + text_width(label, 12) + 18
        if x + needed > width and x > 0:
            x, line = 0.0, line + 1
        top = y + line * 20
        marks.append(_rect(x, top + 2, 12, 12, item.colour or PALETTE[index % len(PALETTE)], rx=2))
        marks.append(_text(x + 18, top + 12, label, size=12))
        x += needed
    return marks, (line + 1) * 20 + 6


def _time_axis(periods: Sequence[date], x_of: Callable[[int], float], y: float) -> list[str]:
    """Month names under the bars; the year under the first month and every January; thinned when crowded."""
    every = 1 if len(periods) <= 18 else 3 if len(periods) <= 36 else 6
    marks = []
    for index, day in enumerate(periods):
        if index % every and day.month != 1:
            continue
        marks.append(_text(x_of(index), y, month_label(day), size=11, anchor="middle", fill=MUTED))
        if index == 0 or day.month == 1:
            marks.append(_text(x_of(index), y + 14, str(day.year), size=10, anchor="middle", fill=MUTED))
    return marks


def _value_axis(top: float, step: float, plot_x: float, plot_w: float, y_of: Callable[[float], float],
                fmt: Callable[[int], str]) -> list[str]:
    marks, tick = [], 0.0
    while tick <= top + 1e-9:
        y = y_of(tick)
        marks.append(f'<line x1="{_n(plot_x)}" x2="{_n(plot_x + plot_w)}" y1="{_n(y)}" y2="{_n(y)}" '
                     f'stroke="{GRID}" stroke-width="1"/>')
        marks.append(_text(plot_x - 8, y + 4, fmt(int(tick)), size=11, anchor="end", fill=MUTED))
        tick += step
    return marks


def stacked_bars(chart_id: str, title: str, periods: Sequence[date], series: Sequence[Series], *,
                 fmt: Callable[[int], str] = format_number, axis_fmt: Callable[[int], str] | None = None,
                 grouped: bool = False) -> SafeString:
    """One bar per month, a segment per series (stacked) or a bar per series side by side (grouped)."""
    width, height = 760, 300
    axis_fmt = axis_fmt or fmt
    series = [Series(s.name, list(s.values), s.colour or PALETTE[i % len(PALETTE)]) for i, s in enumerate(series)]
    if not periods or not any(v for s in series for v in s.values):
        return _empty(chart_id, width, 160, title)
    legend, legend_h = _legend(series, width, 0)
    plot_x, plot_y = 72.0, legend_h + 8
    plot_w, plot_h = width - plot_x - 8, height - plot_y - 36
    totals = [sum(s.values[i] for s in series) for i in range(len(periods))]
    peak = max(max(s.values) for s in series) if grouped else max(totals)
    top, step = nice_ceiling(peak)
    slot = plot_w / len(periods)
    bar_w = min(slot * 0.7, 48)

    def x_of(index: int) -> float:
        return plot_x + slot * index + slot / 2

    def y_of(value: float) -> float:
        return plot_y + plot_h - plot_h * value / top

    body = [*legend, *_value_axis(top, step, plot_x, plot_w, y_of, axis_fmt)]
    for index, day in enumerate(periods):
        month = month_label(day, with_year=True)
        if grouped:
            each = bar_w / len(series)
            for n, item in enumerate(series):
                value = item.values[index]
                if value:
                    body.append(_rect(x_of(index) - bar_w / 2 + n * each, y_of(value), each - 1,
                                      plot_h * value / top, item.colour, f"{month} · {item.name}: {fmt(value)}", rx=1))
            continue
        base = 0
        for item in series:
            value = item.values[index]
            if value:
                body.append(_rect(x_of(index) - bar_w / 2, y_of(base + value), bar_w, plot_h * value / top,
                                  item.colour, f"{month} · {item.name}: {fmt(value)}", rx=1))
            base += value
    body.append(f'<line x1="{_n(plot_x)}" x2="{_n(plot_x + plot_w)}" y1="{_n(plot_y + plot_h)}" '
                f'y2="{_n(plot_y + plot_h)}" stroke="{MUTED}" stroke-width="1"/>')
    body.extend(_time_axis(periods, x_of, plot_y + plot_h + 16))
    desc = "; ".join(f"{s.name}: {fmt(sum(s.values))}" for s in series)
    return _svg(chart_id, width, height, title, desc, body)


def line_chart(chart_id: str, title: str, periods: Sequence[date], series: Sequence[Series], *,
               fmt: Callable[[int], str] = format_number) -> SafeString:
    """A line per series over the months, with a dot on each month."""
    width, height = 760, 260
    series = [Series(s.name, list(s.values), s.colour or PALETTE[i % len(PALETTE)]) for i, s in enumerate(series)]
    if not periods or not any(v for s in series for v in s.values):
        return _empty(chart_id, width, 160, title)
    legend, legend_h = _legend(series, width, 0)
    plot_x, plot_y = 56.0, legend_h + 8
    plot_w, plot_h = width - plot_x - 16, height - plot_y - 36
    top, step = nice_ceiling(max(max(s.values) for s in series))
    slot = plot_w / len(periods)

    def x_of(index: int) -> float:
        return plot_x + slot * index + slot / 2

    def y_of(value: float) -> float:
        return plot_y + plot_h - plot_h * value / top

    body = [*legend, *_value_axis(top, step, plot_x, plot_w, y_of, fmt)]
    for item in series:
        points = " ".join(f"{_n(x_of(i))},{_n(y_of(v))}" for i, v in enumerate(item.values))
        body.append(f'<polyline points="{points}" fill="none" stroke="{item.colour}" stroke-width="2.5" '
                    f'stroke-linejoin="round" stroke-linecap="round"/>')
        for index, value in enumerate(item.values):
            tip = f"{month_label(periods[index], with_year=True)} · {item.name}: {fmt(value)}"
            body.append(f'<circle cx="{_n(x_of(index))}" cy="{_n(y_of(value))}" r="3.5" fill="{item.colour}">'
                        f"<title>{escape(tip)}</title></circle>")
    body.extend(_time_axis(periods, x_of, plot_y + plot_h + 16))
    desc = "; ".join(f"{s.name}: {', '.join(fmt(v) for v in s.values)}" for s in series)
    return _svg(chart_id, width, height, title, desc, body)


def sparkline(chart_id: str, title: str, points: Sequence[tuple[date, int]], *, low: int = 0, high: int = 100,
              bands: tuple[int, int] | None = None, width: int = 320, height: int = 64) -> SafeString:
    """A small score trend: band backgrounds (dormant / at risk / healthy) when `bands` = (at risk from, healthy from)."""
    if not points:
        return _empty(chart_id, width, height, title)
    pad = 4.0
    span_days = max((points[-1][0] - points[0][0]).days, 1)

    def x_of(day: date) -> float:
        return pad + (width - 2 * pad) * (day - points[0][0]).days / span_days if len(points) > 1 else width / 2

    def y_of(value: float) -> float:
        return pad + (height - 2 * pad) * (high - value) / (high - low)

    body = []
    if bands:
        at_risk_from, healthy_from = bands
        for lower, upper, band in ((low, at_risk_from, "dormant"), (at_risk_from, healthy_from, "at_risk"),
                                   (healthy_from, high, "healthy")):
            body.append(_rect(0, y_of(upper), width, y_of(lower) - y_of(upper), BAND_FILLS[band], rx=0, opacity=0.08))
    coordinates = " ".join(f"{_n(x_of(day))},{_n(y_of(value))}" for day, value in points)
    body.append(f'<polyline points="{coordinates}" fill="none" stroke="{PALETTE[0]}" stroke-width="2" '
                f'stroke-linejoin="round" stroke-linecap="round"/>')
    last_day, last = points[-1]
    body.append(f'<circle cx="{_n(x_of(last_day))}" cy="{_n(y_of(last))}" r="3.5" fill="{PALETTE[0]}"/>')
    first_day, first = points[0]
    desc = _("From %(first)s on %(first_day)s to %(last)s on %(last_day)s.") % {
        "first": first, "first_day": f"{first_day:%Y-%m-%d}", "last": last, "last_day": f"{last_day:%Y-%m-%d}"}
    return _svg(chart_id, width, height, title, desc, body)


# --------------------------------------------------------------------------- histogram

@dataclass(frozen=True)
class Bin:
    label: str
    value: int
    colour: str = PALETTE[0]


def histogram(chart_id: str, title: str, bins: Sequence[Bin], *, axis_label: str = "") -> SafeString:
    """Vertical bars touching each other, the count on top of each."""
    width, height = 760, 240
    if not bins or not any(b.value for b in bins):
        return _empty(chart_id, width, 160, title)
    plot_x, plot_y = 48.0, 16.0
    plot_w, plot_h = width - plot_x - 8, height - plot_y - (48 if axis_label else 30)
    top, step = nice_ceiling(max(b.value for b in bins))
    slot = plot_w / len(bins)

    def y_of(value: float) -> float:
        return plot_y + plot_h - plot_h * value / top

    body = _value_axis(top, step, plot_x, plot_w, y_of, format_number)
    for index, item in enumerate(bins):
        x = plot_x + slot * index
        tip = f"{item.label}: {format_number(item.value)}"
        body.append(_rect(x + 1, y_of(item.value), slot - 2, plot_h * item.value / top, item.colour, tip, rx=1))
        if item.value:
            body.append(_text(x + slot / 2, y_of(item.value) - 4, format_number(item.value), size=11,
                              anchor="middle"))
        body.append(_text(x + slot / 2, plot_y + plot_h + 16, item.label, size=11, anchor="middle", fill=MUTED))
    if axis_label:
        body.append(_text(plot_x + plot_w / 2, height - 6, axis_label, size=11, anchor="middle", fill=MUTED))
    desc = "; ".join(f"{b.label}: {format_number(b.value)}" for b in bins)
    return _svg(chart_id, width, height, title, desc, body)


# --------------------------------------------------------------------------- printed score trend

def band_trend(points: Sequence[tuple[date, int]], start: date, end: date, *, at_risk_from: int, healthy_from: int,
               width: int = 640, height: int = 170) -> SafeString:
    """The score over [start, end] as an inline SVG line with the band thresholds and month ticks.

    The printed variant (the QBR pack): a fixed calendar window, sized in points and set in the
    font WeasyPrint embeds, with no <title> tooltips; pages use `sparkline`.
    """
    left, right, top, bottom = 34, 8, 8, 22
    plot_w, plot_h = width - left - right, height - top - bottom
    span = max((end - start).days, 1)

    def x(day: date) -> float:
        return round(left + plot_w * (day - start).days / span, 1)

    def y(score: float) -> float:
        return round(top + plot_h * (100 - score) / 100, 1)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-size="9" font-family="IPAexGothic">',
             f'<rect x="{left}" y="{y(100)}" width="{plot_w}" height="{y(healthy_from) - y(100)}" fill="#e3f4ea"/>',
             f'<rect x="{left}" y="{y(healthy_from)}" width="{plot_w}" height="{y(at_risk_from) - y(healthy_from)}" '
             f'fill="#fff5d9"/>',
             f'<rect x="{left}" y="{y(at_risk_from)}" width="{plot_w}" height="{y(0) - y(at_risk_from)}" fill="#fbe4e6"/>']
    for tick in (0, at_risk_from, healthy_from, 100):
        parts.append(f'<text x="{left - 4}" y="{y(tick) + 3}" text-anchor="end" fill="#555">{tick}</text>')
    month = date(start.year, start.month, 1)
    while month <= end:
        if month >= start:
            label = escape(dateformat.format(month, "M"))
            parts.append(f'<line x1="{x(month)}" y1="{top}" x2="{x(month)}" y2="{y(0)}" stroke="#d0d5dd" '
                         f'stroke-width="0.5"/><text x="{x(month)}" y="{height - 8}" text-anchor="middle" '
                         f'fill="#555">{label}</text>')
        month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    inside = [(day, score) for day, score in points if start <= day <= end]
    if len(inside) > 1:
        line = " ".join(f"{x(day)},{y(score)}" for day, score in inside)
        parts.append(f'<polyline points="{line}" fill="none" stroke="#1f6feb" stroke-width="1.8" '
                     f'stroke-linejoin="round"/>')
    for day, score in inside[-1:]:
        parts.append(f'<circle cx="{x(day)}" cy="{y(score)}" r="3" fill="#1f6feb"/>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # built here from numbers and escaped month names only

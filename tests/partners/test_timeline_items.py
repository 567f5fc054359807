"""The timeline's entries are written in Python (partners_tags.timeline_items): they must be the markup the template
loop wrote, for every kind of entry and for none, in both languages."""

from __future__ import annotations

from datetime import datetime, timezone

from django.template import Context, Template
from django.template.loader import render_to_string
from django.utils import translation

from partners.timeline import TimelineEntry

# The partial the tag replaced, kept here as the reference.
TEMPLATE_LOOP = Template("""{% load i18n kyoso_format %}
<ul class="list-unstyled kyoso-timeline mb-0">
{% for entry in entries %}
  <li class="d-flex gap-3 mb-3" data-source="{{ entry.source }}">
    <span class="kyoso-timeline-icon"><i class="bi bi-{{ entry.icon }}"></i></span>
    <div class="text-break">
      <div>{% if entry.url %}<a href="{{ entry.url }}">{{ entry.text }}</a>{% else %}{{ entry.text }}{% endif %}</div>
      <div class="small text-muted">{{ entry.at|datetime_ja }}{% if entry.actor %} · {{ entry.actor }}{% endif %}</div>
    </div>
  </li>
{% empty %}
  <li class="text-muted">{% trans "Nothing has happened yet." %}</li>
{% endfor %}
</ul>
""")

ENTRIES = [
    TimelineEntry(at=datetime(2026, 3, 1, 4, 5, tzinfo=timezone.utc), icon="briefcase", text='株式会社<b>&"R&D"：登録済み',
                  url="/deals/12/?a=1&b=2", actor="山田 <太郎>", source="deals"),
    TimelineEntry(at=datetime(2025, 12, 31, 15, 0, tzinfo=timezone.utc), icon="dot", text="Profile updated (3 fields)"),
    TimelineEntry(at=datetime(2025, 1, 2, 0, 0, tzinfo=timezone.utc), icon="cash", text="支払", url="/incentives/1/",
                  source="incentives"),
]


def test_the_entries_are_the_markup_the_template_loop_wrote():
    for language in ("ja", "en"):
        with translation.override(language):
            for entries in (ENTRIES, ENTRIES[1:2], []):
                expected = TEMPLATE_LOOP.render(Context({"entries": entries}))
                assert render_to_string("partners/_timeline_entries.html", {"entries": entries}) == expected
    rendered = render_to_string("partners/_timeline_entries.html", {"entries": ENTRIES})
    assert "&lt;b&gt;&amp;&quot;R&amp;D&quot;" in rendered and "山田 &lt;太郎&gt;" in rendered
    assert 'href="/deals/12/?a=1&amp;b=2"' in rendered and "<b>" not in rendered
    with translation.override("ja"):
        assert "まだ履歴はありません。" in render_to_string("partners/_timeline_entries.html", {"entries": []})

"""What partners tells the apps above it, without importing them.

`bank_account_changed(partner, before, after, actor)`: sent inside the transaction that changed
where the partner's money goes; incentives keeps the finance audit trail of it.

`contact_erased(contact, actor, portal_account_closed)`: sent inside the transaction that erased
a contact's personal data (APPI); incentives records it in the audit trail.

`partner_detail_panels(request, partner, page)`: asked while the console's partner page is rendered;
each receiver answers with a rendered panel (HTML) shown in the page's main column, in the order
they were connected (insights adds the health card; deals, incentives and enablement their sections).

`partner_detail_header(request, partner, page)`: asked for the facts shown beside the partner's name (programs
adds the tier with the progress to the next one, insights the health score with its trend); each receiver
answers with a small rendered fragment (HTML).

`page` is one dict for the whole rendering of the page, header and panels: a receiver keeps there, under a key
starting with its app's name, rows it read that another of its receivers shows too, instead of reading them twice
(or the prm.reads.Read of them, which the page then sends once for both).

`partner_timeline_entries(partner, limit)`: asked for a partner's timeline; each receiver answers with at most
`limit` of its newest `partners.timeline.TimelineEntry` (deal events, certifications, tier changes, payouts),
which partners merges by time with its own events.

A receiver of the three may answer with a `prm.reads.Later` of its answer instead: its statements and what makes
the answer from their rows. The page sends the statements of every section in one round trip (prm.reads.resolve).
"""

from django.dispatch import Signal

bank_account_changed = Signal()
contact_erased = Signal()
partner_detail_panels = Signal()
partner_detail_header = Signal()
partner_timeline_entries = Signal()

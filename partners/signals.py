"""What partners tells the apps above it, without importing them.

`bank_account_changed(partner, before, after, actor)`: sent inside the transaction that changed
where the partner's money goes; incentives keeps the finance audit trail of it.

`contact_erased(contact, actor, portal_account_closed)`: sent inside the transaction that erased
a contact's personal data (APPI); incentives records it in the audit trail.

`partner_detail_panels(request, partner)`: asked while the console's partner page is rendered;
each receiver answers with a rendered panel (HTML) shown in the page's main column, in the order
they were connected (insights adds the health card).
"""

from django.dispatch import Signal

bank_account_changed = Signal()
contact_erased = Signal()
partner_detail_panels = Signal()

"""What partners tells the apps above it, without importing them.

`bank_account_changed(partner, before, after, actor)`: sent inside the transaction that changed
where the partner's money goes; incentives keeps the finance audit trail of it.
"""

from django.dispatch import Signal

bank_account_changed = Signal()

"""What the accounts tell the apps above them, without importing them.

`portal_signed_in(user)`: sent once a partner user has signed in to the portal (after every step of
the sign-in, TOTP included); partners records it as the contact's portal login.
"""

from django.dispatch import Signal

portal_signed_in = Signal()

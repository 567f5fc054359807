import time

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.conf import settings
from django.core.management.base import BaseCommand

from demo import data as demo


class Command(BaseCommand):
    help = "Print the current TOTP code of the demo vendor admin (demo data only)."

    def handle(self, *args, **options):
        period = getattr(settings, "MFA_TOTP_PERIOD", 30)
        counter = int(time.time()) // period
        code = format_hotp_value(hotp_value(demo.DEMO_ADMIN_TOTP_SECRET, counter))
        remaining = period - int(time.time()) % period
        self.stdout.write(f"{code}  (valid for {remaining} s more; secret {demo.DEMO_ADMIN_TOTP_SECRET})")

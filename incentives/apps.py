from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncentivesConfig(AppConfig):
    name = "incentives"
    verbose_name = _("Incentives")

    def ready(self) -> None:
        from incentives import audit, hooks
        from partners.signals import bank_account_changed, contact_erased

        def record_bank_account_change(sender, *, partner, before, after, actor, **kwargs) -> None:
            audit.record(actor=actor, action="bank_account_changed", obj=partner, partner=partner.name,
                         before=before, after=after)

        bank_account_changed.connect(record_bank_account_change, weak=False,
                                     dispatch_uid="incentives.bank_account_changed")

        def record_contact_erasure(sender, *, contact, actor, portal_account_closed, **kwargs) -> None:
            audit.record(actor=actor, action="contact_erased", obj=contact, partner=contact.partner_id,
                         portal_account_closed=portal_account_closed)

        contact_erased.connect(record_contact_erasure, weak=False, dispatch_uid="incentives.contact_erased")
        hooks.register()

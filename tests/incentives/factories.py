"""Incentive settings as a vendor that has completed its payout settings has them."""

from __future__ import annotations

from incentives.models import IncentiveSettings

COMPLETE_SETTINGS = {
    "company_name": "株式会社テストベンダー", "invoice_number": "T7000012050002", "address": "東京都千代田区丸の内1-1-1",
    "transfer_client_code": "5555500000", "transfer_client_name": "ｶ)ﾃｽﾄﾍﾞﾝﾀﾞ-",
    "transfer_bank_code": "0005", "transfer_bank_name": "ﾐﾂﾋﾞｼﾕ-ｴﾌｼﾞｴｲ", "transfer_branch_code": "001",
    "transfer_branch_name": "ﾎﾝﾃﾝ", "transfer_account_type": "1", "transfer_account_number": "2222222",
}


def complete_payout_settings(**overrides) -> IncentiveSettings:
    """Call inside the tenant's context."""
    rules = IncentiveSettings.current()
    for name, value in {**COMPLETE_SETTINGS, **overrides}.items():
        setattr(rules, name, value)
    rules.save()
    return rules

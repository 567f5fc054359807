from __future__ import annotations

import factory

from partners import japan
from partners.models import Contact, ContactRole, Partner, PartnerType, Stage


def corporate_number(n: int) -> str:
    base = f"{n:012d}"
    return f"{japan.corporate_number_check_digit(base)}{base}"


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner

    name = factory.Sequence(lambda n: f"株式会社テスト{n:04d}")
    name_kana = factory.Sequence(lambda n: f"テスト{n:04d}")
    partner_type = PartnerType.RESALE
    stage = Stage.ACTIVATION


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    partner = factory.SubFactory(PartnerFactory)
    full_name = factory.Sequence(lambda n: f"担当 {n}")
    email = factory.Sequence(lambda n: f"contact{n}@partner.example.jp")
    role = ContactRole.REP

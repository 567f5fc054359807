from __future__ import annotations

import factory

from partners.models import Partner, PartnerMembership, PartnerType, Stage
from prm.accounts.models import User


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner

    name = factory.Sequence(lambda n: f"テストパートナー{n}株式会社")
    name_kana = factory.Sequence(lambda n: f"テストパートナー{n}")
    partner_type = PartnerType.RESALE
    stage = Stage.ACTIVATION


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.jp")
    full_name = factory.Sequence(lambda n: f"利用者 {n}")
    role = "channel_manager"
    password = factory.django.Password("test-password-123")

    @factory.post_generation
    def partner(self, create, extracted, **kwargs):
        if create and extracted is not None:
            PartnerMembership.objects.create(user=self, partner=extracted)

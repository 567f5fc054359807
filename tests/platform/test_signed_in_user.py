"""The signed-in user, read on every request by Django's ModelBackend as `User.objects.get(pk=…)`, comes from a
fixed statement: the instance is the one the ORM's query builds, and a missing user is DoesNotExist as before."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.backends import ModelBackend
from django.utils import timezone
from django_tenants.utils import tenant_context

from prm.accounts.models import User
from tests.factories import UserFactory


def _fields(user: User) -> dict:
    return {field.attname: getattr(user, field.attname) for field in User._meta.concrete_fields}


def _same(fixed: User, orm: User) -> None:
    assert type(fixed) is type(orm) is User
    assert _fields(fixed) == _fields(orm)
    assert (fixed._state.adding, fixed._state.db) == (orm._state.adding, orm._state.db) == (False, "default")
    assert fixed.get_session_auth_hash() == orm.get_session_auth_hash()


def test_it_reads_the_user_by_primary_key_as_the_orm_does(tenant_a):
    with tenant_context(tenant_a):
        signed_in = UserFactory(role="partner_rep", full_name="山田 <太郎> & 'Co'", full_name_kana="ヤマダ タロウ",
                                language="en", is_staff=True, last_login=timezone.now() - timedelta(days=2, microseconds=7))
        never = UserFactory(role="", full_name="", is_active=False)
        never.set_unusable_password()
        never.save()
        for user in (signed_in, never):
            _same(User.objects.get(pk=user.pk), User.objects.filter(pk=user.pk).get())
        _same(ModelBackend().get_user(signed_in.pk), User.objects.all().get(pk=signed_in.pk))
        assert ModelBackend().get_user(never.pk) is None  # an inactive account stays signed out


def test_a_missing_user_is_does_not_exist_and_other_look_ups_are_the_orms(tenant_a):
    with tenant_context(tenant_a):
        user = UserFactory()
        missing = user.pk + 1000
        with pytest.raises(User.DoesNotExist, match="User matching query does not exist."):
            User.objects.get(pk=missing)
        assert ModelBackend().get_user(missing) is None
        # a primary key given as text, or any other look-up, takes the ORM's way and finds the same user
        assert _fields(User.objects.get(pk=str(user.pk))) == _fields(User.objects.get(email=user.email)) == _fields(user)


def test_each_vendor_reads_its_own_user(tenant_a, tenant_b):
    with tenant_context(tenant_a):
        mine = UserFactory(full_name="A 社の利用者")
    with tenant_context(tenant_b):
        theirs = User.objects.filter(pk=mine.pk).first()
        if theirs is None:
            with pytest.raises(User.DoesNotExist):
                User.objects.get(pk=mine.pk)
        else:
            _same(User.objects.get(pk=mine.pk), theirs)
            assert theirs.full_name != "A 社の利用者"

from __future__ import annotations

from functools import cache

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import DEFAULT_DB_ALIAS, models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from prm.postgres import prepared_statements
from prm.reads import ModelRows, fetch_rows


class Role(models.TextChoices):
    VENDOR_ADMIN = "vendor_admin", _("Vendor admin")
    CHANNEL_MANAGER = "channel_manager", _("Channel manager")
    PARTNER_ADMIN = "partner_admin", _("Partner admin")
    PARTNER_REP = "partner_rep", _("Partner sales rep")


STAFF_ROLES = frozenset({Role.VENDOR_ADMIN, Role.CHANNEL_MANAGER})
PARTNER_ROLES = frozenset({Role.PARTNER_ADMIN, Role.PARTNER_REP})


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get(self, *args, **kwargs):
        """`User.objects.get(pk=<int>)` by a fixed statement: Django's ModelBackend reads the signed-in user so on
        every request, and the ORM compiled that query anew each time (about 0.3 ms against 0.1 ms). The instance is
        the one the ORM builds (prm.reads.ModelRows); any other look-up is the ORM's."""
        if args or kwargs.keys() != {"pk"} or type(kwargs["pk"]) is not int or self.model is not User or self.db != DEFAULT_DB_ALIAS:
            return super().get(*args, **kwargs)
        with prepared_statements(generic=None):  # on every signed-in request: a key look-up, planned once
            rows = fetch_rows(_user_by_pk_sql(), {"id": kwargs["pk"]})
        if not rows:
            raise User.DoesNotExist(f"{User._meta.object_name} matching query does not exist.")
        return _user_rows().instance(rows[0])

    def _create(self, email: str, password: str | None, **fields) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password) if password else user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields) -> User:
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields) -> User:
        """In the public schema: a platform operator. In a tenant: a vendor admin."""
        from django.db import connection

        fields.update(is_staff=True, is_superuser=True)
        if connection.schema_name != "public":
            fields.setdefault("role", Role.VENDOR_ADMIN)
        return self._create(email, password, **fields)


def short_name(full_name: str, email: str) -> str:
    """How a person is named in a list (`User.get_short_name`), from the two columns alone: a timeline reads them
    with its rows and needs no User built for it."""
    return full_name or email


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with an e-mail address.

    The table exists in the public schema (platform operators, role empty) and in every
    vendor schema (that vendor's staff and its partners' users), so accounts never cross
    tenants. A partner user's company is on partners.PartnerMembership.
    """

    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    full_name_kana = models.CharField(_("name (kana)"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, blank=True)
    language = models.CharField(_("language"), max_length=5, choices=[("ja", "日本語"), ("en", "English")], default="ja")
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("admin site access"), default=False)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return short_name(self.full_name, self.email)

    @property
    def is_vendor_staff(self) -> bool:
        return self.is_active and self.role in STAFF_ROLES

    @property
    def is_vendor_admin(self) -> bool:
        return self.is_active and self.role == Role.VENDOR_ADMIN

    @property
    def is_partner_user(self) -> bool:
        return self.is_active and self.role in PARTNER_ROLES

    @property
    def is_partner_admin(self) -> bool:
        return self.is_active and self.role == Role.PARTNER_ADMIN


@cache
def _user_rows() -> ModelRows[User]:
    return ModelRows(User)


@cache
def _user_by_pk_sql() -> str:
    return f"SELECT {_user_rows().columns('u')} FROM accounts_user u WHERE u.id = %(id)s"

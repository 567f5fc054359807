"""The API over real HTTP: a threaded server in the test process (its own database connections,
so it sees only committed rows) and a committed world of partners, people and keys in vendor A.

The world is made once per module and removed afterwards; tests that change it put it back.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context, tenant_context
from pytest_django.live_server_helper import LiveServer

from prm.tenancy.models import Vendor
from tests.factories import PartnerFactory, UserFactory


@pytest.fixture(scope="session")
def api_server(django_db_setup, django_db_blocker):
    """A real HTTP server (Django's threaded live server) on a free port."""
    with django_db_blocker.unblock():
        server = LiveServer("127.0.0.1:0")
    yield server
    server.stop()


@dataclass
class Answer:
    status: int
    headers: dict
    body: bytes

    @property
    def json(self):
        return json.loads(self.body)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0]


@dataclass
class World:
    server: LiveServer
    vendor: Vendor
    other_vendor: Vendor
    partner_a: object
    partner_b: object
    people: dict = field(default_factory=dict)
    tokens: dict = field(default_factory=dict)
    keys: dict = field(default_factory=dict)

    def host(self, site: str, vendor: Vendor | None = None) -> str:
        return (vendor or self.vendor).domain_for(site).domain

    def call(self, method: str, path: str, *, key: str | None = None, token: str | None = None, site: str | None = None,
             body=None, raw: bytes | None = None, headers: dict | None = None, vendor: Vendor | None = None) -> Answer:
        """One request over HTTP; `key` names a token of the world (its site follows from the key)."""
        if key is not None:
            token = self.tokens[key]
            site = site or ("portal" if key.startswith("partner") else "console")
        site = site or "console"
        sent = {"Host": self.host(site, vendor), **(headers or {})}
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            sent.setdefault("Content-Type", "application/json")
        request = urllib.request.Request(f"{self.server.url}{path}", data=data, method=method, headers=sent)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return Answer(response.status, {k.lower(): v for k, v in response.headers.items()}, response.read())
        except urllib.error.HTTPError as error:
            return Answer(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())

    def get(self, path: str, **kwargs) -> Answer:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, body=None, **kwargs) -> Answer:
        headers = kwargs.pop("headers", None) or {}
        headers.setdefault("Idempotency-Key", str(uuid.uuid4()))
        return self.call("POST", path, body=body, headers=headers, **kwargs)


ALL_READ = {"partners": "read", "contacts": "read", "deals": "read", "leads": "read", "direct_accounts": "read",
            "invoice_payments": "read", "tiers": "read", "certifications": "read", "health": "read", "payouts": "read"}
ALL_WRITE = {name: "write" for name in ALL_READ}
PARTNER_READ = {name: "read" for name in ("partners", "contacts", "deals", "leads", "tiers", "certifications", "payouts")}
PARTNER_WRITE = {name: "write" for name in PARTNER_READ}


def make_world(server) -> World:
    from api.models import ApiKey
    from api.services import key_create

    with schema_context("public"):
        vendor = Vendor.objects.get(slug="alpha")
        other_vendor = Vendor.objects.get(slug="bravo")
    tag = uuid.uuid4().hex[:6]
    with tenant_context(vendor):
        partner_a = PartnerFactory(name=f"API甲 {tag}", name_kana=f"エーピーアイコウ {tag}",
                                   external_ids={"salesforce": f"SF-A-{tag}"})
        partner_b = PartnerFactory(name=f"API乙 {tag}", name_kana=f"エーピーアイオツ {tag}")
        people = {
            "vendor_admin": UserFactory(role="vendor_admin", email=f"va-{tag}@api.example"),
            "channel_manager": UserFactory(role="channel_manager", email=f"cm-{tag}@api.example"),
            "partner_a_admin": UserFactory(role="partner_admin", partner=partner_a, email=f"pa-{tag}@api.example"),
            "partner_a_rep": UserFactory(role="partner_rep", partner=partner_a, email=f"pr-{tag}@api.example"),
            "partner_b_admin": UserFactory(role="partner_admin", partner=partner_b, email=f"pb-{tag}@api.example"),
        }
        for user in people.values():
            EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        TOTP.activate(people["vendor_admin"], generate_totp_secret())  # vendor admins must have TOTP for pages
        world = World(server=server, vendor=vendor, other_vendor=other_vendor, partner_a=partner_a,
                      partner_b=partner_b, people=people)
        specs = {
            "vendor_read": (people["vendor_admin"], None, ALL_READ, "ja"),
            "vendor_write": (people["vendor_admin"], None, ALL_WRITE, "en"),
            "vendor_noscope": (people["vendor_admin"], None, {"leads": "read"}, "en"),
            "vendor_revoked": (people["vendor_admin"], None, ALL_READ, "en"),
            "vendor_expired": (people["vendor_admin"], None, ALL_READ, "en"),
            "partner_a": (people["partner_a_admin"], partner_a, PARTNER_WRITE, "ja"),
            "partner_a_read": (people["partner_a_admin"], partner_a, PARTNER_READ, "en"),
            "partner_b": (people["partner_b_admin"], partner_b, PARTNER_WRITE, "ja"),
        }
        for name, (actor, partner, scopes, language) in specs.items():
            issued = key_create(actor=actor, name=f"test {name}", scopes=scopes, partner=partner, language=language)
            world.tokens[name] = issued.token
            world.keys[name] = issued.key
        ApiKey.objects.filter(pk=world.keys["vendor_revoked"].pk).update(revoked_at=timezone.now())
        ApiKey.objects.filter(pk=world.keys["vendor_expired"].pk).update(
            expires_at=timezone.now() - timedelta(minutes=1))
    connection.set_schema_to_public()
    return world


def unmake_world(world: World) -> None:
    from api.models import ApiKey
    from incentives.models import AuditEntry

    with tenant_context(world.vendor):
        keys = ApiKey.objects.filter(created_by__in=list(world.people.values()))
        AuditEntry.objects.filter(object_type="api.apikey", object_id__in=[str(pk) for pk in keys.values_list("pk", flat=True)]).delete()
        keys.delete()
        for user in world.people.values():
            user.delete()
        for partner in (world.partner_a, world.partner_b):
            type(partner).objects.filter(pk=partner.pk).delete()
    connection.set_schema_to_public()


@pytest.fixture(scope="module")
def world(api_server, django_db_blocker):
    with django_db_blocker.unblock():
        made = make_world(api_server)
        try:
            yield made
        finally:
            unmake_world(made)


@pytest.fixture
def unblocked(django_db_blocker):
    """For a test that commits rows itself (the server sees only committed data)."""
    with django_db_blocker.unblock():
        yield
    connection.set_schema_to_public()


@dataclass
class Records:
    """One of each readable record for partner A and for partner B (index 0 and 1)."""

    contacts: list
    payouts: list
    lines: list
    awards: list
    tier_changes: list
    made: list  # everything, for the clean-up (children first)


def make_records(world: World) -> Records:
    from enablement.models import Certification, CertificationAward
    from incentives.models import CommissionRun, LedgerLine, Payout, Plan, PlanVersion
    from insights.health.models import HealthScore
    from partners.models import Contact
    from programs.models import PartnerTier, Program, Tier, TierChange

    tag = uuid.uuid4().hex[:6]
    made: list = []
    with tenant_context(world.vendor):
        program = Program.objects.create(name=f"API program {tag}", partner_types=["resale"])
        gold = Tier.objects.create(program=program, code=f"gold-{tag}", name="ゴールド", rank=3)
        silver = Tier.objects.create(program=program, code=f"silver-{tag}", name="シルバー", rank=2)
        certification = Certification.objects.create(code=f"api-{tag}", name="API 認定")
        plan = Plan.objects.create(code=f"api-{tag}", name="API plan")
        version = PlanVersion.objects.create(plan=plan, number=1, document={})
        run = CommissionRun.objects.create(period=timezone.localdate().replace(day=1))
        contacts, payouts, lines, awards, changes = [], [], [], [], []
        for index, partner in enumerate((world.partner_a, world.partner_b)):
            contacts.append(Contact.objects.create(partner=partner, full_name=f"連絡先 {index} {tag}",
                                                   email=f"c{index}-{tag}@api.example"))
            made.append(PartnerTier.objects.create(partner=partner, tier=gold if index == 0 else silver))
            changes.append(TierChange.objects.create(partner=partner, from_tier=silver, to_tier=gold, direction="up",
                                                     status="applied", reason="API test"))
            user = world.people["partner_a_rep" if index == 0 else "partner_b_admin"]
            awards.append(CertificationAward.objects.create(certification=certification, user=user, partner=partner,
                                                            holder_name=user.full_name,
                                                            expires_at=timezone.now() + timedelta(days=365)))
            made.append(HealthScore.objects.create(partner=partner, score=70 + index, band="healthy"))
            payout = Payout.objects.create(partner=partner, period=run.period, commissions=12345 + index,
                                           subtotal=12345, tax=1234, total=13579, close_date=run.period,
                                           due_date=run.period + timedelta(days=60), payee_name=partner.name)
            payouts.append(payout)
            lines.append(LedgerLine.objects.create(partner=partner, plan_version=version, event_id=f"ev-{tag}-{index}",
                                                   rule_id="r1", amount=12345 + index, period=run.period,
                                                   event_date=run.period, run=run, payout=payout))
        made = [*lines, *payouts, run, version, plan, *awards, certification, *changes, *made, *contacts,
                silver, gold, program]
    connection.set_schema_to_public()
    return Records(contacts=contacts, payouts=payouts, lines=lines, awards=awards, tier_changes=changes, made=made)


def unmake_records(world: World, records: Records) -> None:
    with tenant_context(world.vendor):
        for obj in records.made:
            type(obj).objects.filter(pk=obj.pk).delete()
    connection.set_schema_to_public()


@pytest.fixture(scope="module")
def records(world, django_db_blocker):
    with django_db_blocker.unblock():
        made = make_records(world)
        try:
            yield made
        finally:
            unmake_records(world, made)

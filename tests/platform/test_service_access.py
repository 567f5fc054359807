"""Who may act, as services ask it: require_vendor_staff and require_partner_member.

The second half keeps the rule: a service that spells a role or membership check out again
(an `if` on a role that raises PermissionDenied, or a read of the user's partner_membership)
fails the scan below.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.utils import translation

from partners.access import require_partner_member
from prm.accounts.access import require_vendor_staff
from tests.conftest import in_tenant

pytestmark = pytest.mark.django_db


# --------------------------------------------------------------------------- require_vendor_staff


def test_it_lets_the_vendor_admin_and_channel_managers_act_as_staff(people_a):
    with in_tenant(people_a.tenant):
        require_vendor_staff(people_a.vendor_admin)
        require_vendor_staff(people_a.channel_manager)
        require_vendor_staff(people_a.vendor_admin, admin=True)


def test_it_keeps_vendor_admin_work_from_channel_managers(people_a):
    with in_tenant(people_a.tenant), translation.override("en"), pytest.raises(PermissionDenied) as refused:
        require_vendor_staff(people_a.channel_manager, admin=True)
    assert str(refused.value) == "Only the vendor's administrators can do this."


@pytest.mark.parametrize("persona", ["partner_admin", "partner_rep", "other_partner_admin"])
def test_it_refuses_partner_users_as_staff(people_a, persona):
    with in_tenant(people_a.tenant), translation.override("en"), pytest.raises(PermissionDenied) as refused:
        require_vendor_staff(getattr(people_a, persona))
    assert str(refused.value) == "Only the vendor's staff can do this."


@pytest.mark.parametrize("admin", [False, True])
def test_it_refuses_an_inactive_staff_account(people_a, admin):
    with in_tenant(people_a.tenant):
        people_a.vendor_admin.is_active = False
        with pytest.raises(PermissionDenied):
            require_vendor_staff(people_a.vendor_admin, admin=admin)


@pytest.mark.parametrize("actor", [None, AnonymousUser()], ids=["none", "anonymous"])
def test_it_refuses_nobody_as_staff(actor):
    with pytest.raises(PermissionDenied):
        require_vendor_staff(actor)


# --------------------------------------------------------------------------- require_partner_member


def test_it_lets_members_act_for_their_partner_given_the_partner_or_its_id(people_a):
    with in_tenant(people_a.tenant):
        for user in (people_a.partner_admin, people_a.partner_rep):
            assert require_partner_member(user, people_a.partner).partner_id == people_a.partner.pk
            assert require_partner_member(user, people_a.partner.pk).user_id == user.pk
        require_partner_member(people_a.partner_admin, people_a.partner, admin=True)


def test_it_keeps_partner_admin_work_from_reps(people_a):
    with in_tenant(people_a.tenant), translation.override("en"), pytest.raises(PermissionDenied) as refused:
        require_partner_member(people_a.partner_rep, people_a.partner, admin=True)
    assert str(refused.value) == "Only this partner's administrators can do this."


@pytest.mark.parametrize("admin", [False, True])
def test_it_refuses_members_of_another_partner(people_a, admin):
    with in_tenant(people_a.tenant), translation.override("en"), pytest.raises(PermissionDenied) as refused:
        require_partner_member(people_a.other_partner_admin, people_a.partner, admin=admin)
    assert str(refused.value) == "Only this partner's users can do this."


@pytest.mark.parametrize("persona", ["vendor_admin", "channel_manager"])
def test_it_does_not_count_vendor_staff_as_members(people_a, persona):
    with in_tenant(people_a.tenant), pytest.raises(PermissionDenied):
        require_partner_member(getattr(people_a, persona), people_a.partner)


def test_it_refuses_an_inactive_member(people_a):
    with in_tenant(people_a.tenant):
        people_a.partner_admin.is_active = False
        with pytest.raises(PermissionDenied):
            require_partner_member(people_a.partner_admin, people_a.partner)


def test_it_refuses_when_there_is_no_partner(people_a):
    with in_tenant(people_a.tenant), pytest.raises(PermissionDenied):
        require_partner_member(people_a.partner_admin, None)


@pytest.mark.parametrize("actor", [None, AnonymousUser()], ids=["none", "anonymous"])
def test_it_refuses_nobody_as_a_member(people_a, actor):
    with in_tenant(people_a.tenant), pytest.raises(PermissionDenied):
        require_partner_member(actor, people_a.partner)


# --------------------------------------------------------------------------- the rule stays

ROOT = Path(__file__).resolve().parents[2]
APPS = ("api", "deals", "enablement", "incentives", "mapping", "partners", "programs", "prm", "webhooks",
        "insights", "demo")
# The request layer keeps its decorators and mixins; everything else (services, selectors, engines,
# tasks) asks the two functions.
VIEW_LAYER = {"views.py", "web.py", "portal_views.py", "access.py", "admin.py", "admin_site.py", "adapter.py",
              "middleware.py", "forms.py", "errors.py", "v1.py", "settings_views.py"}
VIEW_DIRS = {"views", "resources", "tests", "migrations", "templatetags", "management", "settings"}
ROLE_ATTRIBUTES = {"is_staff", "is_vendor_staff", "is_vendor_admin", "is_partner_user", "is_partner_admin",
                   "partner_membership", "role"}
# Where a membership is read on purpose: the selector that owns it, and the invitation rules, which stay in
# prm until invitations move to a domain app (prm may not import partners.access).
ALLOWED = {
    ("partners/selectors/__init__.py", "partner_for_user"),
    ("invitations/services.py", "_check_inviter"),
    ("invitations/services.py", "invitation_create"),
}


def service_modules() -> list[Path]:
    found = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if path.name in VIEW_LAYER or path.name.startswith(("urls", "forms_")) or VIEW_DIRS & set(relative.parts):
                continue
            found.append(path)
    return found


def _raises_permission_denied(statements) -> bool:
    for statement in statements:
        if isinstance(statement, ast.Raise) and statement.exc is not None:
            target = statement.exc.func if isinstance(statement.exc, ast.Call) else statement.exc
            if isinstance(target, ast.Name) and target.id == "PermissionDenied":
                return True
    return False


def _reads_a_role(node: ast.AST, membership_names: set[str]) -> bool:
    for part in ast.walk(node):
        if isinstance(part, ast.Attribute) and part.attr in ROLE_ATTRIBUTES:
            return True
        if isinstance(part, ast.Compare) and any(isinstance(op, (ast.Eq, ast.NotEq)) for op in part.ops):
            names = {n.id for operand in [part.left, *part.comparators] for n in ast.walk(operand)
                     if isinstance(n, ast.Name)}
            if names & membership_names:
                return True
    return False


def _is_membership_lookup(node: ast.AST) -> bool:
    """getattr(user, "partner_membership", …) or partner_for_user(user): the actor's company."""
    for part in ast.walk(node):
        if isinstance(part, ast.Call) and isinstance(part.func, ast.Name):
            if part.func.id == "partner_for_user":
                return True
            if (part.func.id == "getattr" and len(part.args) >= 2 and isinstance(part.args[1], ast.Constant)
                    and part.args[1].value == "partner_membership"):
                return True
    return False


def inline_checks(source: str, relative: str) -> list[str]:
    found = []
    tree = ast.parse(source)
    for function in ast.walk(tree):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        if any(relative.endswith(path) and function.name == name for path, name in ALLOWED):
            continue
        membership_names = {target.id for node in ast.walk(function) if isinstance(node, ast.Assign)
                            and _is_membership_lookup(node.value)
                            for target in node.targets if isinstance(target, ast.Name)}
        for node in ast.walk(function):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr" \
                    and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant) \
                    and node.args[1].value == "partner_membership":
                found.append(f"{relative}:{node.lineno} {function.name}: reads partner_membership")
            if isinstance(node, ast.If) and _raises_permission_denied(node.body) \
                    and _reads_a_role(node.test, membership_names):
                found.append(f"{relative}:{node.lineno} {function.name}: inline role or membership check")
    return found


def test_no_service_spells_out_who_may_act():
    modules = service_modules()
    assert any(path.name == "services.py" for path in modules) and len(modules) > 50
    found = []
    for path in modules:
        found += inline_checks(path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix())
    assert found == [], "Use prm.accounts.access.require_vendor_staff or partners.access.require_partner_member:\n" \
        + "\n".join(found)


@pytest.mark.parametrize("source", [
    "def f(actor):\n    if not actor.is_vendor_staff:\n        raise PermissionDenied\n",
    "def f(actor):\n    if not actor.is_vendor_admin:\n        raise PermissionDenied(_('no'))\n",
    "def f(actor, deal):\n    own = getattr(actor, 'partner_membership', None)\n    if own is None:\n        return\n",
    "def f(actor, p):\n    own = partner_for_user(actor)\n    if own is None or own.pk != p.pk:\n        raise PermissionDenied\n",
    "def f(actor, p):\n    if actor.role != 'partner_admin':\n        raise PermissionDenied\n",
], ids=["staff", "admin", "getattr", "partner_for_user", "role"])
def test_the_scan_finds_each_inline_spelling(source):
    assert inline_checks(source, "sample/services.py")


def test_the_scan_leaves_branches_and_the_two_functions_alone():
    source = (
        "def f(actor, deal):\n"
        "    require_vendor_staff(actor)\n"
        "    require_partner_member(actor, deal.partner_id, admin=True)\n"
        "    watchers = [deal.registered_by] if actor.is_vendor_staff else []\n"
        "    if actor.is_partner_user:\n"
        "        return watchers\n"
        "    partner = partner_for_user(actor)\n"
        "    if partner is None:\n"
        "        raise PermissionDenied\n"
    )
    assert inline_checks(source, "sample/services.py") == []


DOMAIN_APPS = ("api", "deals", "enablement", "incentives", "insights", "mapping", "partners", "portal", "programs",
               "webhooks")


def test_domain_services_ask_who_may_act_through_one_module():
    """Every domain module takes both checks from partners.access; only the platform (prm), which must
    not import a domain app, takes require_vendor_staff from where it is defined."""
    found = []
    for app in DOMAIN_APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" in relative or relative == "partners/access.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module == "prm.accounts.access" \
                        and any(alias.name == "require_vendor_staff" for alias in node.names):
                    found.append(relative)
    assert found == []
    import partners.access

    assert partners.access.require_vendor_staff is require_vendor_staff
    assert set(partners.access.__all__) == {"require_partner_member", "require_vendor_staff"}

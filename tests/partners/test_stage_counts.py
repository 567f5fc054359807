"""The partner list's stage strip reads counts the database keeps (partners.StageCount, prm.kept_counts): they must
equal a count of the partners after every kind of write, and hold when writers and folds run at once.

The parallel tests use real connections, one per thread, on committed data: they create and remove their own rows.
"""

from __future__ import annotations

import random
import threading

import pytest
from django.db import connection, transaction
from django.db.models import Count
from django.db.utils import OperationalError
from django_tenants.utils import schema_context, tenant_context

from partners import selectors
from partners.models import Partner, PartnerType, Stage, StageCount
from prm import kept_counts
from tests.api.parallel import all_at_once
from tests.factories import PartnerFactory

STAGES = list(Stage.values)


def counted() -> dict[str, int]:
    """The partners of each stage, counted."""
    counts = dict(Partner.objects.values_list("stage").annotate(n=Count("pk")).values_list("stage", "n"))
    return {stage: counts.get(stage, 0) for stage in STAGES}


@pytest.mark.django_db
def test_every_kind_of_write_keeps_the_counts(tenant_a):
    with tenant_context(tenant_a):
        assert selectors.stage_counts() == counted()
        one = PartnerFactory(stage=Stage.PROSPECT)
        PartnerFactory.create_batch(3, stage=Stage.ONBOARDING)
        assert selectors.stage_counts() == counted()
        Partner.objects.bulk_create([Partner(name=f"一括登録{n}", partner_type=PartnerType.RESALE, stage=Stage.APPLIED)
                                     for n in range(5)])
        assert selectors.stage_counts() == counted()

        one.stage = Stage.ACTIVATION  # a save that moves a partner
        one.save()
        one.name = "名称だけ変更"  # and one that does not: adds no row of changes
        rows = StageCount.objects.count()
        one.save()
        assert StageCount.objects.count() == rows
        assert selectors.stage_counts() == counted()

        Partner.objects.filter(stage=Stage.APPLIED).update(stage=Stage.RECRUITING)  # a bulk update
        Partner.objects.filter(stage=Stage.ONBOARDING).update(name_kana="テスト")  # moves none
        assert selectors.stage_counts() == counted()

        # Raw SQL, as an import or a restore writes: four copies of a partner, in another stage.
        columns = [field.column for field in Partner._meta.concrete_fields if field.column != "id"]
        values = {"name": "'SQL登録' || n", "corporate_number": "''", "stage": "'dormant'"}
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO partners_partner ({', '.join(columns)}) "
                           f"SELECT {', '.join(values.get(column, column) for column in columns)} "
                           f"FROM partners_partner, generate_series(1, 4) n WHERE id = %s", [one.pk])
            assert cursor.rowcount == 4
            assert selectors.stage_counts() == counted()
            cursor.execute("UPDATE partners_partner SET stage = 'retention' WHERE name LIKE 'SQL登録%%' "
                           "AND name <> 'SQL登録1'")
        assert selectors.stage_counts() == counted()

        one.delete()
        Partner.objects.filter(stage=Stage.RECRUITING).delete()
        assert selectors.stage_counts() == counted()
        assert sum(selectors.stage_counts().values()) == Partner.objects.count()

        with connection.cursor() as cursor:  # rolled back with the test
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE leaves no foreign key check pending
            cursor.execute("TRUNCATE partners_partner CASCADE")
        assert selectors.stage_counts() == dict.fromkeys(STAGES, 0)
        PartnerFactory(stage=Stage.DORMANT)
        assert selectors.stage_counts() == {**dict.fromkeys(STAGES, 0), Stage.DORMANT: 1}


@pytest.mark.django_db
def test_a_read_folds_the_changes_once_they_pile_up(tenant_a):
    with tenant_context(tenant_a):
        partners = PartnerFactory.create_batch(3, stage=Stage.PROSPECT)
        for step in range(kept_counts.FOLD_AFTER):  # one statement, one row of changes each
            Partner.objects.filter(pk=partners[step % 3].pk).update(stage=STAGES[step % len(STAGES)])
        expected = counted()
        assert StageCount.objects.count() > kept_counts.FOLD_AFTER
        assert selectors.stage_counts() == expected  # this read folds
        rows = list(StageCount.objects.values_list("stage", "n"))
        assert len(rows) == len({stage for stage, _ in rows}) <= len(STAGES)  # one row a stage at most
        assert all(n != 0 for _, n in rows)  # a stage that sums to nothing keeps no row
        assert selectors.stage_counts() == expected


# ----------------------------------------------------------------------------- at once, on real connections

@pytest.fixture
def committed_vendor(django_db_setup, django_db_blocker):
    """Vendor a, and the removal of the partners the test commits there (names starting 並行)."""
    from prm.tenancy.models import Vendor
    from tests.conftest import TENANTS

    with django_db_blocker.unblock():
        with schema_context("public"):
            vendor = Vendor.objects.get(slug=TENANTS["a"]["slug"])
        try:
            yield vendor
        finally:
            with tenant_context(vendor):
                Partner.objects.filter(name__startswith="並行").delete()
                kept_counts.fold("partners_stagecount", "stage")
                assert selectors.stage_counts() == counted()
            connection.set_schema_to_public()


def _in_threads(vendor, django_db_blocker, work, count: int) -> list[BaseException]:
    """work(index) for index in range(count), each on its own thread and connection in `vendor`, released together;
    the errors they raised."""
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            with django_db_blocker.unblock():
                connection.set_tenant(vendor)
                work(index)
        except BaseException as error:  # reported by the caller
            errors.append(error)

    all_at_once(run, range(count), timeout=120)
    return errors


def test_writers_and_folds_at_once_keep_the_counts(committed_vendor, django_db_blocker):
    """Four writers create, move and delete partners in transactions of their own while two readers read and
    fold as fast as they can: at the end the kept counts are the partners counted, and were never negative."""
    seen_negative: list[dict] = []

    def work(index: int) -> None:
        if index >= 4:  # a reader
            for _ in range(150):
                counts = selectors.stage_counts()
                if any(n < 0 for n in counts.values()):
                    seen_negative.append(counts)
                kept_counts.fold("partners_stagecount", "stage")
            return
        chance = random.Random(index)
        mine: list[int] = []
        for step in range(40):
            with transaction.atomic():
                if chance.random() < 0.5 or not mine:
                    mine += [Partner.objects.create(name=f"並行{index}-{step}-{n}", partner_type=PartnerType.RESALE,
                                                    stage=chance.choice(STAGES)).pk for n in range(chance.randint(1, 3))]
                if mine and chance.random() < 0.6:
                    Partner.objects.filter(pk__in=chance.sample(mine, min(2, len(mine)))).update(
                        stage=chance.choice(STAGES))
                if len(mine) > 3 and chance.random() < 0.3:
                    gone = mine.pop(chance.randrange(len(mine)))
                    Partner.objects.filter(pk=gone).delete()

    errors = _in_threads(committed_vendor, django_db_blocker, work, 6)
    assert not errors, errors
    assert not seen_negative
    with django_db_blocker.unblock(), tenant_context(committed_vendor):
        assert Partner.objects.filter(name__startswith="並行").exists()
        assert selectors.stage_counts() == counted()


def test_writers_do_not_wait_for_each_other_nor_for_a_fold(committed_vendor, django_db_blocker):
    """A transaction that created a partner and has not committed holds up neither another writer of the same stage
    nor a fold (each fails at once if it would wait: lock_timeout); its partner counts once it commits."""
    created = threading.Event()
    others_done = threading.Event()
    outcome: dict[str, object] = {}

    def work(index: int) -> None:
        if index == 0:
            with transaction.atomic():
                Partner.objects.create(name="並行-開いたまま", partner_type=PartnerType.RESALE, stage=Stage.ONBOARDING)
                created.set()
                assert others_done.wait(timeout=60)
            return
        assert created.wait(timeout=60)
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '2s'")
                Partner.objects.create(name="並行-同じ段階", partner_type=PartnerType.RESALE, stage=Stage.ONBOARDING)
            outcome["writer"] = "committed"
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '2s'")
                kept_counts.fold("partners_stagecount", "stage")
            outcome["fold"] = "done"
            outcome["counts while open"] = selectors.stage_counts()
        except OperationalError as error:
            outcome["waited"] = str(error)
        finally:
            others_done.set()

    with django_db_blocker.unblock(), tenant_context(committed_vendor):
        before = selectors.stage_counts()
    errors = _in_threads(committed_vendor, django_db_blocker, work, 2)
    assert not errors, errors
    assert outcome.get("writer") == "committed" and outcome.get("fold") == "done", outcome
    # While the first transaction was open, only the second writer's partner counted.
    assert outcome["counts while open"] == {**before, Stage.ONBOARDING: before[Stage.ONBOARDING] + 1}
    with django_db_blocker.unblock(), tenant_context(committed_vendor):
        assert selectors.stage_counts() == {**before, Stage.ONBOARDING: before[Stage.ONBOARDING] + 2}
        assert selectors.stage_counts() == counted()

"""prm.reads' Later, gather and resolve: answers that need statements are made from one round trip to PostgreSQL,
a read two answers share is run once, plain answers pass through, and each answer is what it is alone."""

from __future__ import annotations

import pytest
from django.db import DataError, connection, transaction

from prm.reads import Later, Read, gather, resolve

pytestmark = pytest.mark.django_db


class Statements:
    """The statements run meanwhile, each with whether it went out in a pipeline (libpq's status: 0 is off)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, bool]] = []

    def __call__(self, execute, sql, params, many, context):
        self.seen.append((sql, connection.connection.pgconn.pipeline_status != 0))
        return execute(sql, params, many, context)

    def runs_in_pipelines(self) -> int:
        """How many unbroken runs of pipelined statements there were."""
        runs, before = 0, False
        for _sql, pipelined in self.seen:
            runs += pipelined and not before
            before = pipelined
        return runs


def _series(last: int) -> Read[list[int]]:
    return Read("SELECT n FROM generate_series(1, %(last)s::int) n", {"last": last}, lambda rows: [n for (n,) in rows])


def test_answers_are_made_from_one_round_trip_and_a_shared_read_runs_once():
    connection.ensure_connection()
    shared = _series(3)
    made: list[str] = []

    def total(name):
        def make(*values):
            made.append(name)
            return sum(sum(value) for value in values)
        return make

    answers = [
        Later([shared, _series(2)], total("first")),
        "a plain answer",
        Later([shared], total("second")),  # the same read object: run once for both
        _series(4),  # a Read is an answer too
        gather([Later([_series(1)], total("inner")), 5], lambda inner: tuple(inner)),  # nested
        Later([], lambda: "nothing to read"),
    ]
    statements = Statements()
    with connection.execute_wrapper(statements):
        together = resolve(answers)
    assert together == [9, "a plain answer", 6, [1, 2, 3, 4], (1, 5), "nothing to read"]
    assert made == ["first", "second", "inner"]  # made in the answers' order
    series = [pipelined for sql, pipelined in statements.seen if "generate_series" in sql]
    assert series == [True] * 4  # five reads, one of them shared by two answers
    assert statements.runs_in_pipelines() == 1
    alone = [answer.run() if isinstance(answer, (Later, Read)) else answer for answer in answers]
    assert alone == together


def test_then_applies_after_the_make_and_run_needs_no_other_answer():
    later = Later([_series(3), _series(2)], lambda a, b: a + b).then(len)
    assert later.run() == 5
    assert resolve([later, later]) == [5, 5]
    assert resolve([]) == [] and resolve(["only plain"]) == ["only plain"]


def test_a_failing_statement_raises_and_the_connection_goes_on():
    failing = Read("SELECT 1 / %(zero)s::int", {"zero": 0}, list)
    with pytest.raises(DataError, match="division by zero"), transaction.atomic():
        resolve([Later([_series(2)], len), failing])
    assert resolve([_series(2)]) == [[1, 2]]
    assert connection.connection.pgconn.pipeline_status == 0

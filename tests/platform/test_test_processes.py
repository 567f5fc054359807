"""The suite runs in one process per core; named tests run in one. Chromium is made sure of only for runs
that may include the browser test."""

from __future__ import annotations

from prm.cli import browser_test_wanted, parallel_args
from prm.env import redis_url_with_db


def test_the_whole_suite_runs_in_parallel_and_named_tests_in_one_process(monkeypatch):
    monkeypatch.setenv("KYOSO_TEST_PROCESSES", "2")
    assert parallel_args([]) == ["-n", "2"]
    assert parallel_args(["-m", "not walk"]) == ["-n", "2"]
    assert parallel_args(["tests/platform/test_access.py", "-k", "portal"]) == []
    assert parallel_args(["tests/deals/test_matching.py::test_x"]) == []
    assert parallel_args(["-n", "3"]) == []
    assert parallel_args(["-p", "no:xdist"]) == []
    monkeypatch.setenv("KYOSO_TEST_PROCESSES", "1")
    assert parallel_args([]) == []


def test_each_process_gets_its_own_redis_database():
    assert redis_url_with_db("unix:///srv/redis.sock", 2) == "unix:///srv/redis.sock?db=2"
    assert redis_url_with_db("unix:///srv/redis.sock?db=0&timeout=5", 3) == "unix:///srv/redis.sock?timeout=5&db=3"
    assert redis_url_with_db("redis://cache:6379/0", 1) == "redis://cache:6379/1"
    assert redis_url_with_db("redis://cache:6379", 4) == "redis://cache:6379/4"


def test_it_wants_chromium_only_for_runs_that_may_include_the_browser_test():
    assert browser_test_wanted([]) and browser_test_wanted(["-m", "not walk"])
    assert browser_test_wanted(["tests/platform/test_phones.py::test_x", "-q"]) and browser_test_wanted(["tests/"])
    assert not browser_test_wanted(["-m", "not browser"]) and not browser_test_wanted(["-m", "not walk and not browser"])
    assert not browser_test_wanted(["tests/deals/test_matching.py", "tests/platform/test_access.py"])

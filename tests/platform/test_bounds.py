"""The bounds of prm.bounds and the query-parameter parsers of prm.params, without HTTP."""

from __future__ import annotations

from datetime import date

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from prm.bounds import (
    MAX_YEN,
    BusinessDateField,
    BusinessDateTimeField,
    MonthField,
    count_field,
    parse_month,
    validate_business_date,
    yen_field,
)
from prm.params import (
    BadParameter,
    first_nul_parameter,
    int_param,
    int_values,
    month_param,
    next_url,
    parse_ascii_int,
)


class AmountForm(forms.Form):
    amount = yen_field("Amount", allow_zero=False)
    leads = count_field("Leads", required=False)
    on = BusinessDateField(required=False)
    at = BusinessDateTimeField(required=False)
    month = MonthField(required=False)


def _errors(**data) -> dict:
    form = AmountForm({"amount": "1000", **data})
    form.is_valid()
    return form.errors


@pytest.mark.parametrize("value", ["²", "１２３", "٣", "99999999999999999999", str(2**63), "-1", "0", "1e3", str(MAX_YEN + 1)])
def test_it_refuses_hostile_amounts_naming_the_field(value):
    assert "amount" in _errors(amount=value)


@pytest.mark.parametrize("value", ["1", "1,000", str(MAX_YEN), " 42 "])
def test_it_accepts_real_amounts(value):
    assert _errors(amount=value) == {}


def test_it_bounds_counts():
    assert "leads" in _errors(leads="1000001")
    assert "leads" in _errors(leads="²")
    assert _errors(leads="1000000") == {}


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31", "1999-12-31", "2101-01-01"])
def test_it_refuses_dates_outside_the_business_years(value):
    assert "on" in _errors(on=value)


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31", "0001-01-01T00:00"])
def test_it_refuses_datetimes_outside_the_business_years(value):
    assert "at" in _errors(at=value)


def test_it_accepts_business_dates():
    assert _errors(on="2026-04-01", at="2026-04-01T09:30", month="2026-04") == {}
    validate_business_date(date(2000, 1, 1))
    with pytest.raises(ValidationError):
        validate_business_date(date(1, 1, 1))


@pytest.mark.parametrize("text, expected", [
    ("2026-04", date(2026, 4, 1)), ("2026-4", date(2026, 4, 1)), ("2026-13", None), ("2026-00", None),
    ("²026-01", None), ("0001-01", None), ("9999-12", None), ("2026", None), ("2026-04-01", None), ("", None),
])
def test_it_parses_months_strictly(text, expected):
    assert parse_month(text) == expected


def test_the_month_field_names_the_error():
    assert "month" in _errors(month="2026-13")
    assert AmountForm({"amount": "1", "month": "2026-05"}).is_valid()


@pytest.mark.parametrize("text, expected", [
    ("12", 12), ("-3", -3), ("²", None), ("１", None), ("", None), ("-", None), ("1" * 19, None), ("1.5", None),
])
def test_it_parses_ascii_integers_only(text, expected):
    assert parse_ascii_int(text) == expected


rf = RequestFactory()


def test_int_param_returns_the_default_when_absent_and_refuses_bad_values_by_name():
    assert int_param(rf.get("/"), "partner") is None
    assert int_param(rf.get("/?partner="), "partner") is None
    assert int_param(rf.get("/?partner=7"), "partner") == 7
    for value in ["²", "-1", "0", "99999999999999999999", "abc"]:
        with pytest.raises(BadParameter) as caught:
            int_param(rf.get("/", {"partner": value}), "partner")
        assert caught.value.name == "partner"
        assert "partner" in str(caught.value)


def test_month_param_refuses_a_month_that_does_not_exist():
    assert month_param(rf.get("/?period=2026-04"), "period") == date(2026, 4, 1)
    assert month_param(rf.get("/"), "period", default=date(2026, 1, 1)) == date(2026, 1, 1)
    with pytest.raises(BadParameter) as caught:
        month_param(rf.get("/?period=2026-13"), "period")
    assert "period" in str(caught.value)


def test_int_values_refuses_the_whole_list_for_one_bad_value():
    assert int_values(rf.post("/", {"deal": ["1", "2"]}).POST, "deal") == [1, 2]
    with pytest.raises(BadParameter):
        int_values(rf.post("/", {"deal": ["1", "²"]}).POST, "deal")


def test_it_finds_nul_bytes_in_names_values_and_file_names():
    assert first_nul_parameter(rf.get("/", {"q": "a\x00b"})) == "q"
    assert first_nul_parameter(rf.get("/", {"a\x00b": "1"})) == "a\\0b"
    assert first_nul_parameter(rf.post("/", {"note": "ok", "amount": "1\x00"})) == "amount"
    assert first_nul_parameter(rf.get("/", {"q": "fine"})) is None


@pytest.mark.parametrize(("target", "expected"), [
    ("/deals/7/", "/deals/7/"),
    ("/deals/?stage=won", "/deals/?stage=won"),
    ("²", "/home/"),
    ("deal_detail", "/home/"),  # a view name is not a URL
    ("//evil.example/", "/home/"),
    ("https://evil.example/", "/home/"),
    ("", "/home/"),
])
def test_next_url_goes_only_to_paths_on_this_site(target, expected):
    request = RequestFactory().post("/x/", HTTP_HOST="alpha.localhost")
    assert next_url(request, target, "/home/") == expected

"""What the matching and the winning-customer conditions segment customers by: industry (JSIC
major groups, 日本標準産業分類の大分類 A–T), employee band and prefecture (JIS codes, as in
partners.japan). Choices and the parsers the CSV imports use; no tables."""

from __future__ import annotations

import functools
import unicodedata

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _


class JsicMajor(models.TextChoices):
    A = "A", _("A Agriculture and forestry")
    B = "B", _("B Fisheries")
    C = "C", _("C Mining and quarrying")
    D = "D", _("D Construction")
    E = "E", _("E Manufacturing")
    F = "F", _("F Electricity, gas, heat supply and water")
    G = "G", _("G Information and communications")
    H = "H", _("H Transport and postal activities")
    I = "I", _("I Wholesale and retail trade")  # noqa: E741 (the JSIC letter)
    J = "J", _("J Finance and insurance")
    K = "K", _("K Real estate and goods rental and leasing")
    L = "L", _("L Scientific research, professional and technical services")
    M = "M", _("M Accommodations, eating and drinking services")
    N = "N", _("N Living-related and personal services and amusement services")
    O = "O", _("O Education, learning support")  # noqa: E741
    P = "P", _("P Medical, health care and welfare")
    Q = "Q", _("Q Compound services")
    R = "R", _("R Services, not elsewhere classified")
    S = "S", _("S Government, except elsewhere classified")
    T = "T", _("T Industries unable to classify")


# The official Japanese names, so that a CSV may say 製造業 as well as E.
JSIC_JA = {
    "A": "農業，林業", "B": "漁業", "C": "鉱業，採石業，砂利採取業", "D": "建設業", "E": "製造業",
    "F": "電気・ガス・熱供給・水道業", "G": "情報通信業", "H": "運輸業，郵便業", "I": "卸売業，小売業",
    "J": "金融業，保険業", "K": "不動産業，物品賃貸業", "L": "学術研究，専門・技術サービス業",
    "M": "宿泊業，飲食サービス業", "N": "生活関連サービス業，娯楽業", "O": "教育，学習支援業",
    "P": "医療，福祉", "Q": "複合サービス事業", "R": "サービス業（他に分類されないもの）",
    "S": "公務（他に分類されるものを除く）", "T": "分類不能の産業",
}


class EmployeeBand(models.TextChoices):
    B1 = "1-9", _("1–9 employees")
    B10 = "10-49", _("10–49 employees")
    B50 = "50-99", _("50–99 employees")
    B100 = "100-299", _("100–299 employees")
    B300 = "300-999", _("300–999 employees")
    B1000 = "1000+", _("1,000+ employees")


_BAND_BOUNDS = [(1, 9, "1-9"), (10, 49, "10-49"), (50, 99, "50-99"), (100, 299, "100-299"), (300, 999, "300-999")]


def _fold(value: str) -> str:
    return unicodedata.normalize("NFKC", value or "").strip().casefold()


_JSIC_CODES = frozenset(JsicMajor.values)
_BAND_VALUES = frozenset(EmployeeBand.values)


@functools.lru_cache(maxsize=1024)
def industry_code(value: str) -> str | None:
    """'E', 'e', '製造業', 'E 製造業' or the English label → 'E'; empty → ''; unknown → None.
    Cached: a list of 100,000 customers has a few dozen distinct values."""
    text = _fold(value)
    if not text:
        return ""
    if len(text) == 1 and text.upper() in _JSIC_CODES:
        return text.upper()
    if len(text) > 2 and text[0].upper() in _JSIC_CODES and text[1] in " .:：　":
        return text[0].upper()
    for code, name in JSIC_JA.items():
        if text == _fold(name) or text == _fold(name).replace("，", ",") or text.replace("、", ",") == _fold(name):
            return code
    for code, label in JsicMajor.choices:
        with translation.override("en"):
            english = _fold(str(label))
        if text in (english, english[2:]):
            return code
    return None


@functools.lru_cache(maxsize=1024)
def employee_band(value: str) -> str | None:
    """'10-49', '10〜49', '10～49人', '1000+', '1000人以上' or a head count ('35') → the band; '' → ''."""
    text = _fold(value).replace("人", "").replace(",", "").replace(" ", "")
    if not text:
        return ""
    for separator in ("〜", "~", "～", "–", "—", "‐"):
        text = text.replace(separator, "-")
    if text in _BAND_VALUES:
        return text
    if text in ("1000-", "1000以上", "1000+", ">=1000"):
        return EmployeeBand.B1000.value
    if text.isdigit():
        count = int(text)
        if count >= 1000:
            return EmployeeBand.B1000.value
        for low, high, band in _BAND_BOUNDS:
            if low <= count <= high:
                return band
    return None


def industry_label(code: str) -> str:
    if not code:
        return ""
    if (translation.get_language() or "ja").startswith("ja"):
        return f"{code} {JSIC_JA.get(code, '')}"
    return str(JsicMajor(code).label) if code in JsicMajor.values else code


def industry_choices() -> list[tuple[str, str]]:
    return [(code, industry_label(code)) for code in JsicMajor.values]

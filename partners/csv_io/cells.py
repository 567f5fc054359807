"""One cell's value: parsed as the forms would (choices in English or Japanese, lists, yes/no, zero-padded
numbers) and shown again as a file writes it."""

from __future__ import annotations

import functools
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import translation
from django.utils.translation import gettext as _

from partners import japan
from partners.csv_io.reading import _fold
from partners.models import AccountType, ContactRole, CoSellingModel, Industry, Partner, PartnerType, Stage
from prm.accounts.models import User

LIST_SEPARATORS = re.compile(r"[|｜、]")


_EXTRA_LABELS: dict[type[models.TextChoices], dict[str, str]] = {
    PartnerType: {"紹介": "referral", "取次": "agency", "代理店": "agency", "販売代理店": "agency", "再販": "resale",
                  "リセラー": "resale", "一次代理店": "distributor", "ディストリビューター": "distributor",
                  "ソリューションパートナー": "solution", "アライアンス": "alliance"},
    Stage: {"見込み": "prospect", "応募": "applied", "リクルーティング": "recruiting", "募集中": "recruiting",
            "オンボーディング": "onboarding", "アクティベーション": "activation", "活性化": "activation",
            "リテンション": "retention", "定着": "retention", "休眠": "dormant", "終了": "terminated", "解約": "terminated"},
    AccountType: {"普通": "1", "当座": "2", "貯蓄": "4", "ordinary": "1", "current": "2", "savings": "4"},
    CoSellingModel: {"ドアオープナー": "door_opener", "クロスセル": "cross_sell"},
    ContactRole: {"決裁者": "decision_maker", "営業責任者": "sales_manager", "営業マネージャー": "sales_manager",
                  "営業担当": "rep", "担当者": "rep"},
}


_TRUE = {"1", "true", "yes", "y", "はい", "○", "◯", "true.", "t"}
_FALSE = {"0", "false", "no", "n", "いいえ", "×", "f", "-"}
_PREFECTURE_NAMES = {code: ja for code, ja, _en in japan.PREFECTURES}


@functools.cache
def _choice_table(choices: type[models.TextChoices]) -> dict[str, str]:
    table: dict[str, str] = {}
    for value, label in choices.choices:
        table[_fold(value)] = value
        for language in ("en", "ja"):
            with translation.override(language):
                table.setdefault(_fold(str(label)), value)
    for alias, value in _EXTRA_LABELS.get(choices, {}).items():
        table.setdefault(_fold(alias), value)
    return table


def _choice(choices: type[models.TextChoices], raw: str) -> str:
    if not raw:
        return ""
    value = _choice_table(choices).get(_fold(raw))
    if value is None:
        raise ValidationError(_("“%(value)s” is not one of: %(choices)s.")
                              % {"value": raw, "choices": ", ".join(str(value) for value in choices.values)})
    return value


def _split(raw: str) -> list[str]:
    seen: list[str] = []
    for part in LIST_SEPARATORS.split(raw):
        part = part.strip()
        if part and part not in seen:
            seen.append(part)
    return seen


def _prefectures(raw: str) -> list[str]:
    # Unknown names stay as written so services.clean_identifiers names them in its error.
    codes = [japan.prefecture_code(part) or part for part in _split(raw)]
    return list(dict.fromkeys(codes))


def _industries(raw: str) -> list[str]:
    table = _choice_table(Industry)
    unknown = [part for part in _split(raw) if _fold(part) not in table]
    if unknown:
        raise ValidationError(_("Unknown industry: %(value)s (use %(choices)s).")
                              % {"value": ", ".join(unknown), "choices": "|".join(Industry.values)})
    return list(dict.fromkeys(table[_fold(part)] for part in _split(raw)))


def _boolean(raw: str) -> bool | None:
    folded = _fold(raw)
    if not folded:
        return None
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    raise ValidationError(_("Write 1 or 0 (true/false, はい/いいえ)."))


def _zero_padded(raw: str, width: int) -> str:
    # Excel drops leading zeros from codes such as 0001; put them back.
    digits = japan.normalise_digits(raw)
    return digits.zfill(width) if digits.isdigit() and len(digits) < width else digits


def _text(model: type, key: str, raw: str) -> str:
    limit = model._meta.get_field(key).max_length
    if limit and len(raw) > limit:
        raise ValidationError(_("Use at most %(max)s characters (this has %(length)s).") % {"max": limit, "length": len(raw)})
    return raw


def _display(key: str, value: Any) -> str:
    """A value the way the export writes it."""
    if value is None:
        return ""
    if key == "prefectures":
        return "|".join(_PREFECTURE_NAMES.get(code, code) for code in value)
    if isinstance(value, (list, tuple)):
        return "|".join(value)
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, User):
        return value.email
    if isinstance(value, Partner):
        return value.corporate_number or value.name
    return str(value)

"""Japanese identifiers and reference data: 法人番号, 適格請求書発行事業者登録番号, bank
accounts (全銀), prefectures. Pure functions; no Django models."""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import translation

_DIGITS13 = re.compile(r"^\d{13}$")


def normalise_digits(value: str) -> str:
    """Full-width digits and letters to half-width; drop spaces and hyphens people type."""
    value = unicodedata.normalize("NFKC", value or "")
    return re.sub(r"[\s\-‐−ー－]", "", value)


def corporate_number_check_digit(base12: str) -> int:
    """The leading check digit of a 法人番号 from its other 12 digits (国税庁の計算式)."""
    total = 0
    for position, digit in enumerate(reversed(base12), start=1):
        total += int(digit) * (1 if position % 2 else 2)
    return 9 - total % 9


def is_valid_corporate_number(value: str) -> bool:
    return bool(_DIGITS13.match(value)) and int(value[0]) == corporate_number_check_digit(value[1:])


def normalise_corporate_number(value: str) -> str:
    return normalise_digits(value)


def normalise_invoice_number(value: str) -> str:
    return normalise_digits(value).upper()


def is_valid_invoice_number(value: str) -> bool:
    """T + 13 digits whose check digit is valid (the same scheme as 法人番号)."""
    return len(value) == 14 and value[0] == "T" and is_valid_corporate_number(value[1:])


# --------------------------------------------------------------------------- bank accounts

ACCOUNT_TYPES = {"1": "普通", "2": "当座", "4": "貯蓄"}

_FULL_TO_HALF_KANA = dict(zip(
    "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲンァィゥェォッャュョー",
    "ｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜｦﾝｧｨｩｪｫｯｬｭｮ-",
    strict=True,
))
_VOICED = dict(zip("ガギグゲゴザジズゼゾダヂヅデドバビブベボヴ", "ｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾊﾋﾌﾍﾎｳ", strict=True))
_SEMI_VOICED = dict(zip("パピプペポ", "ﾊﾋﾌﾍﾎ", strict=True))
# 全銀協: small kana are written large and the long-vowel mark as a hyphen in transfer files.
_SMALL_TO_LARGE = dict(zip("ｧｨｩｪｫｯｬｭｮ", "ｱｲｳｴｵﾂﾔﾕﾖ", strict=True))
ZENGIN_ALLOWED = re.compile(r"^[0-9A-Zｱ-ﾝﾞﾟ ()\-./,｢｣¥]+$")


def bank_account_text(account: dict[str, str], *, masked: bool = False) -> str:
    """An account as a finance person reads it: 「三菱UFJ銀行 本店 普通 1234567 ｶ)ﾐﾗｲ」.

    `masked` keeps only the last 4 digits of the number, for messages that leave the console.
    """
    if not any(account.get(key) for key in ("bank_code", "branch_code", "account_number")):
        return translation.pgettext("bank account", "(none)")
    kinds = {"1": translation.pgettext("bank account type", "Ordinary"),
             "2": translation.pgettext("bank account type", "Current"),
             "4": translation.pgettext("bank account type", "Savings")}
    number = account.get("account_number") or ""
    if masked and number:
        number = "*" * max(len(number) - 4, 0) + number[-4:]
    parts = [account.get("bank_name") or account.get("bank_code") or "",
             account.get("branch_name") or account.get("branch_code") or "",
             kinds.get(account.get("account_type") or "", ""), number, account.get("account_holder") or ""]
    return " ".join(part for part in parts if part)


def to_zengin_kana(value: str) -> str:
    """Write an account holder the way 全銀 files want it: half-width kana, upper case."""
    text = unicodedata.normalize("NFKC", value or "")  # half-width kana → full, full-width ASCII → half
    text = "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in text)  # hiragana → katakana
    out = []
    for char in text:
        if char in _VOICED:
            out.append(_VOICED[char] + "ﾞ")
        elif char in _SEMI_VOICED:
            out.append(_SEMI_VOICED[char] + "ﾟ")
        elif char in _FULL_TO_HALF_KANA:
            out.append(_FULL_TO_HALF_KANA[char])
        elif char == "　":
            out.append(" ")
        else:
            out.append(char.upper())
    half = "".join(_SMALL_TO_LARGE.get(c, c) for c in "".join(out))
    return re.sub(r" +", " ", half).strip()


def is_valid_zengin_name(value: str) -> bool:
    return bool(ZENGIN_ALLOWED.match(value))


# --------------------------------------------------------------------------- bank business days and registry


def is_bank_holiday(day: date) -> bool:
    """Banks do not move money on weekends, public holidays (jpholiday) or 12/31–1/3 (銀行休業日)."""
    import jpholiday

    return (day.weekday() >= 5 or (day.month, day.day) in ((12, 31), (1, 1), (1, 2), (1, 3))
            or jpholiday.is_holiday(day))


def previous_bank_business_day(day: date) -> date:
    """`day` itself when banks are open that day, else the last bank business day before it
    (a payment due on a holiday is made early, never late)."""
    while is_bank_holiday(day):
        day -= timedelta(days=1)
    return day


@dataclass(frozen=True)
class RegistryEntry:
    code: str
    name: str
    kana: str  # half-width, as written in a 全銀 file


@functools.cache
def _zengin_banks():
    import zengin_code  # loads the whole registry (about a second): only when a code is looked up

    return zengin_code.Bank.all


def bank_entry(bank_code: str) -> RegistryEntry | None:
    """The bank with this 4-digit code in the 全銀 registry (zengin-code), or None."""
    bank = _zengin_banks().get(bank_code) if bank_code.isascii() and bank_code.isdigit() else None
    return RegistryEntry(bank.code, bank.name, to_zengin_kana(bank.kana)) if bank else None


def branch_entry(bank_code: str, branch_code: str) -> RegistryEntry | None:
    """The branch `branch_code` of bank `bank_code` in the registry, or None."""
    bank = _zengin_banks().get(bank_code) if bank_code.isascii() and bank_code.isdigit() else None
    branch = bank.branches.get(branch_code) if bank and branch_code.isascii() and branch_code.isdigit() else None
    return RegistryEntry(branch.code, branch.name, to_zengin_kana(branch.kana)) if branch else None


# --------------------------------------------------------------------------- prefectures

PREFECTURES: list[tuple[str, str, str]] = [
    ("01", "北海道", "Hokkaido"), ("02", "青森県", "Aomori"), ("03", "岩手県", "Iwate"), ("04", "宮城県", "Miyagi"),
    ("05", "秋田県", "Akita"), ("06", "山形県", "Yamagata"), ("07", "福島県", "Fukushima"), ("08", "茨城県", "Ibaraki"),
    ("09", "栃木県", "Tochigi"), ("10", "群馬県", "Gunma"), ("11", "埼玉県", "Saitama"), ("12", "千葉県", "Chiba"),
    ("13", "東京都", "Tokyo"), ("14", "神奈川県", "Kanagawa"), ("15", "新潟県", "Niigata"), ("16", "富山県", "Toyama"),
    ("17", "石川県", "Ishikawa"), ("18", "福井県", "Fukui"), ("19", "山梨県", "Yamanashi"), ("20", "長野県", "Nagano"),
    ("21", "岐阜県", "Gifu"), ("22", "静岡県", "Shizuoka"), ("23", "愛知県", "Aichi"), ("24", "三重県", "Mie"),
    ("25", "滋賀県", "Shiga"), ("26", "京都府", "Kyoto"), ("27", "大阪府", "Osaka"), ("28", "兵庫県", "Hyogo"),
    ("29", "奈良県", "Nara"), ("30", "和歌山県", "Wakayama"), ("31", "鳥取県", "Tottori"), ("32", "島根県", "Shimane"),
    ("33", "岡山県", "Okayama"), ("34", "広島県", "Hiroshima"), ("35", "山口県", "Yamaguchi"), ("36", "徳島県", "Tokushima"),
    ("37", "香川県", "Kagawa"), ("38", "愛媛県", "Ehime"), ("39", "高知県", "Kochi"), ("40", "福岡県", "Fukuoka"),
    ("41", "佐賀県", "Saga"), ("42", "長崎県", "Nagasaki"), ("43", "熊本県", "Kumamoto"), ("44", "大分県", "Oita"),
    ("45", "宮崎県", "Miyazaki"), ("46", "鹿児島県", "Kagoshima"), ("47", "沖縄県", "Okinawa"),
]
PREFECTURE_CODES = [code for code, _, _ in PREFECTURES]
_BY_CODE = {code: (ja, en) for code, ja, en in PREFECTURES}
_BY_NAME = {**{ja: code for code, ja, _ in PREFECTURES}, **{en.lower(): code for code, _, en in PREFECTURES},
            **{ja.rstrip("都府県"): code for code, ja, _ in PREFECTURES if ja != "北海道"}}


def prefecture_name(code: str) -> str:
    ja, en = _BY_CODE.get(code, (code, code))
    return ja if (translation.get_language() or "ja").startswith("ja") else en


_CHOICES = {"ja": [(code, ja) for code, ja, _en in PREFECTURES], "en": [(code, en) for code, _ja, en in PREFECTURES]}


def prefecture_choices() -> list[tuple[str, str]]:
    """(code, name) of every prefecture in the active language (prefecture_name's), a list of the caller's own."""
    return list(_CHOICES["ja" if (translation.get_language() or "ja").startswith("ja") else "en"])


def prefecture_code(value: str) -> str | None:
    """'13', '東京都', '東京', 'Tokyo' → '13'; anything else → None."""
    value = unicodedata.normalize("NFKC", value or "").strip()
    if value.isdigit():
        value = value.zfill(2)
        return value if value in _BY_CODE else None
    return _BY_NAME.get(value) or _BY_NAME.get(value.lower())

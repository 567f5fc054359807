"""Company names: the one normalisation of a company's name, below every app that compares or finds one.

Customer matching (deals.matching: are two records the same customer? spec CUSTOMER_MATCHING.md) and the
console's search (partners.search) both read a name through `normalise_name`, so a name the matcher calls the same
company is also found by the same words. It lives in partners, the floor of the domain apps, because partners
(below deals) keeps a search key of its own names; deals.matching re-exports it as part of the matcher. It
imports nothing of Django, so the matcher still runs without it (customer_groups).

Pure Python, no models, no database.
"""

from __future__ import annotations

import re
import unicodedata

# --------------------------------------------------------------------------- text

# Unicode's Default_Ignorable_Code_Point property (DerivedCoreProperties.txt, the same since
# Unicode 14): characters that render as nothing. Python's unicodedata has no property
# API, so the ranges are written out here.
DEFAULT_IGNORABLE_RANGES: tuple[tuple[int, int], ...] = (
    (0x00AD, 0x00AD),  # SOFT HYPHEN
    (0x034F, 0x034F),  # COMBINING GRAPHEME JOINER
    (0x061C, 0x061C),  # ARABIC LETTER MARK
    (0x115F, 0x1160),  # HANGUL CHOSEONG FILLER..HANGUL JUNGSEONG FILLER
    (0x17B4, 0x17B5),  # KHMER VOWEL INHERENT AQ..AA
    (0x180B, 0x180F),  # MONGOLIAN FREE VARIATION SELECTORS ONE..FOUR, VOWEL SEPARATOR
    (0x200B, 0x200F),  # ZERO WIDTH SPACE, ZWNJ, ZWJ, LEFT-TO-RIGHT MARK, RIGHT-TO-LEFT MARK
    (0x202A, 0x202E),  # LEFT-TO-RIGHT EMBEDDING..RIGHT-TO-LEFT OVERRIDE
    (0x2060, 0x206F),  # WORD JOINER..INVISIBLE PLUS, <reserved-2065>, ISOLATES, NOMINAL DIGIT SHAPES
    (0x3164, 0x3164),  # HANGUL FILLER
    (0xFE00, 0xFE0F),  # VARIATION SELECTOR-1..16
    (0xFEFF, 0xFEFF),  # ZERO WIDTH NO-BREAK SPACE (byte order mark)
    (0xFFA0, 0xFFA0),  # HALFWIDTH HANGUL FILLER
    (0xFFF0, 0xFFF8),  # <reserved-FFF0>..<reserved-FFF8>
    (0x1BCA0, 0x1BCA3),  # SHORTHAND FORMAT LETTER OVERLAP..UP STEP
    (0x1D173, 0x1D17A),  # MUSICAL SYMBOL BEGIN BEAM..END PHRASE
    (0xE0000, 0xE0FFF),  # LANGUAGE TAG, TAG SPACE..CANCEL TAG, VARIATION SELECTOR-17..256, reserved
)
_DEFAULT_IGNORABLE = re.compile(
    "[" + "".join(f"{re.escape(chr(start))}-{re.escape(chr(end))}" for start, end in DEFAULT_IGNORABLE_RANGES) + "]"
)
# The spacing (voiced) sound marks ゛ ゜ typed after kana mean the combining ones: か゛ = が.
_SPACING_SOUND_MARKS = str.maketrans({"\u309b": "\u3099", "\u309c": "\u309a"})


def is_default_ignorable(char: str) -> bool:
    return bool(_DEFAULT_IGNORABLE.fullmatch(char))


def clean_text(value: str) -> str:
    """The one normalisation in front of every key: invisible characters dropped, then NFKC,
    which composes combining marks as NFC does (か + U+3099 → が, ｶﾞ → ガ) and unifies widths.

    Ignorables go before composition, so that one between a letter and its mark cannot keep
    them apart. NFKC maps no other character onto an ignorable one (a test checks every code
    point), so one pass is enough; ASCII has none at all.
    """
    text = value or ""
    if not text.isascii():
        text = _DEFAULT_IGNORABLE.sub("", text).translate(_SPACING_SOUND_MARKS)
    return unicodedata.normalize("NFKC", text)


# --------------------------------------------------------------------------- names

# Japanese (and a few Chinese/Korean) legal forms, removed wherever they stand (前株・後株).
# Longer forms come first so that 一般社団法人 is not read as 一般 + 社団法人.
_LEGAL_FORMS_CJK = sorted(
    {
        "株式会社", "株式會社", "有限会社", "有限會社", "合同会社", "合同會社", "合資会社", "合名会社", "相互会社",
        "一般社団法人", "一般財団法人", "公益社団法人", "公益財団法人", "社団法人", "財団法人",
        "特定非営利活動法人", "npo法人", "医療法人社団", "医療法人財団", "社会医療法人", "医療法人",
        "学校法人", "社会福祉法人", "宗教法人", "独立行政法人", "地方独立行政法人", "国立研究開発法人",
        "国立大学法人", "公立大学法人", "大学共同利用機関法人", "有限責任事業組合",
        "弁護士法人", "税理士法人", "司法書士法人", "行政書士法人", "社会保険労務士法人", "特許業務法人",
        "股份有限公司", "有限公司", "주식회사", "유한회사",
    },
    key=len,
    reverse=True,
)
# Abbreviations in brackets: (株) (有) (同) (一社) (公財) (特非) … ㈱ ㈲ ㈳ ㈶ become these under NFKC.
_LEGAL_ABBREVIATIONS = ("株", "有", "同", "資", "名", "社", "財", "一社", "一財", "公社", "公財", "特非", "特",
                        "npo", "医", "医社", "医財", "学", "福", "宗", "独", "監", "協", "企", "組", "주")
_CJK_FORMS = re.compile(
    "|".join(r"\s*".join(map(re.escape, form)) for form in _LEGAL_FORMS_CJK)
    + r"|\(\s*(?:" + "|".join(map(re.escape, _LEGAL_ABBREVIATIONS)) + r")\s*\)"
)

# Latin legal forms are removed only as whole words: never the "inc" of "Inkwell".
_LATIN = r"0-9a-z\u00c0-\u024f"
_WORD_START = rf"(?<![{_LATIN}])"
_WORD_END = rf"(?![{_LATIN}])"
# Unambiguous forms, removed anywhere in the name ("K.K. Example", "Example Co., Ltd. Japan").
_LATIN_FORMS_ANYWHERE = re.compile(
    _WORD_START
    + "(?:"
    + "|".join((
        r"company\s+limited",
        r"co(?:mpany)?\s*[.,]?\s*,?\s*(?:ltd|limited)\.?",
        r"(?:pte|pty|pvt|private)\s*\.?\s*(?:ltd|limited)\.?",
        r"sdn\.?\s*bhd\.?",
        r"incorporated", r"inc\.?",
        r"corporation", r"corp\.?",
        r"limited", r"ltd\.?",
        r"l\.\s*l\.\s*[cp]\.?", r"ll[cp]",
        r"p\.\s*l\.\s*c\.?", r"plc",
        r"gmbh(?:\s*&\s*co\.?\s*kg)?",
        r"[kgy]\.\s*k\.?",
        r"kabushiki\s*[gk]aisha", r"g[oō]d[oō]\s*[gk]aisha", r"y[uū]gen\s*[gk]aisha",
    ))
    + ")"
    + _WORD_END
)
# Short forms that are also ordinary words or initials ("GK Design", "AB Networks", "SA Trading"):
# removed only at the end of a name, and never when nothing would be left of it.
_LATIN_FORMS_TRAILING = re.compile(
    _WORD_START
    + "(?:"
    + "|".join((
        r"kk", r"gk", r"yk", r"co\.?", r"company",
        r"ag", r"se", r"kg", r"sa", r"s\.\s*a\.?", r"sas", r"s\.\s*a\.\s*s\.?", r"sarl", r"srl", r"s\.\s*r\.\s*l\.?",
        r"spa", r"s\.\s*p\.\s*a\.?", r"nv", r"n\.\s*v\.?", r"bv", r"b\.\s*v\.?", r"ab", r"oy", r"oyj", r"as",
        r"a/s", r"asa", r"lp", r"l\.\s*p\.?", r"pte", r"pty", r"bhd",
    ))
    + ")"
    + rf"{_WORD_END}[\s.,]*$"
)

# Dashes and long-vowel marks people type for one another (after NFKC: ｰ → ー, － → -).
_DASHES = frozenset("-‐‑‒–—―−ーｰ－─━﹣⁃")
_LONG_VOWEL = "ー"
# One character written several ways (異体字 and small kana used as ケ/カ in place names).
_CHARACTER_VARIANTS = str.maketrans({
    "ヶ": "ケ", "ヵ": "カ", "ゖ": "け", "ゕ": "か",
    "髙": "高", "﨑": "崎", "嵜": "崎", "德": "徳", "邊": "辺", "邉": "辺", "濱": "浜", "濵": "浜", "澤": "沢",
    "櫻": "桜", "國": "国", "會": "会", "廣": "広", "榮": "栄", "齋": "斎", "𠮷": "吉", "槇": "槙", "桒": "桑",
})


def _is_kana(char: str) -> bool:
    return "\u3041" <= char <= "\u30ff"


def normalise_name(name: str) -> str:
    """The name key: equal keys mean the same company name.

    `clean_text` (invisible characters dropped, marks composed, NFKC: full/half width,
    ㈱ → (株)), case-folded, legal forms removed, variants of one character unified, then
    everything but letters and digits dropped. A dash or long-vowel
    mark straight after kana is the long-vowel mark ー (サイバ-エージェント = サイバーエージェント,
    and so also ゼロ-ワン = ゼローワン); anywhere else it is punctuation (Sony-Ericsson = Sony
    Ericsson, サクラ - 東京 = サクラ東京). A name that is nothing but a legal form gives "",
    which never matches anything.
    """
    text = clean_text(name).casefold().translate(_CHARACTER_VARIANTS)
    text = _CJK_FORMS.sub(" ", text)
    text = _LATIN_FORMS_ANYWHERE.sub(" ", text)
    while (trailing := _LATIN_FORMS_TRAILING.search(text)) and any(c.isalnum() for c in text[: trailing.start()]):
        text = text[: trailing.start()]
    kept: list[str] = []
    previous = ""
    for char in text:
        if char in _DASHES:
            if _is_kana(previous) and kept[-1:] != [_LONG_VOWEL]:
                kept.append(_LONG_VOWEL)
        elif unicodedata.category(char)[0] in "LNM":
            kept.append(char)
        previous = char
    return "".join(kept)

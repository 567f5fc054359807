"""The columns of the two files (partners, contacts): their keys, headers in English and Japanese, examples."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy

from partners import japan
from partners.models import ImportBatch

PARTNERS, CONTACTS = ImportBatch.Kind.PARTNERS.value, ImportBatch.Kind.CONTACTS.value
CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"


# The fields services.clean_identifiers checks together: one missing makes the account incomplete.
BANK_KEYS = ("bank_code", "branch_code", "account_type", "account_number", "account_holder")
IDENTIFIER_KEYS = ("corporate_number", "invoice_number", *BANK_KEYS, "prefectures")


def _example_number(base: str) -> str:
    return f"{japan.corporate_number_check_digit(base)}{base}"


_EXAMPLE_NUMBER = _example_number("234567890123")
_EXAMPLE_PARENT = _example_number("345678901234")


@dataclass(frozen=True)
class Column:
    key: str
    aliases: tuple[str, ...]
    help: Any
    example: str = ""
    required: bool = False


PARTNER_COLUMNS: tuple[Column, ...] = (
    Column("name", ("会社名", "企業名"), gettext_lazy("Company name. Finds the partner to update when there is no corporate number."),
           "株式会社サンプル", required=True),
    Column("name_kana", ("会社名カナ", "会社名(カナ)", "フリガナ"), gettext_lazy("Company name in kana, used for sorting."), "サンプル"),
    Column("partner_type", ("種別", "パートナー種別"), gettext_lazy("Code, or the Japanese or English label."), "resale",
           required=True),
    Column("stage", ("ステージ",), gettext_lazy("Code or label; empty keeps the stage (new partners: prospect)."), "prospect"),
    Column("parent_corporate_number", ("親パートナー法人番号", "親会社法人番号"),
           gettext_lazy("The upstream distributor's corporate number (or exact name)."), _EXAMPLE_PARENT),
    Column("owner_email", ("担当者メールアドレス", "担当者メール", "担当者"),
           gettext_lazy("E-mail address of the vendor admin or channel manager who owns the partner."), "tanaka@vendor.example"),
    Column("prefectures", ("都道府県", "担当地域", "テリトリー"),
           gettext_lazy("Prefecture codes or names separated by | or 、."), "東京都|神奈川県"),
    Column("industries", ("業種",), gettext_lazy("Industry codes separated by |."), "it|sier"),
    Column("corporate_number", ("法人番号",), gettext_lazy("13 digits with a valid check digit."), _EXAMPLE_NUMBER),
    Column("invoice_number", ("登録番号", "インボイス登録番号", "適格請求書発行事業者登録番号"),
           gettext_lazy("T followed by 13 digits."), f"T{_EXAMPLE_NUMBER}"),
    Column("website", ("ウェブサイト", "ホームページ", "url"), "", "https://example.co.jp"),
    Column("phone", ("電話番号", "電話"), "", "03-1234-5678"),
    Column("postal_code", ("郵便番号",), "", "100-0001"),
    Column("address", ("住所", "所在地"), "", "東京都千代田区千代田1-1"),
    Column("bank_code", ("銀行コード", "金融機関コード"), gettext_lazy("4 digits."), "0001"),
    Column("bank_name", ("銀行名", "金融機関名"), "", "みずほ銀行"),
    Column("branch_code", ("支店コード",), gettext_lazy("3 digits."), "001"),
    Column("branch_name", ("支店名",), "", "東京営業部"),
    Column("account_type", ("口座種別", "預金種目"), gettext_lazy("1 or 普通, 2 or 当座, 4 or 貯蓄."), "普通"),
    Column("account_number", ("口座番号",), gettext_lazy("Up to 7 digits."), "1234567"),
    Column("account_holder", ("口座名義", "口座名義(カナ)", "口座名義カナ"), gettext_lazy("Katakana as on the passbook."),
           "ｶ)ｻﾝﾌﾟﾙ"),
    Column("co_selling_model", ("協業モデル",), gettext_lazy("Code or label."), "door_opener"),
)


CONTACT_COLUMNS: tuple[Column, ...] = (
    Column("partner_corporate_number", ("パートナー法人番号", "法人番号"),
           gettext_lazy("The partner's corporate number; or leave empty and give the partner's name."), _EXAMPLE_NUMBER),
    Column("partner_name", ("パートナー名", "会社名"), gettext_lazy("The partner's exact name."), "株式会社サンプル"),
    Column("full_name", ("氏名", "名前"), "", "山田 太郎", required=True),
    Column("full_name_kana", ("氏名カナ", "氏名(カナ)", "フリガナ"), "", "ヤマダ タロウ"),
    Column("email", ("メールアドレス", "メール"), gettext_lazy("Finds the contact to update within the partner."),
           "yamada@sample.example"),
    Column("phone", ("電話番号", "電話"), "", "03-1234-5678"),
    Column("department", ("部署", "部署名"), "", "営業部"),
    Column("title", ("役職",), "", "部長"),
    Column("role", ("役割",), gettext_lazy("Code or label; empty keeps the role (new contacts: rep)."), "sales_manager"),
    Column("is_key_person", ("キーパーソン",), gettext_lazy("1/0, true/false or はい/いいえ."), "1"),
)


COLUMNS = {PARTNERS: PARTNER_COLUMNS, CONTACTS: CONTACT_COLUMNS}


# Contacts need one of the two partner columns; the header check names both.
CONTACT_PARTNER_KEYS = ("partner_corporate_number", "partner_name")

import pytest

from partners import japan


@pytest.mark.parametrize("number", ["7000012050002", "4000012050005"])
def test_it_accepts_corporate_numbers_with_a_valid_check_digit(number):
    assert japan.is_valid_corporate_number(number)


@pytest.mark.parametrize("number", ["7000012050003", "700001205000", "70000120500021", "A000012050002", ""])
def test_it_refuses_corporate_numbers_with_a_wrong_check_digit_or_length(number):
    assert not japan.is_valid_corporate_number(number)


def test_it_normalises_what_people_type():
    assert japan.normalise_corporate_number("７０００ー０１２０５ー０００２") == "7000012050002"
    assert japan.normalise_invoice_number("ｔ7000-0120-50002") == "T7000012050002"
    assert japan.is_valid_invoice_number("T7000012050002")
    assert not japan.is_valid_invoice_number("7000012050002")
    assert not japan.is_valid_invoice_number("T7000012050003")


def test_it_writes_account_holders_the_zengin_way():
    assert japan.to_zengin_kana("カ）サクラシステムズ") == "ｶ)ｻｸﾗｼｽﾃﾑｽﾞ"
    assert japan.to_zengin_kana("かぶしきがいしゃ　ぱーとなー") == "ｶﾌﾞｼｷｶﾞｲｼﾔ ﾊﾟ-ﾄﾅ-"
    assert japan.to_zengin_kana("ｷｮｳｿｳ abc") == "ｷﾖｳｿｳ ABC"
    assert japan.is_valid_zengin_name("ｶ)ｻｸﾗｼｽﾃﾑｽﾞ")
    assert not japan.is_valid_zengin_name("漢字")


def test_it_reads_prefectures_by_code_or_name():
    assert [japan.prefecture_code(v) for v in ("13", "1", "東京都", "東京", "Tokyo", "osaka", "北海道")] == [
        "13", "01", "13", "13", "13", "27", "01"]
    assert japan.prefecture_code("東京府") is None
    assert len(japan.PREFECTURE_CODES) == 47

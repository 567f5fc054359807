from __future__ import annotations

import io
import json
import os
import random
import subprocess
import sys
from itertools import combinations
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import translation
from django.utils.translation import gettext

from deals import matching
from deals.matching import CustomerKeys, customer_keys, group_records, normalise_name, registrable_domain, same_customer
from deals.matching_eval import LABELLED, evaluate
from partners.japan import corporate_number_check_digit

ROOT = Path(__file__).resolve().parents[2]
HEADER = "id,name,corporate_number,email_or_domain"


def number(base: int) -> str:
    """A valid 法人番号 made from any 12 digits."""
    digits = f"{base:012d}"
    return f"{corporate_number_check_digit(digits)}{digits}"


def broken(valid: str) -> str:
    """The same number with a wrong check digit."""
    return f"{(int(valid[0]) % 9) + 1}{valid[1:]}"


def keys(name: str = "", corporate_number: str = "", email_or_domain: str = "") -> CustomerKeys:
    return customer_keys(name, corporate_number, email_or_domain)


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize("variant", [
    "株式会社サクラシステムズ", "サクラシステムズ株式会社", "(株)サクラシステムズ", "（株）サクラシステムズ", "㈱サクラシステムズ",
    "サクラシステムズ㈱", "( 株 )サクラシステムズ", "株式会社 サクラ システムズ", "ｻｸﾗｼｽﾃﾑｽﾞ", "サクラ・システムズ",
    "有限会社サクラシステムズ", "(有)サクラシステムズ", "合同会社サクラシステムズ", "一般社団法人サクラシステムズ",
    "特定非営利活動法人サクラシステムズ", "NPO法人サクラシステムズ", "医療法人社団サクラシステムズ", "株式會社サクラシステムズ",
])
def test_it_ignores_japanese_legal_forms_width_spacing_and_punctuation(variant):
    assert normalise_name(variant) == "サクラシステムズ"


@pytest.mark.parametrize("variant", [
    "Sakura Systems", "SAKURA SYSTEMS", "Sakura Systems Inc.", "Sakura Systems Inc", "Sakura Systems, Inc.",
    "Sakura Systems Incorporated", "Sakura Systems Co., Ltd.", "Sakura Systems Co.,Ltd.", "Sakura Systems Co. Ltd",
    "Sakura Systems Company Limited", "Sakura Systems Limited", "Sakura Systems Ltd", "Sakura Systems Corp.",
    "Sakura Systems Corporation", "Sakura Systems LLC", "Sakura Systems L.L.C.", "Sakura Systems LLP",
    "Sakura Systems K.K.", "Sakura Systems KK", "Sakura Systems G.K.", "Sakura Systems GK", "Sakura Systems PLC",
    "Sakura Systems GmbH", "Sakura Systems S.A.", "Sakura Systems Pte. Ltd.", "Sakura Systems Co.",
    "Kabushiki Kaisha Sakura Systems", "K.K. Sakura Systems", "Ｓａｋｕｒａ　Ｓｙｓｔｅｍｓ　Ｉｎｃ．", "sakura-systems",
])
def test_it_ignores_english_legal_forms_case_and_width(variant):
    assert normalise_name(variant) == "sakurasystems"


@pytest.mark.parametrize("variant", ["データーリンク", "データ－リンク", "データ-リンク", "データ‐リンク", "データ−リンク",
                                     "ﾃﾞｰﾀｰﾘﾝｸ", "データ—リンク", "データーリンク株式会社"])
def test_it_treats_the_long_vowel_mark_and_dashes_after_kana_alike(variant):
    assert normalise_name(variant) == "データーリンク"


def test_it_reads_other_dashes_as_punctuation():
    assert normalise_name("Sony-Ericsson") == normalise_name("Sony Ericsson") == "sonyericsson"
    assert normalise_name("DATA-LINK Inc.") == "datalink"
    assert normalise_name("サクラ - 東京") == normalise_name("サクラ東京") == "サクラ東京"
    assert normalise_name("東京-システム") == "東京システム"


@pytest.mark.parametrize(("a", "b"), [("髙島屋", "高島屋"), ("霞ヶ関キャピタル", "霞ケ関キャピタル"), ("澤田精機", "沢田精機"),
                                      ("山﨑製パン", "山崎製パン")])
def test_it_unifies_the_variants_of_one_character(a, b):
    assert normalise_name(a) == normalise_name(b)


@pytest.mark.parametrize(("a", "b"), [
    ("株式会社サイバー", "株式会社サイバーエージェント"),
    ("東京ガス株式会社", "東京ガスエンジニアリングソリューションズ株式会社"),
    ("サクラシステム", "サクラシステムズ"),
    ("みなとホールディングス株式会社", "株式会社みなと"),
    ("データリンク", "データーリンク"),
    ("Inkwell Inc.", "Inkwell Design Inc."),
])
def test_it_keeps_names_that_differ_in_anything_else_apart(a, b):
    assert normalise_name(a) != normalise_name(b)
    assert not same_customer(keys(a), keys(b))


def test_it_removes_latin_legal_forms_only_as_whole_words():
    assert normalise_name("Inkwell Inc.") == "inkwell"
    assert normalise_name("Incline Corp.") == "incline"
    assert normalise_name("Corpus Ltd") == "corpus"
    assert normalise_name("Disco Ltd.") == "disco"
    assert normalise_name("Llama Works LLC") == "llamaworks"


def test_it_removes_short_forms_that_are_also_words_only_at_the_end():
    # "GK Design" is a design firm's name, "Design GK" a 合同会社 called Design.
    assert normalise_name("GK Design") == "gkdesign"
    assert normalise_name("GK Design KK") == "gkdesign"
    assert normalise_name("Design GK") == "design"
    assert normalise_name("AB Networks AB") == "abnetworks"
    assert normalise_name("KK") == "kk"  # never strips a name down to nothing


@pytest.mark.parametrize("name", ["株式会社", "(株)", "㈱", "Inc.", "Co., Ltd.", "合同会社", "  ", ""])
def test_it_gives_an_empty_key_for_a_name_that_is_only_a_legal_form(name):
    assert normalise_name(name) == ""


def test_it_never_matches_on_an_empty_name_key():
    assert not same_customer(keys("株式会社"), keys("Inc."))
    assert not same_customer(keys("株式会社"), keys("株式会社"))
    assert group_records([("1", keys("株式会社")), ("2", keys("(株)")), ("3", keys(""))]) == []


# --------------------------------------------------------------------------- domains


@pytest.mark.parametrize(("value", "domain"), [
    ("example.co.jp", "example.co.jp"),
    ("www.example.co.jp", "example.co.jp"),
    ("sales.example.co.jp", "example.co.jp"),
    ("https://www.sales.example.co.jp/company/?a=1#top", "example.co.jp"),
    ("http://EXAMPLE.CO.JP:8080", "example.co.jp"),
    ("taro.yamada@tokyo.example.co.jp", "example.co.jp"),
    ("mailto:info@example.co.jp", "example.co.jp"),
    ("山田 太郎 <t.yamada@example.co.jp>", "example.co.jp"),
    ("山田 t.yamada@example.co.jp", "example.co.jp"),
    ("t.yamada@example.co.jp, h.sato@other.co.jp", "example.co.jp"),
    ("//www.example.co.jp/", "example.co.jp"),
    ("ｗｗｗ．ｅｘａｍｐｌｅ．ｃｏ．ｊｐ", "example.co.jp"),
    ("example.co.jp.", "example.co.jp"),
    ("www.u-tokyo.ac.jp", "u-tokyo.ac.jp"),
    ("mail.example.or.jp", "example.or.jp"),
    ("www.example.ne.jp", "example.ne.jp"),
    ("www.example.go.jp", "example.go.jp"),
    ("www.example.lg.jp", "example.lg.jp"),
    ("shop.example.tokyo.jp", "example.tokyo.jp"),
    ("www.city.fuchu.tokyo.jp", "city.fuchu.tokyo.jp"),
    ("www.city.kawasaki.jp", "city.kawasaki.jp"),
    ("www.example.jp", "example.jp"),
    ("www.example.com", "example.com"),
    ("j.smith@sales.acme.co.uk", "acme.co.uk"),
    ("www.acme.com.au", "acme.com.au"),
    ("www.acme.com.cn", "acme.com.cn"),
    ("abc.sakura.ne.jp", "abc.sakura.ne.jp"),
    ("https://kodama.jimdofree.com/", "kodama.jimdofree.com"),
    ("例え.jp", "xn--r8jz45g.jp"),
])
def test_it_finds_the_registrable_domain(value, domain):
    assert registrable_domain(value) == domain


@pytest.mark.parametrize("value", ["", "co.jp", "jp", "localhost", "192.168.0.1", "http://[::1]/", "not a domain",
                                   "taro@", "exa_mple.com", "sakura.ne.jp"])
def test_it_refuses_what_is_not_a_company_domain(value):
    assert registrable_domain(value) is None


@pytest.mark.parametrize("value", [
    "taro@gmail.com", "taro@googlemail.com", "taro@yahoo.co.jp", "taro@yahoo.com", "taro@ymail.ne.jp",
    "taro@outlook.com", "taro@outlook.jp", "taro@hotmail.com", "taro@hotmail.co.jp", "taro@live.jp",
    "taro@icloud.com", "taro@me.com", "taro@mac.com", "taro@aol.com", "taro@docomo.ne.jp", "taro@ezweb.ne.jp",
    "taro@au.com", "taro@softbank.ne.jp", "taro@i.softbank.jp", "taro@nifty.com", "taro@biglobe.ne.jp",
    "taro@abc.biglobe.ne.jp", "taro@so-net.ne.jp", "taro@ocn.ne.jp", "taro@xyz.ocn.ne.jp", "taro@sea.plala.or.jp",
    "taro@excite.co.jp", "taro@goo.jp", "taro@mail.goo.ne.jp", "taro@zoho.com", "taro@protonmail.com",
    "taro@proton.me", "taro@gmx.com", "taro@qq.com", "taro@163.com", "taro@naver.com", "www.gmail.com",
    "https://www.facebook.com/acme", "https://ameblo.jp/acme/",
])
def test_it_never_matches_free_mail_isp_or_platform_domains(value):
    assert registrable_domain(value) is None
    assert not same_customer(keys("株式会社ひかり工務店", "", value), keys("株式会社みどり設計", "", value))


def test_it_matches_a_company_domain_in_any_form():
    assert same_customer(keys("ミライ物流", "", "https://www.mirai-logi.co.jp/"),
                         keys("Mirai Logistics", "", "k.suzuki@osaka.mirai-logi.co.jp"))
    assert not same_customer(keys("Acme Widgets", "", "acme-widgets.co.uk"), keys("Acme Japan", "", "acme-widgets.co.jp"))


# --------------------------------------------------------------------------- the rule


def test_it_matches_english_and_japanese_names_only_through_number_or_domain():
    assert not same_customer(keys("ソニー株式会社"), keys("Sony Corporation"))
    assert same_customer(keys("ソニー株式会社", number(10401067252)), keys("Sony Corporation", number(10401067252)))
    assert same_customer(keys("ソニー株式会社", "", "www.sony.co.jp"), keys("Sony Corporation", "", "t.sato@jp.sony.co.jp"))


def test_it_never_matches_two_different_valid_corporate_numbers():
    osaka, niigata = number(120001000001), number(110001000002)
    a = keys("株式会社山田製作所", osaka, "www.yamada.co.jp")
    b = keys("株式会社山田製作所", niigata, "info@yamada.co.jp")
    assert not same_customer(a, b)
    assert group_records([("1", a), ("2", b)]) == []


def test_it_matches_one_corporate_number_whatever_the_names_and_domains():
    renamed = number(12001000003)
    assert same_customer(keys("株式会社はやぶさ通信", renamed, "hayabusa.jp"),
                         keys("株式会社ファルコム", f" {renamed[:4]}-{renamed[4:]} ", "falcomm.co.jp"))


def test_it_keeps_only_valid_corporate_numbers_as_keys():
    valid = number(10401000004)
    assert keys("A", valid).corporate_number == valid
    assert keys("A", valid.translate(str.maketrans("0123456789", "０１２３４５６７８９"))).corporate_number == valid
    assert keys("A", broken(valid)).corporate_number is None
    assert keys("A", "123").corporate_number is None
    # A mistyped number does not decide: the names still match.
    assert same_customer(keys("サクラ", broken(valid)), keys("(株)サクラ", number(10401000005)))


def test_it_uses_the_number_alone_when_one_side_has_none():
    assert same_customer(keys("株式会社サクラ", number(10401000006)), keys("サクラ"))
    assert same_customer(keys("Sakura", number(10401000006), "sakura.co.jp"), keys("さくら", "", "www.sakura.co.jp"))


# --------------------------------------------------------------------------- groups


def test_it_groups_the_transitive_closure_and_leaves_single_records_out():
    records = [
        ("1", keys("株式会社サクラ", "", "sakura.co.jp")),
        ("2", keys("Sakura Inc.", "", "sales@sakura.co.jp")),  # 1 by domain
        ("3", keys("Sakura", "", "")),  # 2 by name
        ("4", keys("株式会社サイバー", "", "")),
        ("5", keys("株式会社サイバーエージェント", "", "")),
    ]
    assert group_records(records) == [["1", "2", "3"]]


def test_it_joins_different_corporate_numbers_through_a_record_without_one():
    """The spec's closure: A~B and B~C make one group even though A and C alone never match."""
    a = ("a", keys("株式会社山田製作所", number(120001000001)))
    b = ("b", keys("山田製作所", "", "yamada.co.jp"))
    c = ("c", keys("Yamada Seisakusho", number(110001000002), "www.yamada.co.jp"))
    assert not same_customer(a[1], c[1])
    assert group_records([a, b, c]) == [["a", "b", "c"]]
    assert group_records([a, c]) == []


def test_it_sorts_ids_and_groups_as_plain_strings():
    records = [(record_id, keys("サクラ" if record_id in {"9", "10", "b"} else "サイバー")) for record_id in ["9", "10", "b", "2", "a1"]]
    assert group_records(records) == [["10", "9", "b"], ["2", "a1"]]


def test_it_refuses_duplicate_ids():
    with pytest.raises(ValueError):
        group_records([("1", keys("サクラ")), ("1", keys("サクラ"))])


def _closure_of_all_pairs(records: list[tuple[str, CustomerKeys]]) -> list[list[str]]:
    """The definition, slowly: every pair judged by same_customer, then connected components."""
    neighbours: dict[str, set[str]] = {record_id: set() for record_id, _ in records}
    for (id_a, a), (id_b, b) in combinations(records, 2):
        if same_customer(a, b):
            neighbours[id_a].add(id_b)
            neighbours[id_b].add(id_a)
    seen: set[str] = set()
    groups = []
    for start in neighbours:
        if start in seen:
            continue
        component, stack = set(), [start]
        while stack:
            current = stack.pop()
            if current not in component:
                component.add(current)
                stack.extend(neighbours[current] - component)
        seen |= component
        if len(component) > 1:
            groups.append(sorted(component))
    return sorted(groups)


@pytest.mark.parametrize("seed", range(5))
def test_it_groups_exactly_as_comparing_all_pairs_would(seed):
    rng = random.Random(seed)
    records = [
        (str(index), CustomerKeys(
            name_key=rng.choice(["", "a", "b", "c", "d", "e", "f", "g", "h"]),
            corporate_number=rng.choice([None, None, number(1), number(2), number(3), number(4)]),
            domain=rng.choice([None, None, "a.co.jp", "b.co.jp", "c.co.jp", "d.co.jp"]),
        ))
        for index in range(150)
    ]
    assert group_records(records) == _closure_of_all_pairs(records)


def test_it_is_good_enough_on_the_labelled_set():
    result = evaluate()
    assert result.records >= 220
    assert result.precision >= 0.98, result.false_pairs
    assert result.recall >= 0.98, result.missed_pairs


def test_the_labelled_set_has_only_valid_corporate_numbers():
    import csv

    with LABELLED.open(encoding="utf-8") as file:
        numbers = [row["corporate_number"] for row in csv.DictReader(file) if row["corporate_number"]]
    assert numbers and all(matching.clean_corporate_number(value) for value in numbers)


# --------------------------------------------------------------------------- the command


def run_command(path: Path, language: str = "en") -> tuple[int, str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    with translation.override(language):
        try:
            call_command("customer_groups", str(path), stdout=stdout, stderr=stderr)
        except SystemExit as exit_:
            return int(exit_.code), stdout.getvalue(), stderr.getvalue()
    return 0, stdout.getvalue(), stderr.getvalue()


def duplicate_id_message(path: Path, line: int, record_id: str) -> str:
    problem = gettext("the id %(id)s appears twice") % {"id": record_id}
    return gettext("%(file)s, line %(line)s: %(problem)s") % {"file": path, "line": line, "problem": problem}


def write_csv(tmp_path: Path, *lines: str, encoding: str = "utf-8-sig") -> Path:
    path = tmp_path / "customers.csv"
    path.write_bytes("\r\n".join([HEADER, *lines, ""]).encode(encoding))
    return path


def test_it_prints_the_groups_as_json(tmp_path):
    path = write_csv(
        tmp_path,
        f"10,株式会社サクラシステムズ,{number(10401000007)},https://www.sakura-systems.co.jp/",
        '2,"Sakura Systems Co.,Ltd.",,info@sakura-systems.co.jp',
        "3,㈱サクラシステムズ,,",
        f"4,ソニー株式会社,{number(10401000008)},",
        f"5,Sony Corporation,{number(10401000008)},",
        "6,ひかり工務店,,hikari@gmail.com",
        "7,みどり設計,,midori@gmail.com",
        "8,株式会社サイバー,,",
        "",
    )
    assert run_command(path) == (0, json.dumps([["10", "2", "3"], ["4", "5"]], ensure_ascii=False) + "\n", "")


def test_it_reads_shift_jis_files(tmp_path):
    path = write_csv(tmp_path, "1,株式会社サクラ,,", "2,（株）サクラ,,", encoding="cp932")
    code, stdout, _stderr = run_command(path)
    assert (code, json.loads(stdout)) == (0, [["1", "2"]])


def test_it_reports_malformed_rows_with_their_line_numbers(tmp_path):
    valid = number(10401000009)
    path = write_csv(
        tmp_path,
        "1,株式会社サクラ,,",
        "1,株式会社サクラ,,",
        ",株式会社サクラ,,",
        f"4,株式会社サクラ,{broken(valid)},",
        "5,株式会社サクラ",
        "6,,,sakura.co.jp",
        f"7,株式会社サクラ,{valid},sakura.co.jp,extra",
    )
    code, stdout, stderr = run_command(path)
    assert (code, stdout) == (2, "")
    reported = [line.split(": ", 1)[0].rsplit(" ", 1)[-1] for line in stderr.splitlines()]
    assert reported == ["3", "4", "5", "6", "7", "8"]
    assert broken(valid) in stderr


def test_it_reports_in_the_operators_language(tmp_path):
    path = write_csv(tmp_path, "1,株式会社サクラ,,", "1,サクラ株式会社,,")
    code, _stdout, stderr = run_command(path, language="ja")
    with translation.override("ja"):
        assert (code, stderr) == (2, duplicate_id_message(path, 3, "1") + "\n")


def test_it_refuses_a_wrong_header(tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text("id,company,corporate_number,email\n1,サクラ,,\n", encoding="utf-8")
    code, stdout, stderr = run_command(path)
    assert (code, stdout) == (2, "")
    assert "line 1" in stderr and HEADER in stderr


def test_it_refuses_a_missing_or_unreadable_file(tmp_path):
    code, stdout, stderr = run_command(tmp_path / "missing.csv")
    assert (code, stdout) == (2, "")
    (tmp_path / "binary.csv").write_bytes(b"\xff\xfe\x00\x81\x00")
    code, stdout, stderr = run_command(tmp_path / "binary.csv")
    assert (code, stdout) == (2, "")
    assert stderr


def test_it_needs_no_database(tmp_path):
    """With the database unreachable, the command still answers: it never opens a connection."""
    path = write_csv(tmp_path, "1,株式会社サクラ,,", "2,サクラ株式会社,,", "3,株式会社サイバー,,")
    env = {**os.environ, "DATABASE_URL": "postgresql://x@127.0.0.1:1/none", "DJANGO_SETTINGS_MODULE": "prm.settings.local"}
    result = subprocess.run([sys.executable, "manage.py", "customer_groups", str(path)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert (result.returncode, json.loads(result.stdout)) == (0, [["1", "2"]]), result.stderr
    malformed = write_csv(tmp_path, "1,株式会社サクラ,,", "1,サクラ株式会社,,")
    result = subprocess.run([sys.executable, "manage.py", "customer_groups", str(malformed)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    with translation.override(settings.LANGUAGE_CODE):
        assert (result.returncode, result.stdout, result.stderr) == (2, "", duplicate_id_message(malformed, 3, "1") + "\n")


def test_the_matcher_module_imports_no_django_models():
    code = "import sys, deals.matching; print(any(name.startswith('django.db') for name in sys.modules))"
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "False", result.stderr

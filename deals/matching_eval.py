"""How well `deals.matching` finds customers: pairwise precision and recall on a labelled set.

`matching_data/labelled.csv` has the command's columns plus `group`, the true customer. It
mixes the spec's own examples with hard negatives: prefixes and extensions of one name
(サイバー / サイバーエージェント, 東京ガス / 東京ガスエンジニアリングソリューションズ), one name for
two companies in different prefectures, free-mail and ISP addresses of different companies,
subsidiaries on their parent's domain, English and Japanese names linked only by number or
domain — and one such pair linked by nothing, which the matcher must miss (it does not
translate). Rows r296–r316 hide invisible characters (variation selectors, zero-width and
bidi characters, Hangul fillers, a soft hyphen in a domain, a word joiner in a corporate
number) and uncomposed voiced marks in names of one customer, beside hard negatives that
differ in a visible character as well. Company names are fictional except a few well-known ones; every corporate number
is synthetic (a valid check digit on made-up digits), not the company's real 法人番号.

One real weakness is left out on purpose because the spec decides it: a subsidiary writing
from its parent's domain (k.ueda@parent.co.jp) without a corporate number is, by the domain
rule, the parent — and through the closure it joins the parent's group with the subsidiary's.

A pair is two records in one group; precision is the share of predicted pairs that are true,
recall the share of true pairs that were predicted.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

from deals.matching import CustomerKeys, customer_keys, group_records
from partners.japan import corporate_number_check_digit

LABELLED = Path(__file__).resolve().parent / "matching_data" / "labelled.csv"


@dataclass(frozen=True)
class Evaluation:
    records: int
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int
    false_pairs: list[tuple[str, str]]
    missed_pairs: list[tuple[str, str]]

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0


def pairs(groups: Iterable[Iterable[str]]) -> set[tuple[str, str]]:
    return {pair for members in groups for pair in combinations(sorted(members), 2)}


def load_labelled(path: Path = LABELLED) -> tuple[list[tuple[str, CustomerKeys]], dict[str, str]]:
    """The records with their keys, and each record's true group."""
    records: list[tuple[str, CustomerKeys]] = []
    truth: dict[str, str] = {}
    with path.open(encoding="utf-8-sig", newline="") as file:
        for row in csv.DictReader(file):
            records.append((row["id"], customer_keys(row["name"], row["corporate_number"], row["email_or_domain"])))
            truth[row["id"]] = row["group"]
    return records, truth


def evaluate(path: Path = LABELLED) -> Evaluation:
    records, truth = load_labelled(path)
    by_group: dict[str, list[str]] = {}
    for record_id, group in truth.items():
        by_group.setdefault(group, []).append(record_id)
    expected = pairs(by_group.values())
    predicted = pairs(group_records(records))
    return Evaluation(
        records=len(records),
        true_pairs=len(expected),
        predicted_pairs=len(predicted),
        correct_pairs=len(expected & predicted),
        false_pairs=sorted(predicted - expected),
        missed_pairs=sorted(expected - predicted),
    )


def synthetic_records(count: int, *, seed: int = 1) -> list[tuple[str, CustomerKeys]]:
    """`count` records of about count/3 customers, the keys shared the way real data shares them:
    some records carry a corporate number, some a company domain, most a name variant."""
    rng = random.Random(seed)
    customers = max(1, count // 3)
    records: list[tuple[str, CustomerKeys]] = []
    for index in range(count):
        customer = rng.randrange(customers)
        base = f"{customer:012d}"
        records.append((
            f"s{index:07d}",
            CustomerKeys(
                name_key=f"顧客{customer}" if rng.random() < 0.7 else f"customer{customer}",
                corporate_number=f"{corporate_number_check_digit(base)}{base}" if rng.random() < 0.4 else None,
                domain=f"customer{customer}.co.jp" if rng.random() < 0.5 else None,
            ),
        ))
    return records

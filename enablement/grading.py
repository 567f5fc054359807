"""Quiz drawing and grading, pure: which questions an attempt gets, in which order, and its score."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence


def draw(question_choices: Mapping[int, Sequence[int]], count: int, rng: random.Random) -> tuple[list[int], dict[str, list[int]]]:
    """Pick up to `count` questions from the bank in random order, each with its choices shuffled.

    Returns the question ids and, per question id (as a string, for JSON), the choice order.
    """
    questions = list(question_choices)
    rng.shuffle(questions)
    picked = questions[:count]
    order: dict[str, list[int]] = {}
    for question_id in picked:
        choices = list(question_choices[question_id])
        rng.shuffle(choices)
        order[str(question_id)] = choices
    return picked, order


def grade(correct: Mapping[int, frozenset[int]], answers: Mapping[int, frozenset[int]]) -> int:
    """Percentage of questions answered exactly right, rounded down.

    A multiple-choice question counts only when the chosen set equals the correct set: choosing
    every box never scores.
    """
    if not correct:
        return 0
    right = sum(1 for question_id, expected in correct.items() if answers.get(question_id, frozenset()) == expected)
    return right * 100 // len(correct)

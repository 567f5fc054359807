"""Requests sent at the same instant: each on its own thread (and database connection), released together by a
barrier, so a limit or an idempotency key is tested against real parallel calls."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

from django.db import connections

T = TypeVar("T")
R = TypeVar("R")


def all_at_once(call: Callable[[T], R], arguments: Sequence[T], timeout: float = 60) -> list[R]:
    """`call(argument)` for every argument, all released at once; the answers in the order they came back."""
    answers: list[R] = []
    barrier = threading.Barrier(len(arguments))

    def run(argument: T) -> None:
        barrier.wait()
        try:
            answers.append(call(argument))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(argument,)) for argument in arguments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return answers

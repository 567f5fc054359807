"""The Redis cache builds one client per pool instead of one per call, and stays correct when threads share it."""

from __future__ import annotations

import threading

from django.core.cache import caches


def test_every_cache_call_uses_the_same_client():
    for alias in ("default", "platform"):
        backend = caches[alias]
        backend.set("client-probe", 1)
        assert backend._cache.get_client() is backend._cache.get_client(write=True)


def test_threads_sharing_the_client_each_read_their_own_values():
    backend = caches["default"]
    wrong: list[tuple[int, int, object]] = []

    def work(n: int) -> None:
        for round_ in range(200):
            backend.set(f"thread-{n}", (n, round_))
            seen = backend.get(f"thread-{n}")
            if seen != (n, round_):
                wrong.append((n, round_, seen))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []
    assert backend.get_many([f"thread-{n}" for n in range(8)]) == {f"thread-{n}": (n, 199) for n in range(8)}

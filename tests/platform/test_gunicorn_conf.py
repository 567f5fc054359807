"""prm.gunicorn_conf: a worker runs its request loop inside one large frame, so the frames a request pushes never map
and unmap a chunk of CPython's frame stack (see the module's docstring). The Dockerfile, docker-compose.yml and the
web benchmark start gunicorn with it; test_persistent_connections serves real requests through it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from prm import gunicorn_conf

ROOT = Path(__file__).resolve().parents[2]

# A call that goes about 6,000 stack slots deeper than where it starts, two thousand times, counting the page faults
# of the repeats: each time the stack grows into a chunk CPython has just mapped again, the chunk's pages fault.
_DEEP_CALLS = textwrap.dedent("""
    import resource, sys
    from prm.gunicorn_conf import run_in_large_frame

    def deep(n):
        return deep(n - 1) + 1 if n else 0

    def repeat():
        deep(400)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        for _ in range(2000):
            deep(400)
        return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

    print(run_in_large_frame(repeat) if sys.argv[1] == "large" else repeat())
""")


def _page_faults(mode: str) -> int:
    done = subprocess.run([sys.executable, "-c", _DEEP_CALLS, mode], cwd=ROOT, capture_output=True, text=True,
                          check=True, timeout=60)
    return int(done.stdout.strip())


def test_deep_calls_fault_pages_on_every_repeat_unless_they_run_inside_the_large_frame():
    plain, large = _page_faults("plain"), _page_faults("large")
    assert plain >= 2000, f"deep calls outside the frame faulted only {plain} pages: CPython no longer maps chunks so?"
    assert large < 200, f"deep calls inside the frame still faulted {large} pages"


def test_the_frame_reserves_its_slots():
    assert gunicorn_conf.run_in_large_frame.__code__.co_stacksize == gunicorn_conf.LARGE_FRAME_SLOTS
    assert gunicorn_conf.run_in_large_frame(lambda: 42) == 42


def test_post_worker_init_runs_the_workers_loop_inside_the_frame():
    seen = []

    class Worker:
        def run(self):
            seen.append(sys._getframe(1).f_code)  # the frame that called the loop
            return "served"

    worker = Worker()
    gunicorn_conf.post_worker_init(worker)
    assert worker.run() == "served"
    assert seen == [gunicorn_conf.run_in_large_frame.__code__]


def test_every_way_of_starting_the_web_server_uses_the_config():
    for path in ("Dockerfile", "docker-compose.yml", "bench/web.py", "tests/platform/test_persistent_connections.py"):
        assert "python:prm.gunicorn_conf" in (ROOT / path).read_text(), f"{path} starts gunicorn without the config"

"""How gunicorn serves Kyoso: `gunicorn --config python:prm.gunicorn_conf` (the Dockerfile, docker-compose.yml and
`./kyoso bench web` all start it so; a flag on the command line overrides a setting here).

Besides the settings, one thing a worker does before its first request: it runs its request loop inside one Python
frame that reserves a large block of CPython's frame stack (`run_in_large_frame`).

Why: CPython 3.11+ keeps the frames of running Python functions on a stack of 16 KiB chunks. It maps a new chunk
(mmap) when a call does not fit in the current one and unmaps it (munmap) as soon as the stack unwinds below it.
A request runs at a depth of gunicorn's, Django's and the middleware's frames, so a page crossed a chunk boundary
again and again (counted with strace in a worker: 25 mmap/munmap pairs a request for the bare view that only
passes the middleware, 7 for the partner list), each followed by the page faults of touching the new chunk.
Inside the large frame, every frame a request pushes fits in the one chunk that frame took, and that chunk lives
as long as the worker. Measured with `./kyoso bench web`, this change on and off in one run: with one worker and
one connection, the partner list answered ×1.20 the requests a second, portal home ×1.14, a partner page ×1.07,
the registration ×1.06; with three workers and six connections the list ×1.17, the bare view ×1.07, the other
pages within the run's noise (×0.95–×1.03).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

wsgi_app = "prm.wsgi:application"
bind = "0.0.0.0:8000"
workers = 3
worker_class = "sync"

# The frame's stack size in slots of 8 bytes. CPython gives a frame that does not fit a chunk of its own, sized to
# the next power of two above the frame plus 1,000 slots: 16,000 slots take a 256 KiB chunk and leave about
# 16,700 slots (130 KiB) above the frame, several times what the deepest page's stack uses.
LARGE_FRAME_SLOTS = 16_000


def run_in_large_frame(call: Callable[[], Any]) -> Any:
    """call(), from a frame of LARGE_FRAME_SLOTS stack slots: the frames call() pushes share that frame's chunk."""
    return call()


# A frame's size is its code's locals plus its co_stacksize; the value stack beyond what the code uses is never
# touched, so the only cost is the address space of one chunk per worker.
run_in_large_frame.__code__ = run_in_large_frame.__code__.replace(co_stacksize=LARGE_FRAME_SLOTS)


def post_worker_init(worker) -> None:
    """gunicorn calls this in each worker right before the worker's request loop (worker.run)."""
    loop = worker.run
    worker.run = lambda: run_in_large_frame(loop)

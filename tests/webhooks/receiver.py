"""A real HTTP receiver on 127.0.0.1 for webhook tests: records every request, answers as told."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    path: str
    at: float

    @property
    def payload(self) -> dict:
        return json.loads(self.body)


class Receiver:
    """`answer(received) -> status` decides each response (200 unless told otherwise)."""

    def __init__(self, answer: Callable[[Received], int] | None = None):
        self.received: list[Received] = []
        self.answer = answer or (lambda received: 200)
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                item = Received(dict(self.headers.items()), self.rfile.read(length), self.path, time.monotonic())
                with owner._lock:
                    owner.received.append(item)
                status = owner.answer(item)
                text = b"ok" if status < 300 else b"receiver says no"
                self.send_response(status)
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def snapshot(self) -> list[Received]:
        with self._lock:
            return list(self.received)

    def wait_for(self, predicate: Callable[[list[Received]], bool], timeout: float = 60) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            items = self.snapshot()
            if predicate(items):
                return items
            time.sleep(0.1)
        got = [(r.payload.get("type"), r.headers.get("webhook-id")) for r in self.snapshot()]
        raise AssertionError(f"receiver waited {timeout} s; got {got}")

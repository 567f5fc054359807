"""A tiny SMTP server on 127.0.0.1 that keeps what it receives, for the e-mail tests and benchmark.

It can refuse the first `refuse` connections (a 421 greeting, as a relay that is down or
overloaded answers), or every connection, so the e-mail task's retries run against real SMTP.
"""

from __future__ import annotations

import socketserver
import threading


class SmtpSink:
    def __init__(self, *, refuse: int = 0, refuse_always: bool = False):
        self.refuse = refuse
        self.refuse_always = refuse_always
        self.attempts = 0
        self.messages: list[bytes] = []
        self.received = threading.Condition()
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(line.encode() + b"\r\n")
                self.wfile.flush()

            def handle(self):
                with sink.received:
                    sink.attempts += 1
                    refused = sink.refuse_always or sink.attempts <= sink.refuse
                if refused:
                    self.reply("421 sink: service not available, try again later")
                    return
                self.reply("220 sink ESMTP")
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    command = line.decode("ascii", "replace").strip().upper()
                    if command.startswith("EHLO"):
                        self.wfile.write(b"250-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
                        self.wfile.flush()
                    elif command.startswith("DATA"):
                        self.reply("354 end with <CRLF>.<CRLF>")
                        data = []
                        while True:
                            chunk = self.rfile.readline()
                            if not chunk or chunk in (b".\r\n", b".\n"):
                                break
                            data.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                        with sink.received:
                            sink.messages.append(b"".join(data))
                            sink.received.notify_all()
                        self.reply("250 queued")
                    elif command.startswith("QUIT"):
                        self.reply("221 bye")
                        return
                    elif command.startswith(("HELO", "MAIL", "RCPT", "RSET", "NOOP")):
                        self.reply("250 ok")
                    else:
                        self.reply("502 not implemented")

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> SmtpSink:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, count: int, timeout: float) -> bool:
        """True once `count` messages arrived; False if `timeout` seconds passed first."""
        with self.received:
            return self.received.wait_for(lambda: len(self.messages) >= count, timeout=timeout)

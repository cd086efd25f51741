#!/usr/bin/env python3
"""A fault-injecting stub of an OpenAI-compatible upstream, for the soak run (bench/soak/soak.py).

Unlike the e2e stub (tests/e2e/tools/stub_upstream.py) it records nothing but counters, so its
memory stays flat over a long run, and it fails on request: the soak client writes a directive
into the text part of its chat request (text parts reach the upstream unchanged), so every
injected failure is attributed to exactly one client request and the client knows which answer
to expect from sightline:

  soak-fault=http500    answer 500 with an OpenAI error body      (sightline: 502 upstream_error)
  soak-fault=http502    answer 502                                  (502 upstream_error)
  soak-fault=http503    answer 503                                  (502 upstream_error)
  soak-fault=reset      read the request, then reset the connection (503 upstream_unavailable)
  soak-fault=timeout    say nothing until sightline gives up        (504 upstream_timeout)
  soak-fault=midstream  start the answer, then reset the connection (streaming: 200 and an SSE
                        error event without [DONE]; non-streaming: 502)
  soak-delay=S          wait S seconds (watching the connection) before answering normally

Endpoints: POST /v1/chat/completions, GET /v1/models, GET /_stats (the counters as JSON).
Standard library only; one thread per connection; every wait is bounded.

Usage: fault_upstream.py [--port N] [--max-hold S]; prints
"fault upstream listening on http://127.0.0.1:PORT/v1" once it accepts connections.
"""

from __future__ import annotations

import argparse
import json
import re
import select
import socket
import struct
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TEXT = "A soak stub looked at your frames."
FAULT_RE = re.compile(rb"soak-fault=(\w+)")
DELAY_RE = re.compile(rb"soak-delay=([0-9.]+)")

STATS: Counter = Counter()
LOCK = threading.Lock()
MAX_HOLD_S = 30.0   # the longest a "timeout" or a delay holds a connection


def count(key: str, n: int = 1) -> None:
    with LOCK:
        STATS[key] += n


class ClientGone(Exception):
    pass


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "soak-upstream/1"

    def log_message(self, *args):
        pass

    def setup(self):
        super().setup()
        self.connection.settimeout(60)   # a stuck peer cannot hold a thread forever

    # ---- plumbing
    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _peer_closed(self) -> bool:
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def _wait_watching(self, seconds: float) -> None:
        deadline = time.monotonic() + min(seconds, MAX_HOLD_S)
        while time.monotonic() < deadline:
            if self._peer_closed():
                raise ClientGone()
            time.sleep(0.02)

    def _write(self, data: bytes) -> None:
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except OSError as e:
            raise ClientGone() from e

    def _send_json(self, status: int, obj) -> None:
        data = json.dumps(obj).encode()
        self._write((f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {len(data)}\r\n\r\n").encode() + data)

    def _reset(self) -> None:
        """Closes with RST (SO_LINGER 0): the peer sees ECONNRESET."""
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass
        self.close_connection = True

    # ---- routes
    def do_GET(self):
        if self.path == "/_stats":
            with LOCK:
                stats = dict(STATS)
            self._send_json(200, stats)
        elif self.path.rstrip("/") == "/v1/models":
            self._send_json(200, {"object": "list", "data": [
                {"id": "soak-model", "object": "model", "created": 0, "owned_by": "soak"}]})
        else:
            self._send_json(404, {"error": {"message": "no such route"}})

    def do_POST(self):
        raw = self._read_body()
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._send_json(404, {"error": {"message": "no such route"}})
            return
        count("requests")
        count("request_bytes", len(raw))
        m = FAULT_RE.search(raw)
        fault = m.group(1).decode() if m else "none"
        d = DELAY_RE.search(raw)
        try:
            body = json.loads(raw)
        except ValueError:
            body = {}
            count("bad_json")
        streaming = bool(isinstance(body, dict) and body.get("stream"))
        count(f"fault_{fault}")
        try:
            if d:
                self._wait_watching(float(d.group(1)))
            self._answer(fault, streaming, body if isinstance(body, dict) else {})
            count("answered")
        except ClientGone:
            count("client_gone")
            self.close_connection = True

    def _answer(self, fault: str, streaming: bool, body: dict) -> None:
        if fault.startswith("http"):
            status = int(fault[4:])
            self._send_json(status, {"error": {"message": f"soak stub failing with {status}",
                                               "type": "server_error", "param": None,
                                               "code": None}})
            return
        if fault == "reset":
            self._reset()
            return
        if fault == "timeout":
            self._wait_watching(MAX_HOLD_S)   # sightline's first-byte timeout ends it earlier
            self._reset()
            return
        model = body.get("model", "soak-model")
        created = int(time.time())
        if not streaming:
            data = json.dumps({
                "id": "chatcmpl-soak", "object": "chat.completion", "created": created,
                "model": model, "choices": [{"index": 0, "message": {
                    "role": "assistant", "content": TEXT}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 7, "total_tokens": 17}}).encode()
            head = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(data)}\r\n\r\n").encode()
            if fault == "midstream":
                self._write(head + data[:len(data) // 2])
                self._reset()
                return
            self._write(head + data)
            return
        self._write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                    b"Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n")

        def chunk(delta, finish=None):
            return {"id": "chatcmpl-soak", "object": "chat.completion.chunk", "created": created,
                    "model": model,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

        events = [chunk({"role": "assistant", "content": ""})]
        events += [chunk({"content": w if i == 0 else " " + w})
                   for i, w in enumerate(TEXT.split(" "))]
        events.append(chunk({}, "stop"))
        for i, ev in enumerate(events + ["[DONE]"]):
            if fault == "midstream" and i == 2:
                self._reset()
                return
            if self._peer_closed():
                raise ClientGone()
            data = ("data: " + (ev if isinstance(ev, str) else json.dumps(ev)) + "\n\n").encode()
            self._write(b"%x\r\n%s\r\n" % (len(data), data))
            time.sleep(0.005)
        self._write(b"0\r\n\r\n")


def main():
    global MAX_HOLD_S
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--max-hold", type=float, default=MAX_HOLD_S,
                    help="longest a timeout fault or a delay holds a connection (s)")
    args = ap.parse_args()
    MAX_HOLD_S = args.max_hold
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print(f"fault upstream listening on http://127.0.0.1:{server.server_address[1]}/v1",
          flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()

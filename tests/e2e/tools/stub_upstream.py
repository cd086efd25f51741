#!/usr/bin/env python3
"""A recording stub of an OpenAI-compatible model server, for the end-to-end tests.

It stands where vLLM / llama.cpp server / a cloud API would be behind sightline's `--backend`, stores
every request it receives (headers and JSON body) and answers a fixed text, so a test can check
exactly what sightline sent upstream (e.g. decode the barcodes of the images) and what it relayed
back. Standard library only; one thread per connection.

Endpoints:
  POST /v1/chat/completions  non-streaming: a `chat.completion` with the fixed text and `usage`;
                             `"stream": true`: `chat.completion.chunk` SSE events (a role chunk, one
                             per word of the text, a finish chunk, a usage chunk when
                             `stream_options.include_usage` is true), then `data: [DONE]`, sent
                             with chunked transfer encoding as real servers do.
  GET  /v1/models            the OpenAI list shape, one entry per name in `models`.
  GET  /_requests            everything recorded so far, as JSON (for out-of-process users).
  DELETE /_requests          forget the records.
  POST /_config              set knobs (JSON object with the attribute names below).

Knobs (attributes; set them directly when imported, or through /_config):
  text               the reply text.
  fail_status        answer chat completions with this HTTP status and an OpenAI error body.
  first_byte_delay_s wait this long before sending anything (the connection is watched while
                     waiting, so a client that gives up is recorded as disconnected).
  chunk_interval_s   pause between stream chunks (slow stream, for disconnect tests).
  repeat             send the text this many times in a stream (a longer stream).
  tool_calls         reply with these OpenAI `tool_calls` instead of text.

Each chat completion also gets an `Exchange` in `exchanges` (same order as `requests`) that says
whether the client disconnected before the answer was complete (`disconnected`) and whether the
whole answer went out (`completed`).

Run standalone: stub_upstream.py [--port N] [--text T]; prints
"stub upstream listening on http://127.0.0.1:PORT/v1" once it accepts connections.
"""

import argparse
import json
import select
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Optional

DEFAULT_TEXT = "A stub model looked at your frames."


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict  # lower-cased names
    body: Any      # parsed JSON, or None when the body was empty or not JSON
    raw: bytes

    def as_json(self):
        return {"method": self.method, "path": self.path, "headers": self.headers,
                "body": self.body, "raw_size": len(self.raw)}


@dataclass
class Exchange:
    """What became of one chat completion's answer."""
    stream: bool
    started_at: float = field(default_factory=time.monotonic)  # request received (monotonic)
    ended_at: Optional[float] = None                          # answer finished or abandoned
    chunks_sent: int = 0
    disconnected: bool = False
    completed: bool = False
    done: threading.Event = field(default_factory=threading.Event)

    def as_json(self):
        return {"stream": self.stream, "started_at": self.started_at, "ended_at": self.ended_at,
                "chunks_sent": self.chunks_sent,
                "disconnected": self.disconnected, "completed": self.completed,
                "finished": self.done.is_set()}


class ClientGone(Exception):
    pass


KNOBS = ("text", "fail_status", "first_byte_delay_s", "chunk_interval_s", "repeat", "tool_calls",
         "models")


class StubUpstream:
    """The stub as an object: start() it, point sightline at base_url, read requests."""

    def __init__(self, text: str = DEFAULT_TEXT, host: str = "127.0.0.1", port: int = 0,
                 models=("stub-model",)):
        self.text = text
        self.fail_status: Optional[int] = None
        self.first_byte_delay_s = 0.0
        self.chunk_interval_s = 0.0
        self.repeat = 1
        self.tool_calls: Optional[list] = None
        self.models = list(models)
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._requests: list[RecordedRequest] = []
        self._exchanges: list[Exchange] = []
        self._counter = 0
        self._server = ThreadingHTTPServer((host, port), _make_handler(self))
        self._server.daemon_threads = True
        self._thread: Optional[threading.Thread] = None

    # ---- lifecycle
    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> "StubUpstream":
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name=f"stub-upstream-{self.port}")
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ---- knobs and records
    def configure(self, **knobs):
        for k, v in knobs.items():
            if k not in KNOBS:
                raise KeyError(f"unknown stub knob {k!r}")
            setattr(self, k, v)

    def reset(self):
        """Forget the records and put every knob back to its default (the text is kept)."""
        with self._lock:
            self._requests.clear()
            self._exchanges.clear()
        self.fail_status = None
        self.first_byte_delay_s = 0.0
        self.chunk_interval_s = 0.0
        self.repeat = 1
        self.tool_calls = None

    @property
    def requests(self) -> list:
        with self._lock:
            return list(self._requests)

    @property
    def exchanges(self) -> list:
        with self._lock:
            return list(self._exchanges)

    def chat_requests(self) -> list:
        return [r for r in self.requests if r.path.rstrip("/").endswith("/chat/completions")]

    def wait_for(self, predicate: Callable[["StubUpstream"], bool], timeout: float = 10.0) -> bool:
        """Waits until predicate(self) holds (re-checked on every record change)."""
        deadline = time.monotonic() + timeout
        while not predicate(self):
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            with self._changed:
                self._changed.wait(min(left, 0.05))
        return True

    # ---- used by the handler
    def _record(self, req: RecordedRequest, exchange: Optional[Exchange]):
        with self._changed:
            self._requests.append(req)
            if exchange is not None:
                self._exchanges.append(exchange)
            self._counter += 1
            self._changed.notify_all()
            return self._counter

    def _notify(self):
        with self._changed:
            self._changed.notify_all()


def _completion(stub: StubUpstream, body: dict, n: int) -> dict:
    model = body.get("model", "stub-model")
    if stub.tool_calls:
        message = {"role": "assistant", "content": None, "tool_calls": stub.tool_calls}
        finish = "tool_calls"
    else:
        message = {"role": "assistant", "content": stub.text, "refusal": None}
        finish = "stop"
    prompt_tokens = len(json.dumps(body.get("messages", []))) // 4
    completion_tokens = len(stub.text.split())
    return {
        "id": f"chatcmpl-stub-{n}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": "fp_stub",
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    }


def _chunks(stub: StubUpstream, body: dict, n: int) -> list:
    model = body.get("model", "stub-model")
    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
    created = int(time.time())

    def chunk(delta, finish=None):
        c = {"id": f"chatcmpl-stub-{n}", "object": "chat.completion.chunk", "created": created,
             "model": model, "system_fingerprint": "fp_stub",
             "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}
        if include_usage:
            c["usage"] = None
        return c

    out = [chunk({"role": "assistant", "content": ""})]
    if stub.tool_calls:
        for i, call in enumerate(stub.tool_calls):
            out.append(chunk({"tool_calls": [{"index": i, **call}]}))
        out.append(chunk({}, "tool_calls"))
    else:
        words = stub.text.split(" ")
        for r in range(max(1, int(stub.repeat))):
            for i, w in enumerate(words):
                first = r == 0 and i == 0
                out.append(chunk({"content": w if first else " " + w}))
        out.append(chunk({}, "stop"))
    if include_usage:
        prompt_tokens = len(json.dumps(body.get("messages", []))) // 4
        completion_tokens = len(stub.text.split()) * max(1, int(stub.repeat))
        out.append({"id": f"chatcmpl-stub-{n}", "object": "chat.completion.chunk",
                    "created": created, "model": model, "system_fingerprint": "fp_stub",
                    "choices": [],
                    "usage": {"prompt_tokens": prompt_tokens,
                              "completion_tokens": completion_tokens,
                              "total_tokens": prompt_tokens + completion_tokens}})
    return out


def _make_handler(stub: StubUpstream):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "stub-upstream/1"

        def log_message(self, *args):  # keep test output clean
            pass

        # ---- plumbing
        def _read_body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                data = b""
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass
                        return data
                    data += self.rfile.read(size)
                    self.rfile.readline()
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _send_json(self, status: int, obj):
            data = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()

        def _peer_closed(self) -> bool:
            """True when the client has closed its side (readable with EOF, or reset)."""
            sock = self.connection
            try:
                readable, _, _ = select.select([sock], [], [], 0)
                if not readable:
                    return False
                return sock.recv(1, socket.MSG_PEEK) == b""
            except OSError:
                return True

        def _wait_watching(self, seconds: float):
            """Sleeps, but raises ClientGone as soon as the client closes the connection."""
            deadline = time.monotonic() + seconds
            while True:
                if self._peer_closed():
                    raise ClientGone()
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                time.sleep(min(left, 0.01))

        def _write(self, data: bytes):
            try:
                self.wfile.write(data)
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError) as e:
                raise ClientGone() from e

        def _write_chunk(self, data: bytes):
            self._write(b"%x\r\n%s\r\n" % (len(data), data))

        # ---- routes
        def do_GET(self):
            self._body_and_record(b"")
            if self.path.rstrip("/") == "/v1/models":
                self._send_json(200, {"object": "list", "data": [
                    {"id": m, "object": "model", "created": 0, "owned_by": "stub"}
                    for m in stub.models]})
            elif self.path == "/_requests":
                self._send_json(200, {"requests": [r.as_json() for r in stub.requests
                                                   if not r.path.startswith("/_")],
                                      "exchanges": [e.as_json() for e in stub.exchanges]})
            else:
                self._send_json(404, {"error": {"message": "no such route", "type":
                                                "invalid_request_error", "param": None,
                                                "code": None}})

        def do_DELETE(self):
            self._read_body()
            if self.path == "/_requests":
                with stub._lock:
                    stub._requests.clear()
                    stub._exchanges.clear()
                self._send_json(200, {"ok": True})
            else:
                self._send_json(404, {"error": {"message": "no such route"}})

        def _body_and_record(self, raw: bytes, exchange: Optional[Exchange] = None) -> int:
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
            if self.path.startswith("/_"):
                return 0
            req = RecordedRequest(self.command, self.path,
                                  {k.lower(): v for k, v in self.headers.items()}, body, raw)
            return stub._record(req, exchange)

        def do_POST(self):
            raw = self._read_body()
            if self.path == "/_config":
                try:
                    stub.configure(**json.loads(raw or b"{}"))
                except (KeyError, ValueError, TypeError) as e:
                    self._send_json(400, {"error": {"message": str(e)}})
                    return
                self._send_json(200, {"ok": True})
                return
            if self.path.rstrip("/") != "/v1/chat/completions":
                self._body_and_record(raw)
                self._send_json(404, {"error": {"message": "no such route"}})
                return
            try:
                body = json.loads(raw)
            except ValueError:
                body = {}
            streaming = bool(isinstance(body, dict) and body.get("stream"))
            exchange = Exchange(stream=streaming)
            n = self._body_and_record(raw, exchange)
            try:
                self._answer(body if isinstance(body, dict) else {}, streaming, exchange, n)
                exchange.completed = True
            except ClientGone:
                exchange.disconnected = True
                self.close_connection = True
            finally:
                exchange.ended_at = time.monotonic()
                exchange.done.set()
                stub._notify()

        def _answer(self, body: dict, streaming: bool, exchange: Exchange, n: int):
            if stub.first_byte_delay_s:
                self._wait_watching(stub.first_byte_delay_s)
            if stub.fail_status:
                status = int(stub.fail_status)
                try:
                    self._send_json(status, {"error": {
                        "message": f"stub upstream failing with {status} as configured",
                        "type": "server_error" if status >= 500 else "invalid_request_error",
                        "param": None, "code": None}})
                except (BrokenPipeError, ConnectionResetError) as e:
                    raise ClientGone() from e
                return
            if not streaming:
                data = json.dumps(_completion(stub, body, n)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self._write(data)
                exchange.chunks_sent = 1
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            events = [json.dumps(c) for c in _chunks(stub, body, n)] + ["[DONE]"]
            for i, ev in enumerate(events):
                if i and stub.chunk_interval_s:
                    self._wait_watching(stub.chunk_interval_s)
                elif self._peer_closed():
                    raise ClientGone()
                self._write_chunk(f"data: {ev}\n\n".encode())
                exchange.chunks_sent += 1
                stub._notify()
            self._write(b"0\r\n\r\n")

    return Handler


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--text", default=DEFAULT_TEXT)
    ap.add_argument("--model", action="append", dest="models")
    args = ap.parse_args()
    stub = StubUpstream(text=args.text, port=args.port, models=args.models or ["stub-model"])
    print(f"stub upstream listening on {stub.base_url}", flush=True)
    try:
        stub._server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()

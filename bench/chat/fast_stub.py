#!/usr/bin/env python3
"""A minimal, fast OpenAI-compatible upstream for the Chat Completions overhead benchmark.

It answers every `POST .../chat/completions` at once with the same small non-streaming
`chat.completion`, without parsing the request body (it only reads it to the end), so its own
cost is small and, above all, the same whether the request comes from the benchmark client
directly, through sightline or through LiteLLM. The e2e suite's recording stub
(tests/e2e/tools/stub_upstream.py) parses and stores every body on one thread per connection,
which is too slow and noisy for sub-millisecond comparisons.

Besides the completion it serves:
  GET /v1/models   the OpenAI list shape with one model, "bench".
  GET /_last_body  the raw body of the last chat completion received: the benchmark sends one
                   request through sightline, reads here exactly what sightline sent upstream,
                   and replays those bytes directly and through LiteLLM.

HTTP/1.1 with keep-alive (and `Connection: close` honoured), Content-Length or chunked request
bodies. Standard library asyncio only. Loopback only.

Usage: fast_stub.py [--port N]; prints "fast stub listening on http://127.0.0.1:PORT/v1".
"""

import argparse
import asyncio
import json
import sys

COMPLETION = json.dumps({
    "id": "chatcmpl-bench",
    "object": "chat.completion",
    "created": 1700000000,
    "model": "bench",
    "choices": [{"index": 0, "finish_reason": "stop",
                 "message": {"role": "assistant", "content": "A stub model looked at your frames."}}],
    "usage": {"prompt_tokens": 100, "completion_tokens": 8, "total_tokens": 108},
}).encode()

MODELS = json.dumps({"object": "list", "data": [
    {"id": "bench", "object": "model", "created": 0, "owned_by": "bench"}]}).encode()


def response(status: str, body: bytes, close: bool, content_type: str = "application/json") -> bytes:
    head = (f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n"
            f"Connection: {'close' if close else 'keep-alive'}\r\n\r\n")
    return head.encode() + body


class Stub(asyncio.Protocol):
    last_body = b""

    def connection_made(self, transport):
        self.transport = transport
        self.buf = bytearray()

    def data_received(self, data):
        self.buf += data
        while self.transport is not None and self.handle_one():
            pass

    def connection_lost(self, exc):
        self.transport = None

    def handle_one(self) -> bool:
        """Answers one complete request from the buffer; False when more bytes are needed."""
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            return False
        lines = bytes(self.buf[:end]).decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3:
            self.transport.write(response("400 Bad Request", b"{}", True))
            self.transport.close()
            return False
        method, target, version = parts
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        start = end + 4
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body, consumed = self.dechunk(start)
            if body is None:
                return False
        else:
            length = int(headers.get("content-length", "0"))
            if len(self.buf) - start < length:
                return False
            body = bytes(self.buf[start:start + length])
            consumed = start + length
        del self.buf[:consumed]

        connection = headers.get("connection", "").lower()
        close = connection == "close" or (version == "HTTP/1.0" and connection != "keep-alive")
        path = target.split("?", 1)[0]
        if method == "POST" and path.endswith("/chat/completions"):
            Stub.last_body = body
            out = response("200 OK", COMPLETION, close)
        elif method == "GET" and path.endswith("/models"):
            out = response("200 OK", MODELS, close)
        elif method == "GET" and path == "/_last_body":
            out = response("200 OK", Stub.last_body, close)
        else:
            out = response("404 Not Found", b'{"error":{"message":"not found"}}', close)
        self.transport.write(out)
        if close:
            self.transport.close()
            return False
        return True

    def dechunk(self, pos: int):
        """(body, bytes consumed) of a complete chunked body starting at pos, or (None, 0)."""
        body = bytearray()
        while True:
            eol = self.buf.find(b"\r\n", pos)
            if eol < 0:
                return None, 0
            size = int(bytes(self.buf[pos:eol]).split(b";")[0], 16)
            pos = eol + 2
            if size == 0:
                # Trailers (none expected) end with an empty line.
                end = self.buf.find(b"\r\n", pos)
                if end < 0:
                    return None, 0
                while end != pos:
                    pos = end + 2
                    end = self.buf.find(b"\r\n", pos)
                    if end < 0:
                        return None, 0
                return bytes(body), end + 2
            if len(self.buf) < pos + size + 2:
                return None, 0
            body += self.buf[pos:pos + size]
            pos += size + 2


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Stub, "127.0.0.1", args.port, backlog=256)
    port = server.sockets[0].getsockname()[1]
    print(f"fast stub listening on http://127.0.0.1:{port}/v1", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)

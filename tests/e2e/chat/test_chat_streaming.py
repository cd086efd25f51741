"""`stream: true`: the SSE relay (chat.completion.chunk events, `data: [DONE]`,
`stream_options.include_usage`, `ovs_media` on the final chunk), and cancellation: a client that
disconnects mid-stream makes sightline close the upstream request."""

import json
import socket

import pytest

from chat.chat_helpers import envelope, expect_media, image, parse_sse, user
from chat.chat_media import upstream_parts

pytestmark = pytest.mark.chat


def stream_request(chat, body, **kw):
    r = chat.post({**body, "stream": True}, stream=True, **kw)
    assert r.status_code == 200, r.text[:1000]
    assert r.headers.get("Content-Type", "").startswith("text/event-stream"), r.headers
    events = parse_sse(r)
    assert events and events[-1] == "[DONE]", f"stream did not end with [DONE]: {events[-3:]}"
    assert events.count("[DONE]") == 1
    chunks = [json.loads(e) for e in events[:-1]]
    for c in chunks:
        assert c["object"] == "chat.completion.chunk", c
        assert isinstance(c["id"], str) and c["id"]
        assert isinstance(c["created"], int)
    assert len({c["id"] for c in chunks}) == 1, "chunks of one completion share one id"
    return chunks


def text_of(chunks):
    return "".join((c["choices"][0]["delta"].get("content") or "")
                   for c in chunks if c["choices"])


@pytest.mark.parametrize("include_usage", [True, False])
def test_sse_relay(chat, include_usage):
    url = chat.ovs(chat.a, "frame_index=20")
    body = {"model": "stub-frames", "messages": [user("What now?", image(url))]}
    if include_usage:
        body["stream_options"] = {"include_usage": True}
    chunks = stream_request(chat, body)

    assert text_of(chunks) == chat.stub.text
    assert all(c["model"] == "stub-frames" for c in chunks)
    finishes = [c["choices"][0]["finish_reason"] for c in chunks
                if c["choices"] and c["choices"][0].get("finish_reason")]
    assert finishes == ["stop"]
    first_delta = chunks[0]["choices"][0]["delta"]
    assert first_delta.get("role") == "assistant"

    usage_chunks = [c for c in chunks if c.get("usage")]
    if include_usage:
        # OpenAI: one extra last chunk with empty choices and the usage of the whole request
        assert len(usage_chunks) == 1
        u = usage_chunks[0]
        assert u is chunks[-1] and u["choices"] == []
        for k in ("prompt_tokens", "completion_tokens", "total_tokens"):
            assert isinstance(u["usage"][k], int)
    else:
        assert usage_chunks == []

    # ovs_media rides on the final chunk
    assert "ovs_media" in chunks[-1], f"no ovs_media on the final chunk: {chunks[-1]}"
    expect_media(chunks[-1]["ovs_media"][0], url, chat.a, 20, 20, 1)

    # the upstream was asked to stream and received the resolved frame
    up = chat.upstream()
    assert up["stream"] is True
    assert upstream_parts(up["messages"][0]["content"])[1].picture.index == 20


def test_sse_relay_of_a_segment_in_native_mode(chat):
    url = chat.ovs(chat.a, "start_frame_index=0&end_frame_index=10&max_fps=60")
    chunks = stream_request(chat, {"model": "stub-native", "messages": [user("Clip:", {
        "type": "video_url", "video_url": {"url": url}})]})
    assert text_of(chunks) == chat.stub.text
    expect_media(chunks[-1]["ovs_media"][0], url, chat.a, 0, 9, 10)
    p = upstream_parts(chat.upstream()["messages"][0]["content"])
    assert [f.index for f in p[1].video] == list(range(10))


def test_streamed_tool_calls_are_relayed(chat):
    call = {"id": "call_1", "type": "function",
            "function": {"name": "zoom", "arguments": "{\"camera\": \"A\"}"}}
    chat.stub.configure(tool_calls=[call])
    chunks = stream_request(chat, {"model": "stub-frames", "messages": [user("zoom")],
                                   "tools": [{"type": "function", "function": {
                                       "name": "zoom", "parameters": {"type": "object"}}}]})
    deltas = [tc for c in chunks if c["choices"]
              for tc in (c["choices"][0]["delta"].get("tool_calls") or [])]
    assert deltas and deltas[0]["id"] == "call_1"
    assert deltas[0]["function"]["name"] == "zoom"
    assert "".join(d["function"].get("arguments", "") for d in deltas) == "{\"camera\": \"A\"}"
    assert [c["choices"][0]["finish_reason"] for c in chunks
            if c["choices"] and c["choices"][0].get("finish_reason")] == ["tool_calls"]


def test_relay_is_incremental(chat):
    """The first chunk reaches the client while the upstream is still streaming (no buffering of
    the whole answer): the drip stub sends one chunk per 250 ms for about a minute."""
    drip = chat.stubs["drip"]
    r = chat.post({"model": "stub-drip", "stream": True, "messages": [user("talk")]},
                  stream=True, timeout=30)
    assert r.status_code == 200, r.text
    lines = r.iter_lines()
    first = next(line for line in lines if line)
    assert first.startswith(b"data: ")
    ex = drip.exchanges
    assert ex and not ex[-1].done.is_set(), "the whole upstream answer was already sent"
    r.close()


def open_raw(chat, body: dict) -> socket.socket:
    """Sends a chat request on a plain socket, so the test decides exactly when to hang up."""
    data = json.dumps(body).encode()
    s = socket.create_connection(("127.0.0.1", chat.server.port), timeout=15)
    s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
              b"Authorization: Bearer " + chat.key.encode() + b"\r\n"
              b"Content-Type: application/json\r\nContent-Length: " +
              str(len(data)).encode() + b"\r\n\r\n" + data)
    return s


def read_until_events(s: socket.socket, n: int) -> bytes:
    got = b""
    while got.count(b"data: ") < n:
        chunk = s.recv(65536)
        assert chunk, f"connection closed after {got[:2000]!r}"
        got += chunk
    return got


def test_client_disconnect_cancels_the_upstream_request(chat):
    drip = chat.stubs["drip"]
    s = open_raw(chat, {"model": "stub-drip", "stream": True, "messages": [
        user("Talk slowly.", image(chat.ovs(chat.a, "frame_index=-1")))]})
    head = read_until_events(s, 2)
    assert head.startswith(b"HTTP/1.1 200"), head[:300]
    s.close()   # hang up mid-stream
    # the full answer takes ~70 s; sightline must close the upstream connection long before
    assert drip.wait_for(lambda d: d.exchanges and d.exchanges[-1].done.is_set(), timeout=15), \
        f"upstream still streaming 15 s after the client left: {drip.exchanges}"
    ex = drip.exchanges[-1]
    assert ex.disconnected and not ex.completed, ex
    # the server is fine afterwards
    assert chat.server.alive()
    assert chat.complete({"model": "stub-frames", "messages": [user("still there?")]})


def test_client_disconnect_before_first_byte_cancels_too(chat):
    """A client that gives up while the upstream has not answered yet (first byte after 30 s)
    also gets the upstream request cancelled."""
    drip = chat.stubs["drip"]
    drip.configure(first_byte_delay_s=30)
    s = open_raw(chat, {"model": "stub-drip", "stream": True, "messages": [user("hi")]})
    assert drip.wait_for(lambda d: len(d.chat_requests()) == 1, timeout=10), \
        "the request never reached the upstream"
    s.close()
    assert drip.wait_for(lambda d: d.exchanges[-1].done.is_set(), timeout=15), \
        "upstream request still open 15 s after the client left"
    assert drip.exchanges[-1].disconnected


def test_streaming_upstream_failure_is_an_error_response(chat):
    """When the upstream fails before the first byte, the client gets the error status and the
    OpenAI envelope, not an SSE stream."""
    r = chat.post({"model": "stub-failing", "stream": True, "messages": [user("hi")]})
    envelope(r, 502)

"""Whole conversations: several references to several streams anywhere in the messages, every role
passed through, request parameters passed through, the response shape, `ovs_media`, the upstream
credentials and model name, and byte-identical JPEGs for the same frame across requests."""

import base64
import io
import json

import pytest
from PIL import Image

from chat.chat_helpers import (A_H, A_W, B_H, B_W, brief, envelope, expect_media, image,
                               media_entry, user, video)
from chat.chat_media import frames_mode_segment, upstream_parts
from chat.conftest import RENAMED_UPSTREAM_MODEL, UPSTREAM_KEY

pytestmark = pytest.mark.chat

TOOLS = [{
    "type": "function",
    "function": {
        "name": "zoom",
        "description": "Zoom a camera in.",
        "parameters": {"type": "object", "properties": {"camera": {"type": "string"}},
                       "required": ["camera"]},
    },
}]
TOOL_CALL = {"id": "call_zoom_1", "type": "function",
             "function": {"name": "zoom", "arguments": "{\"camera\": \"A\"}"}}


def test_several_streams_and_references_in_one_conversation(chat):
    chat.wait_frames(chat.a, 61)
    chat.wait_frames(chat.b, 61)
    u_a40 = chat.ovs(chat.a, "frame_index=40")
    u_b35 = chat.ovs(chat.b, "frame_index=35")
    u_a_seg = chat.ovs(chat.a, "start_frame_index=30&end_frame_index=60&max_fps=10")
    u_b_seg = chat.ovs(chat.b, "start_timestamp_ms=1000&end_timestamp_ms=2000&max_fps=5")
    http_img = image("https://example.com/cat.jpg", detail="low")
    messages = [
        {"role": "system", "content": "You watch two cameras."},
        user("Camera A now:", image(u_a40), "Camera B:", image(u_b35), "A clip of A:",
             video(u_a_seg)),
        {"role": "assistant", "content": None, "tool_calls": [TOOL_CALL]},
        {"role": "tool", "tool_call_id": "call_zoom_1", "content": "zoomed in on A"},
        {"role": "assistant", "content": "Zoomed in."},
        user("And B over the same second:", video(u_b_seg), http_img, "Which changed?"),
    ]
    resp = chat.complete({"model": "stub-frames", "messages": messages, "tools": TOOLS})
    up = chat.upstream()["messages"]
    assert len(up) == len(messages)
    assert [m["role"] for m in up] == [m["role"] for m in messages]

    # string content and the non-user messages are untouched
    assert up[0]["content"] == "You watch two cameras."
    for i in (2, 3, 4):
        for k, v in messages[i].items():
            if v is None:
                assert up[i].get(k) is None, (i, k, up[i])
            else:
                assert up[i][k] == v, (i, k, up[i])

    # message 1: text parts unchanged, references replaced in place, in order
    p = upstream_parts(up[1]["content"])
    assert [x.raw for x in (p[0], p[2], p[4])] == [
        {"type": "text", "text": "Camera A now:"}, {"type": "text", "text": "Camera B:"},
        {"type": "text", "text": "A clip of A:"}], brief(up[1]["content"])
    assert p[1].picture.index == 40 and (p[1].picture.width, p[1].picture.height) == (A_W, A_H)
    assert p[3].picture.index == 35 and (p[3].picture.width, p[3].picture.height) == (B_W, B_H)
    seg_a = frames_mode_segment(p, 5, 10)
    assert len(p) == 5 + 20, brief(up[1]["content"])
    assert [x.picture.index for x in seg_a] == list(range(30, 60, 3))
    assert {(x.picture.width, x.picture.height) for x in seg_a} == {(A_W, A_H)}

    # message 5: segment of B, then the http image and the text, untouched
    q = upstream_parts(up[5]["content"])
    assert q[0].raw == {"type": "text", "text": "And B over the same second:"}
    seg_b = frames_mode_segment(q, 1, 5)
    assert [x.picture.index for x in seg_b] == [30, 36, 42, 48, 54]
    assert {(x.picture.width, x.picture.height) for x in seg_b} == {(B_W, B_H)}
    assert q[11].raw == http_img
    assert q[12].raw == {"type": "text", "text": "Which changed?"}
    assert len(q) == 13, brief(up[5]["content"])

    # ovs_media: one entry per reference, in request order
    assert len(resp["ovs_media"]) == 4
    expect_media(media_entry(resp, 0), u_a40, chat.a, 40, 40, 1)
    expect_media(media_entry(resp, 1), u_b35, chat.b, 35, 35, 1)
    expect_media(media_entry(resp, 2), u_a_seg, chat.a, 30, 57, 10)
    expect_media(media_entry(resp, 3), u_b_seg, chat.b, 30, 54, 5)


def test_same_stream_referenced_in_several_messages(chat):
    messages = [user("first", image(chat.ovs(chat.a, "frame_index=3"))),
                {"role": "assistant", "content": "I see it."},
                user("and now", image(chat.ovs(chat.a, "frame_index=4")),
                     image(chat.ovs(chat.a, "frame_index=3")))]
    resp = chat.complete({"model": "stub-frames", "messages": messages})
    up = chat.upstream()["messages"]
    assert upstream_parts(up[0]["content"])[1].picture.index == 3
    assert up[1] == {"role": "assistant", "content": "I see it."}
    p = upstream_parts(up[2]["content"])
    assert [p[1].picture.index, p[2].picture.index] == [4, 3]
    # the same frame twice in one request: the very same bytes
    assert p[2].raw == upstream_parts(up[0]["content"])[1].raw
    assert [e["frame_indices"]["first"] for e in resp["ovs_media"]] == [3, 4, 3]


def test_string_content_and_roles_pass_through(chat):
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hello there."},
        {"role": "assistant", "content": "Hi.", "name": "bot"},
        {"role": "user", "content": [{"type": "text", "text": "Only text parts."}]},
    ]
    chat.complete({"model": "stub-frames", "messages": messages})
    assert chat.upstream()["messages"] == messages


def test_assistant_tool_calls_and_tool_messages_pass_through(chat):
    messages = [
        {"role": "user", "content": "Zoom into camera A."},
        {"role": "assistant", "content": None, "tool_calls": [TOOL_CALL]},
        {"role": "tool", "tool_call_id": "call_zoom_1", "content": "{\"ok\": true}"},
    ]
    chat.complete({"model": "stub-frames", "messages": messages, "tools": TOOLS})
    up = chat.upstream()
    assert up["messages"][0] == messages[0]
    assert up["messages"][1]["tool_calls"] == [TOOL_CALL]
    assert up["messages"][1].get("content") is None
    assert up["messages"][2] == messages[2]


@pytest.mark.parametrize("params", [
    {"temperature": 0.3, "top_p": 0.9, "seed": 7, "stop": ["END"], "max_tokens": 50, "n": 1},
    {"max_completion_tokens": 64, "stop": "STOP", "temperature": 0},
    {"response_format": {"type": "json_object"}},
    {"response_format": {"type": "json_schema", "json_schema": {
        "name": "event", "strict": True,
        "schema": {"type": "object", "properties": {"event": {"type": "boolean"}},
                   "required": ["event"], "additionalProperties": False}}}},
    {"tools": TOOLS, "tool_choice": "auto"},
    {"tools": TOOLS, "tool_choice": {"type": "function", "function": {"name": "zoom"}}},
    {"tools": TOOLS, "tool_choice": "none"},
], ids=["sampling", "max_completion_tokens", "json_object", "json_schema", "tools_auto",
        "tools_named", "tools_none"])
def test_request_parameters_pass_through(chat, params):
    body = {"model": "stub-frames",
            "messages": [user("Look:", image(chat.ovs(chat.a, "frame_index=5")))], **params}
    chat.complete(body)
    up = chat.upstream()
    for k, v in params.items():
        assert k in up, f"{k} was not passed upstream: {sorted(up)}"
        assert up[k] == v, (k, up[k])
    assert up["model"] == "stub-frames"
    assert not up.get("stream")


def test_response_is_the_openai_shape_with_the_upstream_answer(chat):
    resp = chat.complete({"model": "stub-frames",
                          "messages": [user("Look:", image(chat.ovs(chat.a, "frame_index=5")))]})
    assert isinstance(resp["id"], str) and resp["id"]
    assert resp["object"] == "chat.completion"
    assert isinstance(resp["created"], int)
    assert resp["model"] == "stub-frames"
    assert len(resp["choices"]) == 1
    c = resp["choices"][0]
    assert c["index"] == 0
    assert c["message"]["role"] == "assistant"
    assert c["message"]["content"] == chat.stub.text
    assert c["finish_reason"] == "stop"
    u = resp["usage"]
    for k in ("prompt_tokens", "completion_tokens", "total_tokens"):
        assert isinstance(u[k], int)
    assert u["total_tokens"] == u["prompt_tokens"] + u["completion_tokens"]


def test_upstream_tool_calls_are_relayed(chat):
    chat.stub.configure(tool_calls=[TOOL_CALL])
    resp = chat.complete({"model": "stub-frames", "tools": TOOLS,
                          "messages": [user("Zoom A.", image(chat.ovs(chat.a, "frame_index=5")))]})
    c = resp["choices"][0]
    assert c["finish_reason"] == "tool_calls"
    assert c["message"]["tool_calls"] == [TOOL_CALL]


def test_upstream_model_name_and_client_model_id(chat):
    resp = chat.complete({"model": "stub-renamed", "messages": [user("hi")]})
    assert chat.upstream()["model"] == RENAMED_UPSTREAM_MODEL
    assert resp["model"] == "stub-renamed"


def test_upstream_api_key_comes_from_the_environment(chat):
    chat.complete({"model": "stub-keyed", "messages": [user("hi")]})
    chat.complete({"model": "stub-frames", "messages": [user("hi")]})
    keyed, plain = chat.stub.chat_requests()
    assert keyed.headers.get("authorization") == f"Bearer {UPSTREAM_KEY}"
    # no key configured: none sent; and the client's sightline key never goes upstream
    assert UPSTREAM_KEY not in json.dumps(plain.headers)
    for r in (keyed, plain):
        for k in chat.server.keys:
            assert k not in json.dumps(r.headers), "a sightline API key leaked upstream"
            assert k not in r.raw.decode(errors="replace"), "a sightline API key leaked upstream"


def test_same_frame_is_byte_identical_across_requests(chat):
    chat.wait_frames(chat.a, 61)
    urls = []
    for _ in range(2):
        chat.complete({"model": "stub-frames",
                       "messages": [user("x", image(chat.ovs(chat.a, "frame_index=40")))]})
        urls.append(upstream_parts(chat.upstream()["messages"][0]["content"])[1].raw)
    # and inside a segment, at the same size
    seg = chat.ask_segment(chat.a, "start_frame_index=38&end_frame_index=42&max_fps=60")
    assert seg.indices == [38, 39, 40, 41]
    assert urls[0] == urls[1]
    assert urls[0]["image_url"]["url"] == seg.data_urls[2]
    # another size is another rendition, itself stable
    small = []
    for _ in range(2):
        chat.complete({"model": "stub-frames", "messages": [
            user("x", image(chat.ovs(chat.a, "frame_index=40&max_pixels=19200")))]})
        small.append(upstream_parts(chat.upstream()["messages"][0]["content"],
                                    A_H)[1].raw["image_url"]["url"])
    assert small[0] == small[1]
    assert small[0] != urls[0]["image_url"]["url"]


def test_http_and_data_urls_pass_through_unchanged(chat):
    png = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 10, 10)).save(png, "PNG")
    data_url = "data:image/png;base64," + base64.b64encode(png.getvalue()).decode()
    parts = [image("https://example.com/a.jpg"),
             image("http://example.com/b.png", detail="high"),
             image(data_url)]
    for model in ("stub-frames", "stub-native"):
        chat.complete({"model": model, "messages": [user("three images", *parts)]})
        assert chat.upstream()["messages"][0]["content"] == [
            {"type": "text", "text": "three images"}, *parts]


def test_http_video_passes_through_to_a_native_backend(chat):
    v = video("https://example.com/clip.mp4")
    chat.complete({"model": "stub-native", "messages": [user("a clip", v)]})
    assert chat.upstream()["messages"][0]["content"] == [{"type": "text", "text": "a clip"}, v]


def test_models_lists_the_configured_models(chat):
    r = chat.api.get("/v1/models")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["object"] == "list"
    ids = [m["id"] for m in body["data"]]
    assert sorted(ids) == sorted(chat.models)
    for m in body["data"]:
        assert m["object"] == "model"
        assert isinstance(m.get("created", 0), int)
        assert isinstance(m.get("owned_by", ""), str)
        if "status" in m:
            assert m["status"] in ("ready", "degraded", "saturated", "unavailable")


def test_models_needs_a_key(chat):
    envelope(chat.server.api(None).get("/v1/models"), 401)

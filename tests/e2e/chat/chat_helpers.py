"""The Chat Completions suite's view of one sightline session: its clients, stubs and streams, and
helpers to send a request and read back what the stub upstream received."""

from __future__ import annotations

import json
from dataclasses import dataclass

import requests

from chat.chat_media import UpPart, frames_mode_segment, upstream_parts

FPS = 30
A_W, A_H = 320, 240     # stream A
B_W, B_H = 160, 120     # stream B: another size, so a picture tells which stream it came from


def ts(n: int, fps: int = FPS) -> int:
    """timestamp_ms of frame n of a test_pattern stream (SPEC: round(n*1000/fps))."""
    return round(n * 1000 / fps)


def user(*parts) -> dict:
    """A user message whose content is a part list; strings become text parts."""
    return {"role": "user", "content": [
        {"type": "text", "text": p} if isinstance(p, str) else p for p in parts]}


def image(url: str, **extra) -> dict:
    return {"type": "image_url", "image_url": {"url": url, **extra}}


def video(url: str) -> dict:
    return {"type": "video_url", "video_url": {"url": url}}


def parse_sse(resp: requests.Response) -> list[str]:
    """The `data:` payloads of an SSE response, in order (multi-line data joined by \\n)."""
    events, data = [], []
    for raw in resp.iter_lines(decode_unicode=False):
        line = raw.decode("utf-8")
        if line == "":
            if data:
                events.append("\n".join(data))
                data = []
            continue
        if line.startswith(":"):
            continue   # comment / keep-alive
        field, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if field == "data":
            data.append(value)
    if data:
        events.append("\n".join(data))
    return events


@dataclass
class Segment:
    """A segment as the upstream received it, decoded."""
    indices: list[int]
    sizes: list[tuple[int, int]]
    times_s: list[float] | None        # frames mode: the "t=...s" text before each image
    data_urls: list[str]               # frames mode: the image data URLs
    response: dict
    parts: list[UpPart]


class ChatEnv:
    def __init__(self, server, stubs: dict, models: list[str]):
        self.server = server
        self.stubs = stubs
        self.stub = stubs["main"]
        self.models = models
        self.api = server.api(0)
        self.api_other = server.api(1)   # a second key: sees none of the first key's streams
        self.base = server.base + "/v1"
        self.key = server.keys[0]
        self.a = self.b = ""

    # ---- streams
    def start_streams(self):
        self.a = self.api.create_test_pattern(width=A_W, height=A_H, fps=FPS, lease=False)["id"]
        self.b = self.api.create_test_pattern(width=B_W, height=B_H, fps=FPS, lease=False)["id"]
        self.api.wait_frames(self.a, 90, timeout=30)
        self.api.wait_frames(self.b, 90, timeout=30)

    def wait_frames(self, sid: str, n: int, timeout: float = 60):
        """Waits until frame n-1 exists."""
        return self.api.wait_frames(sid, n, timeout)

    def newest(self, sid: str) -> int:
        return self.api.stream(sid)["last_frame_index"]

    @staticmethod
    def ovs(sid: str, query: str) -> str:
        return f"ovs://streams/{sid}?{query}" if query else f"ovs://streams/{sid}"

    # ---- requests
    def post(self, body, key: str | None | int = 0, stream: bool = False,
             timeout: float = 60, **kw) -> requests.Response:
        if isinstance(key, int):
            key = self.server.keys[key]
        headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
        if isinstance(body, (bytes, str)):
            headers["Content-Type"] = "application/json"
            return requests.post(f"{self.base}/chat/completions", data=body, headers=headers,
                                 stream=stream, timeout=timeout, **kw)
        return requests.post(f"{self.base}/chat/completions", json=body, headers=headers,
                             stream=stream, timeout=timeout, **kw)

    def complete(self, body: dict) -> dict:
        r = self.post(body)
        assert r.status_code == 200, f"{r.status_code}: {r.text[:1000]}"
        assert r.headers.get("Content-Type", "").startswith("application/json"), r.headers
        out = r.json()
        assert out["object"] == "chat.completion", out
        return out

    def upstream(self, n: int = -1, stub: str = "main") -> dict:
        """The JSON body of the n-th chat request the stub received."""
        reqs = self.stubs[stub].chat_requests()
        assert reqs, f"the {stub} stub upstream received no chat request"
        return reqs[n].body

    def upstream_count(self, stub: str = "main") -> int:
        return len(self.stubs[stub].chat_requests())

    # ---- one reference, read back
    def ask_image(self, sid: str, query: str, model: str = "stub-frames",
                  source_height: int | None = None):
        """Sends [text, image_url ovs] and returns (response, the upstream picture)."""
        url = self.ovs(sid, query)
        resp = self.complete({"model": model, "messages": [user("What is this?", image(url))]})
        content = self.upstream()["messages"][0]["content"]
        parts = upstream_parts(content, source_height)
        assert len(parts) == 2, f"expected [text, image], upstream got {_brief(content)}"
        assert parts[0].raw == {"type": "text", "text": "What is this?"}
        assert parts[1].type == "image_url" and parts[1].picture is not None, _brief(content)
        return resp, parts[1].picture

    def ask_segment(self, sid: str, query: str, model: str = "stub-frames",
                    source_height: int | None = None) -> Segment:
        """Sends [text, video_url ovs] and decodes the frames the upstream received, in frames
        mode (time text + image pairs) or native mode (one MP4 video_url)."""
        url = self.ovs(sid, query)
        resp = self.complete({"model": model, "messages": [user("Describe.", video(url))]})
        content = self.upstream()["messages"][0]["content"]
        parts = upstream_parts(content, source_height)
        assert parts and parts[0].raw == {"type": "text", "text": "Describe."}, _brief(content)
        if model == "stub-native":
            assert len(parts) == 2, f"native mode: expected [text, video_url], got {_brief(content)}"
            assert parts[1].type == "video_url" and parts[1].video is not None, _brief(content)
            pics = parts[1].video
            return Segment([p.index for p in pics], [(p.width, p.height) for p in pics], None,
                           [], resp, parts)
        assert len(parts) % 2 == 1, f"frames mode: expected text + pairs, got {_brief(content)}"
        imgs = frames_mode_segment(parts, 1, (len(parts) - 1) // 2)
        times = [parts[1 + 2 * k].time_s for k in range(len(imgs))]
        return Segment([p.picture.index for p in imgs],
                       [(p.picture.width, p.picture.height) for p in imgs], times,
                       [p.raw["image_url"]["url"] for p in imgs], resp, parts)


def _brief(content) -> str:
    """Content with data URLs shortened, for assertion messages."""
    def short(v):
        if isinstance(v, str) and v.startswith("data:"):
            return v[:40] + f"...({len(v)} chars)"
        if isinstance(v, dict):
            return {k: short(x) for k, x in v.items()}
        if isinstance(v, list):
            return [short(x) for x in v]
        return v
    return json.dumps(short(content))[:3000]


brief = _brief


def envelope(r: requests.Response, status: int) -> dict:
    """The OpenAI error envelope with this HTTP status, whatever its code (for errors whose code
    the SPEC leaves open); returns the `error` object."""
    from conftest import assert_error   # tests/e2e/conftest.py
    try:
        code = r.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        code = "<no error envelope>"
    return assert_error(r, status, code)


def media_entry(resp: dict, i: int) -> dict:
    media = resp.get("ovs_media")
    assert isinstance(media, list), f"no ovs_media list in the response: {list(resp)}"
    assert i < len(media), f"ovs_media has {len(media)} entries, wanted #{i}: {media}"
    return media[i]


def expect_media(entry: dict, url: str, sid: str, first: int, last: int, count: int,
                 clamped: bool = False, fps: int = FPS):
    assert entry["url"] == url, entry
    assert entry["stream_id"] == sid, entry
    assert entry["frame_indices"] == {"first": first, "last": last, "count": count}, entry
    assert entry["timestamp_ms"] == {"first": ts(first, fps), "last": ts(last, fps)}, entry
    assert entry["clamped"] is clamped, entry

"""Every error of Chat Completions with references: invalid references with the JSON path of the
offending part in `param`, missing/foreign/unready streams, frames that do not exist (yet), clamping
and empty segments at the retention edge, unknown models, upstream failures (502/503/504), size
limits and the SSRF guard. The upstream never sees a request that failed before it."""

import base64
import http.server
import threading

import pytest

from chat.chat_helpers import FPS, envelope, image, media_entry, ts, user, video
from chat.chat_media import upstream_parts
from conftest import assert_error, new_key

pytestmark = pytest.mark.chat


def ref_request(chat, part, model="stub-frames"):
    """The reference as part 2 of message 1: param must be messages[1].content[2]...url."""
    return {"model": model, "messages": [
        {"role": "system", "content": "You watch a camera."},
        user("Look at this", "carefully:", part),
    ]}


IMAGE_PATH = "messages[1].content[2].image_url.url"
VIDEO_PATH = "messages[1].content[2].video_url.url"

BAD_IMAGE_QUERIES = [
    "",                                        # no anchor at all
    "tolerance_ms=50",                         # options but no anchor
    "max_pixels=1000",
    "frame_index=1&timestamp_ms=5",            # two anchors
    "timestamp_ms=5&offset_ms=5",
    "frame_index=1&offset_ms=-5",
    "frame_index=1&frame_index=2",             # duplicate key
    "timestamp_ms=5&timestamp_ms=5",
    "frame_index=1&foo=2",                     # unknown key
    "frame_index=1&FRAME_INDEX=1",
    "frame_index=abc",                         # malformed numbers
    "frame_index=1.5",
    "frame_index=",
    "frame_index=1e3",
    "frame_index=0x10",
    "frame_index=99999999999999999999999",
    "timestamp_ms=12x",
    "offset_ms=--5",
    "timestamp_ms=100&tolerance_ms=0",         # tolerance must be > 0
    "timestamp_ms=100&tolerance_ms=-5",
    "timestamp_ms=100&tolerance_ms=abc",
    "timestamp_ms=100&direction=sideways",
    "frame_index=1&max_pixels=0",
    "frame_index=1&max_pixels=-100",
    "frame_index=1&max_pixels=big",
    "start_frame_index=1",                     # segment keys on an image
    "start_timestamp_ms=0&end_timestamp_ms=100",
    "frame_index=1&max_fps=2",
    "frame_index=1&max_frames=3",
    "frame_index=1&end_frame_index=4",
]

BAD_VIDEO_QUERIES = [
    "",                                        # no start anchor
    "max_fps=2",
    "end_frame_index=10",
    "start_frame_index=1&start_timestamp_ms=5",    # two starts
    "start_timestamp_ms=1&start_offset_ms=5",
    "start_frame_index=1&end_frame_index=5&end_timestamp_ms=100",   # two ends
    "start_frame_index=1&start_frame_index=2",     # duplicate key
    "start_frame_index=1&end_frame_index=5&end_frame_index=6",
    "start_frame_index=1&max_fps=2&max_fps=3",
    "start_frame_index=1&bogus=1",                 # unknown key
    "start_frame_index=x",                         # malformed numbers
    "start_frame_index=1&end_frame_index=5.5",
    "start_frame_index=1&max_fps=abc",
    "start_frame_index=1&max_fps=",
    "start_frame_index=1&max_fps=0",               # max_fps > 0
    "start_frame_index=1&max_fps=-1",
    "start_frame_index=1&max_frames=0",
    "start_frame_index=1&max_frames=-2",
    "start_frame_index=1&max_frames=2.5",
    "start_frame_index=1&max_pixels=0",
    "start_frame_index=10&end_frame_index=10",     # start >= end
    "start_frame_index=10&end_frame_index=5",
    "start_timestamp_ms=2000&end_timestamp_ms=1000",
    "start_timestamp_ms=1000&end_timestamp_ms=1000",
    "start_offset_ms=2000&end_offset_ms=1000",
    "frame_index=5",                               # image keys on a video
    "timestamp_ms=5",
    "start_frame_index=1&tolerance_ms=10",
    "start_frame_index=1&direction=forward",
]

BAD_URLS = [
    "ovs://streams/bad$id?frame_index=1",
    "ovs://streams/" + "a" * 65 + "?frame_index=1",
    "ovs://streams/?frame_index=1",
    "ovs://streamz/{sid}?frame_index=1",
    "ovs://streams/{sid}/extra?frame_index=1",
    "ovs://{sid}?frame_index=1",
]


def expect_invalid(chat, r, param):
    err = assert_error(r, 422, "invalid_reference", param)
    assert chat.upstream_count() == 0, "an invalid request reached the upstream"
    return err


@pytest.mark.parametrize("query", BAD_IMAGE_QUERIES)
def test_invalid_image_reference(chat, query):
    r = chat.post(ref_request(chat, image(chat.ovs(chat.a, query))))
    expect_invalid(chat, r, IMAGE_PATH)


@pytest.mark.parametrize("query", BAD_VIDEO_QUERIES)
def test_invalid_video_reference(chat, query):
    chat.wait_frames(chat.a, 61)
    r = chat.post(ref_request(chat, video(chat.ovs(chat.a, query))))
    expect_invalid(chat, r, VIDEO_PATH)


@pytest.mark.parametrize("url", BAD_URLS)
def test_malformed_ovs_url(chat, url):
    r = chat.post(ref_request(chat, image(url.format(sid=chat.a))))
    expect_invalid(chat, r, IMAGE_PATH)


@pytest.mark.parametrize("model", ["stub-frames", "stub-native"])
def test_param_names_the_offending_part_anywhere(chat, model):
    good = chat.ovs(chat.a, "frame_index=1")
    bad = chat.ovs(chat.a, "start_frame_index=1&frame_index=2")
    body = {"model": model, "messages": [
        {"role": "system", "content": "sys"},
        user("a", image(good)),
        {"role": "assistant", "content": "ok"},
        user(video(chat.ovs(chat.a, "start_frame_index=0&end_frame_index=3")), "b", "c",
             image(good), video(bad)),
    ]}
    r = chat.post(body)
    expect_invalid(chat, r, "messages[3].content[4].video_url.url")
    # the first bad part is reported when there are several
    body["messages"][1]["content"][1] = image(chat.ovs(chat.a, "frame_index=x"))
    r = chat.post(body)
    expect_invalid(chat, r, "messages[1].content[1].image_url.url")


def test_unknown_stream(chat):
    r = chat.post(ref_request(chat, image("ovs://streams/no_such_stream?frame_index=-1")))
    assert_error(r, 404, "stream_not_found", IMAGE_PATH)
    r = chat.post(ref_request(chat, video("ovs://streams/no_such_stream?start_frame_index=0")))
    assert_error(r, 404, "stream_not_found", VIDEO_PATH)
    assert chat.upstream_count() == 0


def test_another_keys_stream_is_indistinguishable_from_a_missing_one(chat):
    other = chat.api_other.create_test_pattern(width=160, height=120, fps=FPS, lease=False)["id"]
    try:
        chat.api_other.wait_frames(other, 5)
        # the owner can use it
        r = chat.post(ref_request(chat, image(chat.ovs(other, "frame_index=1"))), key=1)
        assert r.status_code == 200, r.text
        chat.stub.reset()
        missing = "zz" + other[2:] if not other.startswith("zz") else "yy" + other[2:]
        r_foreign = chat.post(ref_request(chat, image(chat.ovs(other, "frame_index=1"))))
        r_missing = chat.post(ref_request(chat, image(chat.ovs(missing, "frame_index=1"))))
        e1 = assert_error(r_foreign, 404, "stream_not_found", IMAGE_PATH)
        e2 = assert_error(r_missing, 404, "stream_not_found", IMAGE_PATH)
        assert e1["type"] == e2["type"]
        assert e1["message"].replace(other, "ID") == e2["message"].replace(missing, "ID")
        assert chat.upstream_count() == 0
    finally:
        chat.api_other.delete(f"/v1/streams/{other}")


def test_stream_without_frames_is_not_ready(chat):
    from sources import free_port
    port = free_port()   # nothing listens: the stream keeps (re)connecting, no frame ever
    sid = chat.api.create_url(f"rtsp://127.0.0.1:{port}/cam", lease=False)["id"]
    try:
        r = chat.post(ref_request(chat, image(chat.ovs(sid, "frame_index=-1"))))
        assert_error(r, 409, "stream_not_ready", IMAGE_PATH)
        r = chat.post(ref_request(chat, video(chat.ovs(sid, "start_offset_ms=-1000"))))
        assert_error(r, 409, "stream_not_ready", VIDEO_PATH)
        assert chat.upstream_count() == 0
    finally:
        chat.api.delete(f"/v1/streams/{sid}")


@pytest.mark.parametrize("query", ["frame_index={far}", "timestamp_ms=999999999"])
def test_frame_newer_than_newest_is_not_available(chat, query):
    far = chat.newest(chat.a) + 100000
    r = chat.post(ref_request(chat, image(chat.ovs(chat.a, query.format(far=far)))))
    assert_error(r, 422, "frame_not_available", IMAGE_PATH)
    assert chat.upstream_count() == 0


@pytest.mark.parametrize("query", [
    "timestamp_ms=16&tolerance_ms=5",                       # frames at 0 and 33
    "timestamp_ms=1001&tolerance_ms=10&direction=forward",  # next frame is at 1033
    "timestamp_ms=1032&tolerance_ms=10&direction=backward", # previous is at 1000
    "offset_ms=16&tolerance_ms=5",
])
def test_no_frame_within_tolerance(chat, query):
    r = chat.post(ref_request(chat, image(chat.ovs(chat.a, query))))
    assert_error(r, 404, "frame_not_found", IMAGE_PATH)
    assert chat.upstream_count() == 0


def test_clamping_and_empty_segments_at_the_retention_edge(chat):
    """A short-retention stream: references before the oldest retained frame clamp to it
    (`clamped: true`); a segment entirely before it is `segment_empty`."""
    sid = chat.api.create_test_pattern(width=160, height=120, fps=FPS, lease=False,
                                       retention_seconds=1)["id"]
    try:
        st = chat.api.wait_stream(sid, lambda s: (s["first_available_frame_index"] or 0) >= 40,
                                  timeout=30, what="eviction of the first frames")
        oldest = st["first_available_frame_index"]

        # image before the window: the oldest retained frame, clamped
        r = chat.post(ref_request(chat, image(chat.ovs(sid, "frame_index=0"))))
        assert r.status_code == 200, r.text
        e = media_entry(r.json(), 0)
        pic = upstream_parts(chat.upstream()["messages"][1]["content"])[2].picture
        assert e["clamped"] is True
        assert e["frame_indices"]["first"] == pic.index >= oldest
        assert e["timestamp_ms"]["first"] == ts(pic.index)

        # a segment starting before the window: cut at the oldest frame, clamped
        now_oldest = chat.api.stream(sid)["first_available_frame_index"]
        end = chat.newest(sid) + 1
        r = chat.post(ref_request(chat, video(chat.ovs(
            sid, f"start_frame_index=0&end_frame_index={end}&max_fps=60"))))
        assert r.status_code == 200, r.text
        e = media_entry(r.json(), 0)
        parts = upstream_parts(chat.upstream()["messages"][1]["content"])
        idx = [p.picture.index for p in parts[3::2]]
        assert e["clamped"] is True
        assert idx == list(range(idx[0], end)), idx
        assert idx[0] >= now_oldest
        assert e["frame_indices"] == {"first": idx[0], "last": end - 1, "count": len(idx)}

        # a segment within the window is not clamped
        r = chat.post(ref_request(chat, video(chat.ovs(
            sid, f"start_frame_index={end - 5}&end_frame_index={end}&max_fps=60"))))
        assert r.status_code == 200, r.text
        assert media_entry(r.json(), 0)["clamped"] is False

        # a segment that ended before the oldest retained frame: nothing left
        chat.stub.reset()
        r = chat.post(ref_request(chat, video(chat.ovs(
            sid, "start_frame_index=0&end_frame_index=5"))))
        assert_error(r, 422, "segment_empty", VIDEO_PATH)
        r = chat.post(ref_request(chat, video(chat.ovs(
            sid, "start_timestamp_ms=0&end_timestamp_ms=100"))))
        assert_error(r, 422, "segment_empty", VIDEO_PATH)
        assert chat.upstream_count() == 0
    finally:
        chat.api.delete(f"/v1/streams/{sid}")


def test_unknown_model(chat):
    r = chat.post({"model": "no-such-model", "messages": [user("hi")]})
    assert_error(r, 404, "model_not_found")
    r = chat.post({"model": "no-such-model", "stream": True,
                   "messages": [user("hi", image(chat.ovs(chat.a, "frame_index=1")))]})
    assert_error(r, 404, "model_not_found")
    assert chat.upstream_count() == 0


def test_upstream_down_is_503(chat):
    r = chat.post({"model": "stub-down", "messages": [user("hi")]})
    envelope(r, 503)


def test_upstream_500_is_502(chat):
    r = chat.post({"model": "stub-failing", "messages": [
        user("hi", image(chat.ovs(chat.a, "frame_index=1")))]})
    envelope(r, 502)
    assert len(chat.stubs["failing"].chat_requests()) >= 1


def test_slow_upstream_is_504_and_is_cancelled(chat):
    slow = chat.stubs["slow"]
    r = chat.post({"model": "stub-slow", "messages": [user("hi")]}, timeout=25)
    envelope(r, 504)
    assert slow.wait_for(lambda s: s.exchanges and s.exchanges[-1].done.is_set(), 10), \
        "sightline kept the timed-out upstream request open"
    assert slow.exchanges[-1].disconnected


def test_unauthenticated(chat):
    body = {"model": "stub-frames", "messages": [user("hi")]}
    r = chat.post(body, key=None)
    envelope(r, 401)
    r = chat.post(body, key=new_key())
    envelope(r, 401)
    assert chat.upstream_count() == 0


@pytest.mark.parametrize("body", [
    b"{not json",
    b"[]",
    b'{"model": "stub-frames"}',
    b'{"messages": [{"role": "user", "content": "hi"}]}',
    b'{"model": "stub-frames", "messages": "hi"}',
    b'{"model": "stub-frames", "messages": [{"role": "user", "content": "hi"}], "n": 0}',
    b'{"model": "stub-frames", "messages": [{"role": "user", "content": [{"type": "image_url"}]}]}',
])
def test_malformed_requests_are_400(chat, body):
    r = chat.post(body)
    envelope(r, 400)
    assert chat.upstream_count() == 0


def test_oversized_data_url_is_413(chat):
    # 40 MB of base64 (30 MB decoded) in one image: over any sane data: URL limit
    blob = base64.b64encode(b"\xff\xd8\xff" + bytes(30 * 1024 * 1024)).decode()
    r = chat.post(ref_request(chat, image("data:image/jpeg;base64," + blob)), timeout=60)
    err = envelope(r, 413)
    assert err["param"] in (None, IMAGE_PATH), err
    assert chat.upstream_count() == 0


class _CountingHandler(http.server.BaseHTTPRequestHandler):
    hits = 0

    def log_message(self, *args):
        pass

    def do_GET(self):
        type(self).hits += 1
        self.send_response(200)
        self.send_header("Content-Type", "video/mp4")
        self.send_header("Content-Length", "4")
        self.end_headers()
        self.wfile.write(b"\0\0\0\0")


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "169.254.169.254", "10.0.0.1",
                                  "192.168.1.1", "[::1]"])
def test_frames_backend_refuses_to_fetch_private_video_urls(chat, host):
    """A frames-mode backend cannot take an http video, so sightline would have to fetch it: it
    refuses loopback, link-local (cloud metadata) and private addresses by default, without
    connecting."""
    handler = type("H", (_CountingHandler,), {"hits": 0})
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        port = srv.server_address[1] if host in ("127.0.0.1", "localhost") else 80
        url = f"http://{host}:{port}/clip.mp4"
        r = chat.post(ref_request(chat, video(url)), timeout=30)
        assert 400 <= r.status_code < 500, f"{r.status_code}: {r.text[:500]}"
        err = envelope(r, r.status_code)
        assert err["param"] == VIDEO_PATH, err
        assert handler.hits == 0, "sightline connected to a loopback address"
        assert chat.upstream_count() == 0
    finally:
        srv.shutdown()
        srv.server_close()

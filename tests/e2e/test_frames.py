"""GET /v1/streams/{id}/frame on a test_pattern stream, whose barcode is the lifetime frame index
exactly: every addressing mode and every error of SPEC §3 for image references."""

import time

import pytest

import barcode
from conftest import assert_error, raw_request

FPS = 30
W, H = 320, 240


@pytest.fixture(scope="module")
def pattern(server):
    api = server.api(0)
    s = api.create_test_pattern(width=W, height=H, fps=FPS, lease=False)
    api.wait_frames(s["id"], 90, timeout=30)
    yield s["id"]
    api.delete(f"/v1/streams/{s['id']}")


def headers_of(r):
    return (int(r.headers["X-Frame-Index"]), int(r.headers["X-Frame-Timestamp-Ms"]),
            r.headers["X-Frame-Clamped"])


@pytest.mark.parametrize("n", [0, 1, 2, 29, 30, 31, 59, 60, 77])
def test_frame_index_returns_that_frame(api, pattern, n):
    r = api.frame_ok(pattern, f"frame_index={n}")
    idx, ts, clamped = headers_of(r)
    assert idx == n and clamped == "false"
    assert barcode.read_barcode(r.content) == n
    assert barcode.image_size(r.content) == (W, H)
    assert ts == pytest.approx(n * 1000 / FPS, abs=1.0)


def test_newest_frame(api, pattern):
    st_before = api.stream(pattern)
    r = api.frame_ok(pattern, "frame_index=-1")
    st_after = api.stream(pattern)
    idx, _, clamped = headers_of(r)
    assert st_before["last_frame_index"] <= idx <= st_after["last_frame_index"]
    assert barcode.read_barcode(r.content) == idx % 65536
    assert clamped == "false"


def test_no_query_is_newest(api, pattern):
    r = api.frame_ok(pattern)
    idx, _, _ = headers_of(r)
    assert barcode.read_barcode(r.content) == idx % 65536
    assert idx >= api.stream(pattern)["last_frame_index"] - FPS


@pytest.mark.parametrize("back", [2, 5, 31])
def test_negative_frame_index_counts_back(api, pattern, back):
    # Pause between the two requests is irrelevant: the header says which frame came back, and
    # -N must be exactly N-1 before the newest at the time the request arrived.
    r = api.frame_ok(pattern, f"frame_index=-{back}")
    idx, _, _ = headers_of(r)
    assert barcode.read_barcode(r.content) == idx
    newest = api.stream(pattern)["last_frame_index"]
    assert newest - idx >= back - 1
    assert newest - idx <= back - 1 + FPS  # at most ~1 s of frames arrived since


@pytest.mark.parametrize("k", [0, 1, 10, 30, 45])
def test_timestamp_nearest(api, pattern, k):
    t = round(k * 1000 / FPS)
    r = api.frame_ok(pattern, f"timestamp_ms={t}")
    idx, ts, _ = headers_of(r)
    assert idx == round(t * FPS / 1000) == k
    assert barcode.read_barcode(r.content) == k
    # A few ms off still picks the nearest frame.
    r = api.frame_ok(pattern, f"timestamp_ms={t + 7}")
    assert headers_of(r)[0] == k


def test_timestamp_direction(api, pattern):
    k = 20
    ts_k = headers_of(api.frame_ok(pattern, f"frame_index={k}"))[1]
    fwd = api.frame_ok(pattern, f"timestamp_ms={ts_k + 1}&direction=forward")
    assert headers_of(fwd)[0] == k + 1
    assert barcode.read_barcode(fwd.content) == k + 1
    bwd = api.frame_ok(pattern, f"timestamp_ms={ts_k - 1}&direction=backward")
    assert headers_of(bwd)[0] == k - 1
    exact = api.frame_ok(pattern, f"timestamp_ms={ts_k}&direction=forward")
    assert headers_of(exact)[0] == k
    exact = api.frame_ok(pattern, f"timestamp_ms={ts_k}&direction=backward")
    assert headers_of(exact)[0] == k
    near = api.frame_ok(pattern, f"timestamp_ms={ts_k + 1}&direction=nearest")
    assert headers_of(near)[0] == k


def test_tolerance_too_small_is_frame_not_found(api, pattern):
    k = 40
    ts_k = headers_of(api.frame_ok(pattern, f"frame_index={k}"))[1]
    ts_next = headers_of(api.frame_ok(pattern, f"frame_index={k + 1}"))[1]
    mid = (ts_k + ts_next) // 2
    assert_error(api.frame(pattern, f"timestamp_ms={mid}&tolerance_ms=1"), 404, "frame_not_found")
    assert_error(api.frame(pattern, f"timestamp_ms={mid}&tolerance_ms=1&direction=forward"),
                 404, "frame_not_found")
    ok = api.frame_ok(pattern, f"timestamp_ms={mid}&tolerance_ms=40")
    assert headers_of(ok)[0] in (k, k + 1)
    ok = api.frame_ok(pattern, f"timestamp_ms={mid}&tolerance_ms=40&direction=forward")
    assert headers_of(ok)[0] == k + 1


def test_timestamp_in_the_future(api, pattern):
    st = api.stream(pattern)
    far = st["stream_time_ms"] + 60_000
    r = api.frame(pattern, f"timestamp_ms={far}")
    assert_error(r, r.status_code, ("frame_not_available", "frame_not_found"))
    assert r.status_code in (404, 422)


def test_offset_negative_is_near_now(api, pattern):
    r = api.frame_ok(pattern, "offset_ms=-1")
    idx, _, _ = headers_of(r)
    newest = api.stream(pattern)["last_frame_index"]
    assert newest - idx <= FPS, (idx, newest)   # slack: frames that arrived since
    assert barcode.read_barcode(r.content) == idx % 65536
    r = api.frame_ok(pattern, "offset_ms=-1000&tolerance_ms=200")
    idx2, _, _ = headers_of(r)
    newest = api.stream(pattern)["last_frame_index"]
    assert FPS // 2 <= newest - idx2 <= 3 * FPS, (idx2, newest)


def test_offset_positive_counts_from_oldest(api, pattern):
    r = api.frame_ok(pattern, "offset_ms=1000")
    idx, ts, _ = headers_of(r)
    assert idx == FPS   # the oldest retained frame is frame 0 at t=0
    assert barcode.read_barcode(r.content) == FPS
    r = api.frame_ok(pattern, "offset_ms=0")
    assert headers_of(r)[0] == 0


@pytest.mark.parametrize("max_pixels,size", [(W * H, (W, H)), (W * H // 4, (W // 2, H // 2)),
                                              (20_000, None)])
def test_max_pixels_downscales(api, pattern, max_pixels, size):
    r = api.frame_ok(pattern, f"frame_index=50&max_pixels={max_pixels}")
    w, h = barcode.image_size(r.content)
    assert w * h <= max_pixels
    if size:
        assert (w, h) == size
    else:
        assert w * h >= max_pixels * 0.8
        assert abs(w / h - W / H) < 0.05
    assert barcode.read_barcode(r.content, source_height=H) == 50


def test_repeats_are_byte_identical(api, pattern):
    a = api.frame_ok(pattern, "frame_index=33").content
    b = api.frame_ok(pattern, "frame_index=33").content
    c = api.frame_ok(pattern, "timestamp_ms=1100").content   # 1100 ms -> frame 33
    assert a == b == c
    s1 = api.frame_ok(pattern, "frame_index=33&max_pixels=19200").content
    s2 = api.frame_ok(pattern, "frame_index=33&max_pixels=19200").content
    assert s1 == s2 and s1 != a


def test_future_frame_is_not_available(api, pattern):
    newest = api.stream(pattern)["last_frame_index"]
    assert_error(api.frame(pattern, f"frame_index={newest + 100000}"), 422, "frame_not_available")


def test_counting_back_past_everything_clamps_or_fails_cleanly(api, pattern):
    r = api.frame(pattern, "frame_index=-100000000")
    if r.status_code == 200:
        idx, _, clamped = headers_of(r)
        assert idx == api.stream(pattern)["first_available_frame_index"] and clamped == "true"
    else:
        assert_error(r, r.status_code, ("frame_not_found", "frame_not_available",
                                        "invalid_reference"))


BAD_QUERIES = [
    "frame_index=1&timestamp_ms=2",          # two anchors
    "timestamp_ms=1&offset_ms=2",
    "frame_index=1&frame_index=2",           # duplicate keys
    "timestamp_ms=1&timestamp_ms=1",
    "bogus=1",                                # unknown key
    "frame_index=1&colour=blue",
    "frame_index=abc",                        # malformed numbers
    "frame_index=",
    "frame_index=12abc",
    "frame_index=1.5",
    "frame_index=--1",
    "frame_index=99999999999999999999999999",
    "timestamp_ms=ten",
    "offset_ms=1e",
    "timestamp_ms=100&tolerance_ms=0",        # tolerance > 0
    "timestamp_ms=100&tolerance_ms=-5",
    "timestamp_ms=100&tolerance_ms=x",
    "timestamp_ms=100&direction=sideways",
    "frame_index=1&max_pixels=0",
    "frame_index=1&max_pixels=-10",
    "frame_index=1&max_pixels=lots",
    "start_frame_index=0",                    # segment keys on the frame endpoint
    "frame_index=1&max_fps=1",
    "frame_index=1&end_offset_ms=0",
    "frame_index=1&max_frames=3",
    "tolerance_ms=100",                        # no anchor
    "direction=forward",
    "frame_index=%zz",                         # malformed percent-encoding
    "frame_index=%",
    "frame%ZZindex=1",
]


@pytest.mark.parametrize("query", BAD_QUERIES)
def test_invalid_reference(server, pattern, query):
    # Sent byte for byte: requests would "repair" the malformed escapes.
    res = raw_request(server.port, "GET", f"/v1/streams/{pattern}/frame?{query}",
                      {"Authorization": f"Bearer {server.keys[0]}"})
    assert_error(res, 422, "invalid_reference", param="query")


def test_tolerance_with_frame_index_is_invalid(api, pattern):
    # SPEC §3: tolerance_ms and direction go with timestamp_ms/offset_ms only.
    assert_error(api.frame(pattern, "frame_index=1&tolerance_ms=50"), 422, "invalid_reference")
    assert_error(api.frame(pattern, "frame_index=1&direction=forward"), 422, "invalid_reference")


@pytest.mark.parametrize("query", ["frame_index=%33%30", "frame%5Findex=30"])
def test_percent_encoded_query_is_decoded(server, pattern, query):
    status, headers, body = raw_request(server.port, "GET", f"/v1/streams/{pattern}/frame?{query}",
                                        {"Authorization": f"Bearer {server.keys[0]}"})
    assert status == 200, body[:300]
    assert int(headers["x-frame-index"]) == 30 and barcode.read_barcode(body) == 30


def test_not_ready_stream(api):
    # A url source pointing at a port where nothing listens has no frame yet.
    s = api.create_url("rtmp://127.0.0.1:9/live/nothing")
    st = api.stream(s["id"])
    assert st["last_frame_index"] is None and st["state"] in ("connecting", "reconnecting")
    assert_error(api.frame(s["id"], "frame_index=-1"), 409, "stream_not_ready")
    assert_error(api.frame(s["id"], "frame_index=0"), 409, "stream_not_ready")
    assert_error(api.frame(s["id"]), 409, "stream_not_ready")


def test_old_frames_clamp_to_the_oldest(api):
    s = api.create_test_pattern(width=160, height=120, fps=FPS, retention_seconds=1, lease=False)
    st = api.wait_stream(s["id"], lambda x: (x["evicted_frame_count"] or 0) > 2 * FPS, 20,
                         "evictions")
    assert st["first_available_frame_index"] > 0
    assert st["retained_frame_count"] <= 3 * FPS   # ~1 s, evicted in whole GOPs
    r = api.frame_ok(s["id"], "frame_index=0")
    idx, _, clamped = headers_of(r)
    assert clamped == "true"
    assert idx >= st["first_available_frame_index"]
    assert barcode.read_barcode(r.content) == idx % 65536
    r = api.frame_ok(s["id"], "timestamp_ms=0")
    idx, _, clamped = headers_of(r)
    assert clamped == "true" and barcode.read_barcode(r.content) == idx % 65536
    r = api.frame_ok(s["id"], "frame_index=-1")
    assert headers_of(r)[2] == "false"


def test_frames_keep_coming_while_read(api, pattern):
    # Reading many frames quickly must not stall ingest.
    before = api.stream(pattern)["last_frame_index"]
    t0 = time.monotonic()
    for i in range(60):
        api.frame_ok(pattern, f"frame_index={i}&max_pixels=4800")
    time.sleep(max(0.0, 1.0 - (time.monotonic() - t0)))
    after = api.stream(pattern)["last_frame_index"]
    assert after > before


def test_parallel_requests_all_get_the_right_frame(server, pattern):
    from concurrent.futures import ThreadPoolExecutor

    def worker(w):
        api = server.api(0)
        out = []
        for i in range(25):
            n = (w * 25 + i) % 90
            q = f"frame_index={n}" + ("&max_pixels=19200" if i % 3 == 0 else "")
            r = api.frame(pattern, q)
            out.append((n, r.status_code, int(r.headers.get("X-Frame-Index", -1)),
                        barcode.read_barcode(r.content, source_height=H)
                        if r.status_code == 200 else None))
        return out

    with ThreadPoolExecutor(8) as ex:
        results = [x for chunk in ex.map(worker, range(8)) for x in chunk]
    bad = [x for x in results if not (x[1] == 200 and x[0] == x[2] == x[3])]
    assert not bad, bad[:10]

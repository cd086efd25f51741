"""The streams API: create/list/get/delete, the stream object, leases, per-key isolation and
limits, and validation of create bodies."""

import time

import pytest

from conftest import assert_error

STREAM_FIELDS = {
    "id", "stream_id", "state", "end_reason", "last_error", "source", "created_at_ms",
    "first_frame_at_ms", "last_frame_at_ms", "stream_time_ms", "last_frame_index",
    "first_available_frame_index", "recent_fps", "width", "height", "retained_frame_count",
    "evicted_frame_count", "retention_seconds", "ttl_seconds", "expires_at_ms",
}


def test_create_returns_the_stream_object(api):
    before_ms = int(time.time() * 1000)
    s = api.create_test_pattern(width=320, height=240, fps=30, name="cam-1",
                                retention_seconds=120)
    assert STREAM_FIELDS <= set(s), STREAM_FIELDS - set(s)
    assert s["id"] == s["stream_id"]
    assert isinstance(s["id"], str) and 1 <= len(s["id"]) <= 64
    assert all(c.isalnum() or c in "-_" for c in s["id"]), s["id"]
    assert s["state"] in ("connecting", "active")
    assert s["end_reason"] in (None, "")
    assert s["source"]["type"] == "test_pattern"
    assert s["retention_seconds"] == 120
    assert abs(s["created_at_ms"] - before_ms) < 60_000
    assert s.get("name") == "cam-1"


def test_stream_becomes_active_with_frames(api):
    s = api.create_test_pattern(width=320, height=240, fps=30)
    st = api.wait_frames(s["id"], 10)
    assert st["width"] == 320 and st["height"] == 240
    assert st["first_frame_at_ms"] is not None and st["last_frame_at_ms"] >= st["first_frame_at_ms"]
    assert st["first_available_frame_index"] == 0
    assert st["retained_frame_count"] >= 10
    assert st["evicted_frame_count"] == 0
    assert st["stream_time_ms"] >= 0
    time.sleep(1.0)
    st2 = api.stream(s["id"])
    assert st2["last_frame_index"] > st["last_frame_index"]
    assert 10 <= st2["recent_fps"] <= 40, st2["recent_fps"]


def test_list_get_delete(api):
    a = api.create_test_pattern()
    b = api.create_test_pattern()
    r = api.get("/v1/streams")
    assert r.status_code == 200
    body = r.json()
    assert body["object"] == "list"
    ids = {s["id"] for s in body["data"]}
    assert {a["id"], b["id"]} <= ids
    for s in body["data"]:
        assert STREAM_FIELDS <= set(s)

    r = api.delete(f"/v1/streams/{a['id']}")
    assert r.status_code in (200, 204), r.text
    if r.status_code == 200:
        gone = r.json()
        assert gone["id"] == a["id"]
        assert gone["state"] == "ended" and gone["end_reason"] == "deleted", gone
    assert_error(api.get(f"/v1/streams/{a['id']}"), 404, "stream_not_found")
    assert_error(api.delete(f"/v1/streams/{a['id']}"), 404, "stream_not_found")
    assert_error(api.frame(a["id"]), 404, "stream_not_found")
    ids = {s["id"] for s in api.get("/v1/streams").json()["data"]}
    assert a["id"] not in ids and b["id"] in ids


def test_unknown_stream_is_404(api):
    assert_error(api.get("/v1/streams/nope_nope"), 404, "stream_not_found")
    assert_error(api.post("/v1/streams/nope_nope/keepalive"), 404, "stream_not_found")
    assert_error(api.frame("nope_nope", "frame_index=-1"), 404, "stream_not_found")


def test_lease_expires(api):
    s = api.create_test_pattern(width=64, height=64, fps=5, lease={"ttl_seconds": 2})
    assert s["ttl_seconds"] == 2
    assert s["expires_at_ms"] is not None
    assert s["expires_at_ms"] - s["created_at_ms"] == pytest.approx(2000, abs=1500)
    st = api.wait_stream(s["id"], lambda x: x["state"] == "ended", 10, "expiry")
    assert st["end_reason"] == "expired", st


def test_keepalive_extends_the_lease(api):
    s = api.create_test_pattern(width=64, height=64, fps=5, lease={"ttl_seconds": 2})
    last_expiry = s["expires_at_ms"]
    t_end = time.monotonic() + 5
    while time.monotonic() < t_end:
        r = api.post(f"/v1/streams/{s['id']}/keepalive")
        assert r.status_code == 200, r.text
        k = r.json()
        assert {"id", "expires_at_ms", "ttl_seconds", "stream_time_ms"} <= set(k), k
        assert k["id"] == s["id"] and k["ttl_seconds"] == 2
        assert k["expires_at_ms"] >= last_expiry
        last_expiry = k["expires_at_ms"]
        time.sleep(0.7)
    st = api.stream(s["id"])
    assert st["state"] in ("active", "connecting"), st
    assert st["expires_at_ms"] > s["expires_at_ms"] + 3000
    st = api.wait_stream(s["id"], lambda x: x["state"] == "ended", 10, "expiry")
    assert st["end_reason"] == "expired"


def test_lease_true_uses_default_ttl(api):
    s = api.create_test_pattern(width=64, height=64, fps=5, lease=True)
    assert s["ttl_seconds"] == 300, s
    assert s["expires_at_ms"] > s["created_at_ms"]


def test_no_lease(api):
    s = api.create_test_pattern(width=64, height=64, fps=5, lease=False)
    assert s["ttl_seconds"] is None and s["expires_at_ms"] is None, s


def test_per_key_isolation(server):
    a, b = server.api(0), server.api(1)
    s = a.create_test_pattern(width=64, height=64, fps=5)
    try:
        a.wait_frames(s["id"], 1)
        assert_error(b.get(f"/v1/streams/{s['id']}"), 404, "stream_not_found")
        assert_error(b.frame(s["id"], "frame_index=-1"), 404, "stream_not_found")
        assert_error(b.post(f"/v1/streams/{s['id']}/keepalive"), 404, "stream_not_found")
        assert_error(b.delete(f"/v1/streams/{s['id']}"), 404, "stream_not_found")
        assert s["id"] not in {x["id"] for x in b.get("/v1/streams").json()["data"]}
        # Still alive and fine for its owner after the other key's attempts.
        assert a.stream(s["id"])["state"] == "active"
        a.frame_ok(s["id"], "frame_index=-1")
    finally:
        a.delete(f"/v1/streams/{s['id']}")


def test_per_key_limit(start_server):
    srv = start_server("--max-streams-per-key", "2")
    a, b = srv.api(0), srv.api(1)
    s1 = a.create_test_pattern(width=64, height=64, fps=5)
    a.create_test_pattern(width=64, height=64, fps=5)
    r = a.post("/v1/streams", json={"source": {"type": "test_pattern", "width": 64,
                                               "height": 64, "fps": 5}})
    assert_error(r, 429, "too_many_streams")
    # The limit is per key: the other key still has room.
    b.create_test_pattern(width=64, height=64, fps=5)
    # Deleting one frees a slot.
    assert a.delete(f"/v1/streams/{s1['id']}").status_code in (200, 204)
    a.create_test_pattern(width=64, height=64, fps=5)


def test_demo_stream_is_shared_by_every_key(start_server):
    srv = start_server("--demo")
    for k in (0, 1):
        api = srv.api(k)
        st = api.wait_frames("demo", 3, timeout=20)
        assert st["id"] == "demo"
        api.frame_ok("demo", "frame_index=-1")


BAD_BODIES = [
    # (body, param)
    ({}, "source"),
    ({"source": None}, "source"),
    ({"source": "rtsp://127.0.0.1/x"}, "source"),
    ({"source": {}}, "source.type"),
    ({"source": {"type": "carrier_pigeon"}}, "source.type"),
    ({"source": {"type": 5}}, "source.type"),
    ({"source": {"type": "url"}}, "source.url"),
    ({"source": {"type": "url", "url": 42}}, "source.url"),
    ({"source": {"type": "url", "url": ""}}, "source.url"),
    ({"source": {"type": "url", "url": "not a url"}}, "source.url"),
    ({"source": {"type": "url", "url": "gopher://127.0.0.1/x"}}, "source.url"),
    ({"source": {"type": "url", "url": "file:///etc/passwd"}}, "source.url"),
    ({"source": {"type": "test_pattern", "width": "big", "height": 64, "fps": 5}}, "source.width"),
    ({"source": {"type": "test_pattern", "width": 100000, "height": 100000, "fps": 5}},
     ("source.width", "source.height")),
    ({"source": {"type": "test_pattern", "width": 0, "height": 64, "fps": 5}}, "source.width"),
    ({"source": {"type": "test_pattern", "width": 64, "height": -1, "fps": 5}}, "source.height"),
    ({"source": {"type": "test_pattern", "width": 64, "height": 64, "fps": 0}}, "source.fps"),
    ({"source": {"type": "test_pattern", "width": 64, "height": 64, "fps": "x"}}, "source.fps"),
    ({"source": {"type": "test_pattern"}, "retention_seconds": "long"}, "retention_seconds"),
    ({"source": {"type": "test_pattern"}, "retention_seconds": -5}, "retention_seconds"),
    ({"source": {"type": "test_pattern"}, "name": 5}, "name"),
    ({"source": {"type": "test_pattern"}, "lease": "yes"}, "lease"),
    ({"source": {"type": "test_pattern"}, "lease": {"ttl_seconds": -1}}, ("lease", "lease.ttl_seconds")),
    ({"source": {"type": "test_pattern"}, "lease": {"ttl_seconds": "x"}}, ("lease", "lease.ttl_seconds")),
]


@pytest.mark.parametrize("body,param", BAD_BODIES, ids=[str(i) for i in range(len(BAD_BODIES))])
def test_invalid_create_body(api, body, param):
    r = api.post("/v1/streams", json=body)
    err = assert_error(r, 400, ("invalid_request", "unsupported"))
    params = param if isinstance(param, tuple) else (param,)
    assert err["param"] in params, f"{body}: param {err['param']!r}, expected {params}"


def test_file_outside_root_is_refused(server, api, tmp_path):
    outside = tmp_path / "outside.ts"
    outside.write_bytes(b"\0" * 188)
    for url in (f"file://{outside}", f"file://{server.file_root}/../{outside.name}",
                f"file://{server.file_root}/%2e%2e/x.ts"):
        r = api.post("/v1/streams", json={"source": {"type": "url", "url": url}})
        err = assert_error(r, 400, ("invalid_request", "unsupported"))
        assert err["param"] == "source.url", err


@pytest.mark.parametrize("raw", [b'{"source":', b"[]", b"null", b"not json", b"", b'{"source": {"type": "test_pattern"}} trailing'])
def test_malformed_json_is_400(api, raw):
    r = api.post("/v1/streams", data=raw, headers={"Content-Type": "application/json"})
    assert_error(r, 400, "invalid_request")


def test_anchor_source_type_names_are_accepted(api):
    # {"type":"rtsp"|"hls","url"} are the anchor's names for url sources.
    for t, url in (("rtsp", "rtsp://127.0.0.1:9/x"), ("hls", "http://127.0.0.1:9/x.m3u8")):
        s = api.create_stream({"type": t, "url": url})
        assert s["state"] in ("connecting", "reconnecting")
        api.delete(f"/v1/streams/{s['id']}")


def test_continuous_inference_settings_are_checked_at_creation(api):
    """SPEC section 5: a job out of range is a 422 naming the field and the range."""
    r = api.post("/v1/streams", json={"source": {"type": "test_pattern"},
                                      "processing": {"mode": "clip", "target_fps": 60},
                                      "inference": {"prompt": "is the stove on?"}})
    err = assert_error(r, 422, "invalid_value", "processing.target_fps")
    assert "1 to 30" in err["message"]
    r = api.post("/v1/streams", json={"source": {"type": "test_pattern"},
                                      "processing": {"mode": "frame", "interval_seconds": 0.5}})
    assert_error(r, 422, "invalid_value", "inference.prompt")
    ok = api.create_test_pattern(width=160, height=120, fps=10,
                                 processing={"mode": "frame", "interval_seconds": 0.5},
                                 inference={"prompt": "count the people", "model": "m"})
    assert ok["state"] in ("connecting", "active")

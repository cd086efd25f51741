"""WebRTC and WHIP ingest end to end (issue 8): Debian's Chromium, headless, publishes its fake
camera (a y4m file whose frames carry the SPEC section 7 barcode) from a page on another origin;
a GStreamer webrtcbin script publishes over WHIP as an independent client. The barcodes prove
that frames arrive in order, at the camera's rate, and that each stored index is exactly one
camera frame."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import barcode
import browser
from conftest import assert_error

pytestmark = [pytest.mark.sources, pytest.mark.timeout(240)]
needs_chromium = pytest.mark.skipif(not browser.chromium_available(),
                                    reason="chromium not installed (scripts/setup.sh installs it)")

W, H, FPS = 320, 240, 30
FILE_FRAMES = 300            # the fake camera loops the file: barcodes run 0..299, 0..
NO_MEDIA_MS = 2000           # the servers here notice a silent publisher after this
HERE = Path(__file__).resolve().parent
SYSTEM_PYTHON = os.environ.get("SIGHTLINE_SYSTEM_PYTHON", "/usr/bin/python3")


def webrtc_config(tmp: Path, **extra) -> Path:
    cfg = {"webrtc": {"allow_loopback": True, "bind_addresses": ["127.0.0.1"], "ice_tcp": False,
                      "no_media_timeout_ms": NO_MEDIA_MS, **extra}}
    path = tmp / "webrtc.json"
    path.write_text(json.dumps(cfg))
    return path


@pytest.fixture(scope="module")
def camera_file(tmp_path_factory) -> Path:
    return browser.make_barcode_y4m(tmp_path_factory.mktemp("camera") / "barcode.y4m",
                                    W, H, FPS, FILE_FRAMES)


@pytest.fixture(scope="module")
def page():
    p = browser.PageServer()
    yield p
    p.stop()


@pytest.fixture(scope="module")
def rtc_server(tmp_path_factory, page, request):
    """One server for the module, with loopback ICE and the page's origin allowed."""
    from conftest import _Servers
    tmp = tmp_path_factory.mktemp("webrtc_server")
    servers = _Servers(tmp)
    srv = servers("--config", str(webrtc_config(tmp)), "--cors-origin", page.origin,
                  "--max-streams-per-key", "64")
    yield srv
    problems = servers.finish(report_logs=False)
    assert not problems, "; ".join(problems) + "\n" + srv.log()[-6000:]


@pytest.fixture
def chrome(tmp_path, page, rtc_server, request):
    if not browser.chromium_available():
        pytest.skip("chromium not installed (scripts/setup.sh installs it)")
    camera_file = request.getfixturevalue("camera_file")
    b = browser.Browser(tmp_path, camera_file)
    b.navigate(page.origin + "/publisher.html")
    yield b
    if any(getattr(getattr(request.node, f"rep_{w}", None), "failed", False)
           for w in ("setup", "call")):
        print(f"---- chromium log ----\n{b.tail()}\n---- sightline log ----\n"
              f"{rtc_server.log()[-6000:]}")
    b.stop()


def step(a: int, b: int) -> int:
    """How many camera frames b is after a (the file loops)."""
    return (b - a) % FILE_FRAMES


def check_camera_frames(api, sid: str, count: int = 60) -> None:
    """`count` consecutive stored frames from a point after the start: in camera order, at the
    camera's rate, and each index addressing one camera frame (the same one every time)."""
    st = api.wait_frames(sid, 90 + count, timeout=60)
    assert (st["width"], st["height"]) == (W, H), st
    first = st["last_frame_index"] - count - 10
    codes, stamps = [], []
    for i in range(first, first + count):
        r = api.frame_ok(sid, f"frame_index={i}")
        assert int(r.headers["X-Frame-Index"]) == i
        codes.append(barcode.read_barcode(r.content))
        stamps.append(int(r.headers["X-Frame-Timestamp-Ms"]))
    steps = [step(a, b) for a, b in zip(codes, codes[1:])]
    assert all(1 <= s <= 5 for s in steps), f"frames out of order or repeated: {codes}"
    exact = sum(1 for s in steps if s == 1)
    assert exact >= 0.9 * len(steps), f"too many camera frames skipped: {codes}"
    assert all(b > a for a, b in zip(stamps, stamps[1:])), stamps
    # The camera's rate, from the frames themselves: camera frames advanced per stream second.
    rate = sum(steps) * 1000.0 / (stamps[-1] - stamps[0])
    assert 26 <= rate <= 34, f"{rate:.1f} camera frames per stream second: {codes} {stamps}"
    # Exactly addressable: the same index is the same camera frame, by index or by its time.
    for k in (0, count // 2, count - 1):
        assert api.barcode_at(sid, first + k) == codes[k]
        r = api.frame_ok(sid, f"timestamp_ms={stamps[k]}&tolerance_ms=1")
        assert int(r.headers["X-Frame-Index"]) == first + k
    assert 20 <= api.stream(sid)["recent_fps"] <= 40


def publish_offer(chrome, server, codec: str, **opts) -> dict:
    res = chrome.call("publishOffer", server.base, server.keys[0], {"codec": codec, **opts})
    assert res["status"] == 201, res
    return res


def sent_codec(chrome) -> str:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        c = chrome.evaluate("sentCodec()")
        if c:
            return c.lower()
        time.sleep(0.2)
    return ""


# ---------------------------------------------------------------------------------------------
# The offer inside POST /v1/streams

@pytest.mark.parametrize("codec", ["vp8", "h264"])
def test_browser_offer_in_create(rtc_server, chrome, codec):
    api = rtc_server.api(0)
    res = publish_offer(chrome, rtc_server, codec)
    assert res["ice_servers"] == []
    sid = res["id"]
    check_camera_frames(api, sid)
    assert sent_codec(chrome) == f"video/{codec}"
    st = api.stream(sid)
    assert st["state"] == "active" and st["source"] == {"type": "webrtc"}, st
    api.delete(f"/v1/streams/{sid}")


def test_av1_first_offer_negotiates_a_supported_codec(rtc_server, chrome):
    # Chromium offers AV1 first here; GStreamer 1.22 cannot depayload it, so it must be
    # negotiated away (never accepted and then broken): VP8, VP9 or H.264 flows instead.
    res = publish_offer(chrome, rtc_server, "av1")
    st = rtc_server.api(0).wait_frames(res["id"], 30, timeout=40)
    assert st["state"] == "active"
    assert sent_codec(chrome) in ("video/vp8", "video/vp9", "video/h264")


def test_av1_only_offer_is_refused(rtc_server, chrome):
    res = chrome.call("publishOffer", rtc_server.base, rtc_server.keys[0],
                      {"codec": "av1", "only": True})
    assert res["status"] == 422, res
    assert res["body"]["error"]["code"] == "unsupported_media"
    assert "AV1" in res["body"]["error"]["message"], res


# ---------------------------------------------------------------------------------------------
# WHIP

def create_whip(api, **fields) -> dict:
    r = api.post("/v1/streams", json={"source": {"type": "whip"}, "lease": False, **fields})
    assert r.status_code == 201, r.text
    s = r.json()
    assert s["publish"]["type"] == "whip", s
    assert s["publish"]["url"].endswith(f"/v1/streams/{s['id']}/whip"), s
    assert len(s["publish"]["token"]) >= 32 and s["publish"]["token"] not in s["publish"]["url"]
    assert s["state"] == "connecting"
    return s


@pytest.mark.parametrize("codec", ["vp8", "h264"])
def test_browser_whip(rtc_server, chrome, codec):
    api = rtc_server.api(0)
    s = create_whip(api)
    res = chrome.call("publishWhip", s["publish"]["url"], s["publish"]["token"], {"codec": codec})
    assert res["status"] == 201, res
    # The session is named by its own secret, not by the stream id or the token.
    session = res["location"].rsplit("/", 1)[1]
    assert res["location"].startswith(s["publish"]["url"] + "/") and len(session) >= 32
    assert session != s["publish"]["token"]
    check_camera_frames(api, s["id"])
    assert sent_codec(chrome) == f"video/{codec}"
    # DELETE on the session ends the stream (the publisher said it is done).
    assert chrome.call("whipDelete") == 200
    st = api.wait_stream(s["id"], lambda x: x["state"] in ("ended", "failed"), 10, "end")
    assert st["end_reason"] == "source_ended", st


def test_whip_protocol_errors(rtc_server, chrome):
    api = rtc_server.api(0)
    s = create_whip(api)
    url, token = s["publish"]["url"], s["publish"]["token"]
    path = url.split(str(rtc_server.port), 1)[1]
    offer = chrome.call("makeOffer", {"codec": "vp8"})
    sdp = {"Content-Type": "application/sdp"}
    anon = rtc_server.api(None)
    # Missing, wrong, or an API key instead of the publish token: 401 with a Bearer challenge.
    for auth in ({}, {"Authorization": "Bearer wrong"},
                 {"Authorization": f"Bearer {rtc_server.keys[0]}"}):
        r = anon.post(path, data=offer, headers={**sdp, **auth})
        assert_error(r, 401, "invalid_api_key")
        assert r.headers.get("WWW-Authenticate", "").startswith("Bearer")
    auth = {"Authorization": f"Bearer {token}"}
    assert_error(anon.post(path, data=offer, headers={"Content-Type": "application/json", **auth}),
                 415, "unsupported_media_type")
    assert_error(anon.post(path, data="v=0\r\nnonsense\r\n", headers={**sdp, **auth}), 400,
                 "invalid_request")
    assert_error(anon.post(path, data="x" * 70000, headers={**sdp, **auth}), 413,
                 "payload_too_large")
    no_video = re.sub(r"m=video[\s\S]*", "", offer)
    assert_error(anon.post(path, data=no_video, headers={**sdp, **auth}), 422, "unsupported_media")
    # Unknown stream; WHIP on a stream of another kind.
    assert_error(anon.post("/v1/streams/nope/whip", data=offer, headers={**sdp, **auth}), 404,
                 "stream_not_found")
    other = api.create_test_pattern(lease=False)
    assert "publish" not in other
    assert_error(anon.post(f"/v1/streams/{other['id']}/whip", data=offer,
                           headers={**sdp, **auth}), 404, "stream_not_found")
    # Methods WHIP does not use.
    for method in ("GET", "PUT", "PATCH"):
        assert_error(anon.request(method, path, headers=auth), 405, "method_not_allowed")

    # A publisher goes live; a second one gets a clear 409; DELETE needs the token and the
    # right session.
    res = chrome.call("publishWhip", url, token, {"codec": "vp8"})
    assert res["status"] == 201, res
    api.wait_frames(s["id"], 10, timeout=40)
    second = anon.post(path, data=offer, headers={**sdp, **auth})
    err = assert_error(second, 409, "conflict")
    assert "already live" in err["message"]
    location = res["location"].split(str(rtc_server.port), 1)[1]
    assert_error(anon.delete(location), 401, "invalid_api_key")
    assert_error(anon.delete(path + "/" + "0" * 32, headers=auth), 404, "not_found")
    assert anon.delete(location, headers=auth).status_code == 200
    api.wait_stream(s["id"], lambda x: x["state"] == "ended", 10, "end")
    api.delete(f"/v1/streams/{other['id']}")


def test_whip_cors_preflight_from_the_page_origin(rtc_server, page):
    api = rtc_server.api(0)
    s = create_whip(api)
    path = s["publish"]["url"].split(str(rtc_server.port), 1)[1]
    anon = rtc_server.api(None)
    r = anon.request("OPTIONS", path, headers={
        "Origin": page.origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert r.status_code == 204
    assert r.headers["Access-Control-Allow-Origin"] == page.origin
    assert "POST" in r.headers["Access-Control-Allow-Methods"]
    assert "authorization" in r.headers["Access-Control-Allow-Headers"].lower()
    # The page can read Location (and Link) on the answer.
    r = anon.post(path, data="v=0", headers={"Origin": page.origin,
                                             "Authorization": "Bearer x",
                                             "Content-Type": "application/sdp"})
    assert r.status_code == 401
    exposed = r.headers["Access-Control-Expose-Headers"]
    assert "Location" in exposed and "Link" in exposed
    # Plain OPTIONS (no preflight) lists the methods.
    r = anon.request("OPTIONS", path)
    assert r.status_code == 204 and "POST" in r.headers["Allow"]
    api.delete(f"/v1/streams/{s['id']}")


def test_whip_from_gstreamer(rtc_server, tmp_path):
    """An independent WHIP client: GStreamer's webrtcbin in a separate Python process (Debian
    1.22 has no whipsink; tools/whip_publish.py speaks RFC 9725 itself)."""
    if subprocess.run([SYSTEM_PYTHON, "-c", "import gi; gi.require_version('GstWebRTC', '1.0')"],
                      capture_output=True).returncode != 0:
        pytest.skip("python3-gi with GstWebRTC not installed")
    api = rtc_server.api(0)
    s = create_whip(api)
    log = open(tmp_path / "whip.log", "wb")
    proc = subprocess.Popen([SYSTEM_PYTHON, str(HERE / "tools" / "whip_publish.py"),
                             s["publish"]["url"], s["publish"]["token"], "--codec", "h264",
                             "--width", str(W), "--height", str(H), "--loopback"],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        st = api.wait_frames(s["id"], 60, timeout=40)
        assert (st["width"], st["height"]) == (W, H)
        assert st["state"] == "active"
        # The client's DELETE on SIGTERM (RFC 9725 section 4.3) ends the stream.
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(15)
        st = api.wait_stream(s["id"], lambda x: x["state"] == "ended", 10, "end")
        assert st["end_reason"] == "source_ended", st
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
        print((tmp_path / "whip.log").read_text(errors="replace")[-3000:])


# ---------------------------------------------------------------------------------------------
# Disconnects

def test_closed_tab_ends_the_stream_as_source_lost(rtc_server, chrome):
    api = rtc_server.api(0)
    sid = publish_offer(chrome, rtc_server, "vp8")["id"]
    api.wait_frames(sid, 30, timeout=40)
    t0 = time.monotonic()
    chrome.close_page()
    st = api.wait_stream(sid, lambda x: x["state"] in ("ended", "failed"),
                         NO_MEDIA_MS / 1000 + 5, "end after the tab closed")
    assert st["end_reason"] == "source_lost", st
    assert st["last_error"], st
    print(f"tab close noticed after {time.monotonic() - t0:.2f}s: {st['last_error']}")


def test_killed_browser_is_noticed_by_the_no_media_watchdog(rtc_server, chrome):
    api = rtc_server.api(0)
    sid = publish_offer(chrome, rtc_server, "vp8")["id"]
    api.wait_frames(sid, 30, timeout=40)
    last = api.stream(sid)["last_frame_index"]
    chrome.kill()
    t0 = time.monotonic()
    st = api.wait_stream(sid, lambda x: x["state"] in ("ended", "failed"),
                         NO_MEDIA_MS / 1000 + 5, "end after the browser died")
    elapsed = time.monotonic() - t0
    assert st["end_reason"] == "source_lost", st
    assert elapsed >= NO_MEDIA_MS / 1000 - 0.5 or "closed" in st["last_error"] or \
        "BYE" in st["last_error"], (elapsed, st)
    # Frames received before the loss stay addressable.
    assert api.barcode_at(sid, last) >= 0


@needs_chromium
def test_whip_waits_for_the_next_publisher_when_configured(start_server, page, tmp_path,
                                                           camera_file):
    srv = start_server("--config", str(webrtc_config(tmp_path, whip_wait_for_publisher=True)),
                       "--cors-origin", page.origin)
    api = srv.api(0)
    s = create_whip(api)
    for round_ in range(2):
        b = browser.Browser(tmp_path / f"b{round_}", camera_file)
        try:
            b.navigate(page.origin + "/publisher.html")
            res = b.call("publishWhip", s["publish"]["url"], s["publish"]["token"],
                         {"codec": "vp8"})
            assert res["status"] == 201, res
            before = api.stream(s["id"])["last_frame_index"] or -1
            api.wait_stream(s["id"], lambda x: x["state"] == "active" and
                            (x["last_frame_index"] or -1) >= before + 30, 40, "frames")
        finally:
            b.kill()
            b.stop()
        st = api.wait_stream(s["id"], lambda x: x["state"] == "reconnecting",
                             NO_MEDIA_MS / 1000 + 5, "waiting for a publisher")
        assert st["end_reason"] is None
    # The lifetime index kept counting across publishers.
    assert api.stream(s["id"])["last_frame_index"] >= 59


# ---------------------------------------------------------------------------------------------
# Create-time errors and the create response

def test_create_errors(rtc_server):
    api = rtc_server.api(0)
    assert_error(api.post("/v1/streams", json={"source": {"type": "webrtc", "sdp": "hello"}}),
                 400, "invalid_request")
    assert_error(api.post("/v1/streams", json={"source": {"type": "webrtc",
                                                          "sdp": "v=0\r\n" + "a=x\r\n" * 20000}}),
                 413, "payload_too_large")
    audio_only = ("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=ice-ufrag:abcd\r\n"
                  "a=ice-pwd:0123456789abcdefghijklmn\r\na=fingerprint:sha-256 00:11\r\n"
                  "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=sendonly\r\na=rtpmap:111 opus/48000/2\r\n")
    err = assert_error(api.post("/v1/streams", json={"source": {"type": "webrtc",
                                                                "sdp": audio_only}}),
                       422, "unsupported_media")
    assert "no video" in err["message"]
    # A refused offer creates no stream.
    assert not [s for s in api.get("/v1/streams").json()["data"]
                if s["source"]["type"] == "webrtc" and s["state"] == "connecting"]


def test_ice_servers_are_handed_to_clients(start_server, tmp_path):
    servers = [{"urls": ["stun:stun.example.net:3478"]},
               {"urls": "turn:turn.example.net:3478?transport=udp", "username": "u",
                "credential": "p"}]
    srv = start_server("--config", str(webrtc_config(tmp_path, ice_servers=servers)))
    s = create_whip(srv.api(0))
    assert s["ice_servers"] == [
        {"urls": ["stun:stun.example.net:3478"]},
        {"urls": ["turn:turn.example.net:3478?transport=udp"], "username": "u",
         "credential": "p"}], s
    assert srv.api(0).stream(s["id"])["publish"] == s["publish"]


def test_bad_webrtc_settings_refuse_to_start(tmp_path):
    from conftest import sightline_bin
    for bad in ({"bind_addresses": ["127.0.0.1"]},               # loopback not allowed
                {"udp_port_min": 50000},                          # half a range
                {"public_ip": "not-an-ip"},
                {"ice_servers": [{"urls": ["http://x"]}]},
                {"no_such_key": 1}):
        cfg = tmp_path / "bad.json"
        cfg.write_text(json.dumps({"webrtc": bad}))
        p = subprocess.run([str(sightline_bin()), "serve", "--config", str(cfg), "--listen",
                            "127.0.0.1:0", "--api-key", "k"], capture_output=True, timeout=20)
        assert p.returncode != 0, bad
        assert b"webrtc." in p.stderr, (bad, p.stderr)


# ---------------------------------------------------------------------------------------------
# Leaks: publishers come and go; nothing stays behind

def process_counts(pid: int) -> tuple[int, int, int]:
    """(open fds, threads, RSS in KiB) of a process."""
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    threads = len(os.listdir(f"/proc/{pid}/task"))
    rss = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1])
    return fds, threads, rss


def settled_counts(pid: int, timeout: float = 10) -> tuple[int, int, int]:
    """Counts once sources stopped on the reaper thread are gone (two equal readings)."""
    prev = process_counts(pid)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.5)
        cur = process_counts(pid)
        if cur[:2] == prev[:2]:
            return cur
        prev = cur
    return prev


CYCLES = int(os.environ.get("SIGHTLINE_WEBRTC_CYCLES", "30"))


@pytest.mark.timeout(120 + 4 * CYCLES)
def test_connect_disconnect_cycles_leave_nothing_behind(rtc_server, chrome):
    """SIGHTLINE_WEBRTC_CYCLES cycles (default 30; 300 were run by hand, docs/performance.md):
    publish, receive frames, then leave, alternating the ways a publisher leaves (the stream is
    deleted; the browser hangs up and the watchdog notices). fds and threads must come back to
    where they were after a warm-up; RSS is reported and bounded loosely (allocator caches)."""
    cycles = CYCLES
    api = rtc_server.api(0)
    pid = rtc_server.proc.pid

    def cycle(i: int) -> None:
        res = publish_offer(chrome, rtc_server, "vp8", name=f"cycle{i}")
        api.wait_frames(res["id"], 5, timeout=40)
        if i % 3 == 2:
            chrome.evaluate("hangUp()")
            st = api.wait_stream(res["id"], lambda x: x["state"] in ("ended", "failed"),
                                 NO_MEDIA_MS / 1000 + 5, "end after hang-up")
            assert st["end_reason"] == "source_lost", st
            assert api.delete(f"/v1/streams/{res['id']}").status_code == 200
        else:
            assert api.delete(f"/v1/streams/{res['id']}").status_code == 200
            chrome.evaluate("hangUp()")

    for i in range(3):   # warm-up: GStreamer's plugins, pools and caches load once
        cycle(i)
    before = settled_counts(pid)
    t0 = time.monotonic()
    for i in range(3, 3 + cycles):
        cycle(i)
    after = settled_counts(pid)
    print(f"{cycles} cycles in {time.monotonic() - t0:.0f}s: fds {before[0]} -> {after[0]}, "
          f"threads {before[1]} -> {after[1]}, RSS {before[2] // 1024} -> {after[2] // 1024} MiB")
    assert after[0] <= before[0] + 4, f"fds grew: {before} -> {after}"
    assert after[1] <= before[1] + 2, f"threads grew: {before} -> {after}"
    assert after[2] - before[2] < 150 * 1024 + cycles * 512, f"RSS grew: {before} -> {after}"

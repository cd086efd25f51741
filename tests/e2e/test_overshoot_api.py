"""The Overshoot-compatible surface under /v0.2 (SPEC section 5, "Overshoot compatibility"), at
the HTTP level: both create shapes with real WebRTC offers (Chromium's, from a page on another
origin, which then applies the answer and sends its fake camera), keepalive, delete closing the
stream's socket with 1001 "stream ended: client_requested", models, healthz, Overshoot's error
shape {"error","message","request_id","details"} and CORS with credentials. The unmodified
Overshoot browser SDK itself is driven by test_overshoot_sdk.py."""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest
import requests
import websocket

import browser
from test_stream_socket import recv_close
from test_webrtc import webrtc_config
from tools.stub_upstream import StubUpstream

pytestmark = [pytest.mark.sources, pytest.mark.timeout(240)]

W, H, FPS = 320, 240, 30
MODEL = "stub-vision"
BUSY_MODEL = "stub-busy"
DOWN_MODEL = "stub-down"
SLOW_S = 5
INFERENCE = {"prompt": "Is the stove on?", "backend": "overshoot", "model": MODEL}
ERROR_KEYS = {"error", "message", "request_id", "details"}


@pytest.fixture(scope="module")
def camera_file(tmp_path_factory):
    return browser.make_barcode_y4m(tmp_path_factory.mktemp("camera") / "barcode.y4m",
                                    W, H, FPS, 300)


@pytest.fixture(scope="module")
def page():
    p = browser.PageServer(root=browser.HERE)
    yield p
    p.stop()


@pytest.fixture(scope="module")
def stubs():
    made = {"main": StubUpstream(models=[MODEL]), "slow": StubUpstream(models=[BUSY_MODEL])}
    for s in made.values():
        s.start()
    made["slow"].configure(first_byte_delay_s=SLOW_S)
    yield made
    for s in made.values():
        s.stop()


@pytest.fixture(scope="module")
def srv(tmp_path_factory, page, stubs):
    """One server: loopback ICE, the page's origin allowed; models: one answering, one at
    capacity 1 behind a slow upstream, one behind a closed port (probed every 200 ms)."""
    from conftest import _Servers
    tmp = tmp_path_factory.mktemp("overshoot_api")
    servers = _Servers(tmp)
    s = servers("--config", str(webrtc_config(tmp)), "--cors-origin", page.origin,
                "--max-streams-per-key", "64",
                "--backend", f"{MODEL}={stubs['main'].base_url}",
                "--backend", f"{BUSY_MODEL}={stubs['slow'].base_url};max_concurrent=1",
                "--backend", f"{DOWN_MODEL}=http://127.0.0.1:{closed_port()}/v1;"
                             "probe_interval_ms=200")
    yield s
    problems = servers.finish(report_logs=False)
    assert not problems, "; ".join(problems) + "\n" + s.log()[-6000:]


@pytest.fixture
def chrome(tmp_path, page, srv, camera_file, request):
    if not browser.chromium_available():
        pytest.skip("chromium not installed (scripts/setup.sh installs it)")
    b = browser.Browser(tmp_path, camera_file)
    b.navigate(page.origin + "/web/publisher.html")
    yield b
    if any(getattr(getattr(request.node, f"rep_{w}", None), "failed", False)
           for w in ("setup", "call")):
        print(f"---- chromium log ----\n{b.tail()}\n---- sightline log ----\n{srv.log()[-6000:]}")
    b.stop()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def v02(srv, key: str | None = None) -> requests.Session:
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {key or srv.keys[0]}"
    return s


def url(srv, path: str) -> str:
    return f"{srv.base}/v0.2{path}"


def assert_overshoot_error(r: requests.Response, status: int, code: str, param=...) -> dict:
    """Overshoot's error object: exactly its four keys, request_id matching X-Request-Id."""
    assert r.status_code == status, f"expected {status} {code}, got {r.status_code}: {r.text[:500]}"
    assert r.headers["Content-Type"].startswith("application/json"), r.headers
    body = r.json()
    assert set(body) == ERROR_KEYS, body
    assert body["error"] == code, body
    assert isinstance(body["message"], str) and body["message"], body
    assert body["request_id"] == r.headers["X-Request-Id"], (body, r.headers)
    if param is not ...:
        if param is None:
            assert body["details"] is None, body
        else:
            assert body["details"] == {"param": param}, body
    return body


def browser_offer(chrome) -> str:
    """A real offer from Chromium's peer connection (fake camera, gathering complete)."""
    return chrome.call("makeOffer", {"codec": "vp8", "width": W, "height": H, "fps": FPS})


def apply_answer(chrome, answer: dict) -> None:
    chrome.evaluate(f"pc.setRemoteDescription({json.dumps(answer)}).then(() => true)")


def assert_created(r: requests.Response) -> dict:
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["stream_id"].startswith("s_"), body
    assert body["webrtc"]["type"] == "answer" and body["webrtc"]["sdp"].startswith("v=0"), body
    assert body["lease"]["ttl_seconds"] == 300, body
    assert body["turn_servers"] == [] and body["ice_servers"] == [], body
    return body


def open_socket(srv, sid: str) -> websocket.WebSocket:
    """The stream's /v0.2 socket as the SDK opens it: no header, then {"api_key"}. A ping's pong
    proves the key was taken and the reader subscribed (the server reads messages in order)."""
    ws = websocket.create_connection(f"ws://127.0.0.1:{srv.port}/v0.2/ws/streams/{sid}",
                                     timeout=10)
    ws.send(json.dumps({"api_key": srv.keys[0]}))
    ws.ping("subscribed?")
    while True:
        op, _ = ws.recv_data(control_frame=True)
        if op == websocket.ABNF.OPCODE_PONG:
            return ws
        assert op != websocket.ABNF.OPCODE_CLOSE, "socket closed before the pong"


# ---------------------------------------------------------------------------------------------
# Create (both shapes), keepalive, delete

def test_legacy_offer_shape_streams_and_ends_on_delete(srv, chrome):
    """The shape @overshoot/sdk 0.1.0-alpha.2 sends: {"webrtc":{"type":"offer","sdp"},...}."""
    api = srv.api(0)
    r = v02(srv).post(url(srv, "/streams"), json={
        "webrtc": {"type": "offer", "sdp": browser_offer(chrome)},
        "processing": {"sampling_ratio": 0.1, "fps": 30, "clip_length_seconds": 1,
                       "delay_seconds": 1},
        "inference": {**INFERENCE, "output_schema_json": None}})
    created = assert_created(r)
    sid = created["stream_id"]
    apply_answer(chrome, created["webrtc"])
    st = api.wait_frames(sid, 15, timeout=40)
    assert (st["width"], st["height"]) == (W, H) and st["source"] == {"type": "webrtc"}, st

    # Keepalive exactly as the SDK sends it: POST, JSON content type, no body.
    before = api.stream(sid)["expires_at_ms"]
    time.sleep(0.01)
    k = v02(srv).post(url(srv, f"/streams/{sid}/keepalive"),
                      headers={"Content-Type": "application/json"})
    assert k.status_code == 200, k.text
    kb = k.json()
    assert kb["stream_id"] == sid and kb["lease"]["ttl_seconds"] == 300, kb
    assert kb["lease"]["expires_at_ms"] >= before, (kb, before)

    ws = open_socket(srv, sid)
    try:
        d = v02(srv).delete(url(srv, f"/streams/{sid}"))
        assert d.status_code == 200, d.text
        assert d.json()["stream_id"] == sid, d.text
        assert recv_close(ws) == (1001, "stream ended: client_requested")
    finally:
        ws.close()
    # Deleted streams are gone (as on /v1).
    assert api.get(f"/v1/streams/{sid}").status_code == 404
    assert_overshoot_error(v02(srv).delete(url(srv, f"/streams/{sid}")), 404, "stream_not_found")


def test_source_shape_with_mode_streams(srv, chrome):
    """The shape of SPEC section 5: {"source":{"type":"webrtc","sdp"},"mode",...}."""
    api = srv.api(0)
    r = v02(srv).post(url(srv, "/streams"), json={
        "source": {"type": "webrtc", "sdp": browser_offer(chrome)},
        "mode": "frame",
        "processing": {"interval_seconds": 1},
        "inference": INFERENCE})
    created = assert_created(r)
    sid = created["stream_id"]
    assert r.headers["Location"] == f"/v1/streams/{sid}"
    apply_answer(chrome, created["webrtc"])
    api.wait_frames(sid, 15, timeout=40)
    assert v02(srv).delete(url(srv, f"/streams/{sid}")).status_code == 200


def test_other_sources_and_lease_through_v02(srv):
    """Any /v1 source type works in the source shape; a sightline lease is honoured and renewed."""
    api = srv.api(0)
    r = v02(srv).post(url(srv, "/streams"), json={
        "source": {"type": "test_pattern", "width": 160, "height": 120, "fps": 10},
        "lease": {"ttl_seconds": 30}, "inference": INFERENCE})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["lease"]["ttl_seconds"] == 30 and "webrtc" not in body, body
    sid = body["stream_id"]
    first = body["lease"]["expires_at_ms"]
    api.wait_frames(sid, 2, timeout=20)
    k = v02(srv).post(url(srv, f"/streams/{sid}/keepalive"))
    assert k.status_code == 200 and k.json()["lease"]["expires_at_ms"] > first, (k.text, first)
    assert v02(srv).delete(url(srv, f"/streams/{sid}")).status_code == 200


# ---------------------------------------------------------------------------------------------
# Errors in Overshoot's shape

def test_errors_use_overshoot_shape(srv):
    s = v02(srv)
    assert_overshoot_error(v02(srv, "sk-wrong").post(url(srv, "/streams"), json={}), 401,
                           "invalid_api_key", None)
    assert_overshoot_error(requests.get(url(srv, "/models")), 401, "invalid_api_key", None)
    assert_overshoot_error(s.post(url(srv, "/streams"), data="{nope"), 400, "invalid_request")
    assert_overshoot_error(s.post(url(srv, "/streams"), json={"processing": {}}), 400,
                           "invalid_request", "source")
    assert_overshoot_error(s.post(url(srv, "/streams"), json={"webrtc": {"type": "answer",
                                                                          "sdp": "v=0"}}),
                           400, "invalid_request", "webrtc.type")
    # The job is checked at creation: the SDK's fps x sampling_ratio too small for one frame.
    assert_overshoot_error(s.post(url(srv, "/streams"), json={
        "webrtc": {"type": "offer", "sdp": "v=0"},
        "processing": {"fps": 5, "sampling_ratio": 0.1}, "inference": INFERENCE}),
        422, "invalid_value", "processing.sampling_ratio")
    assert_overshoot_error(s.post(url(srv, "/streams/s_0123456789abcdef01234567/keepalive")),
                           404, "stream_not_found")
    assert_overshoot_error(s.delete(url(srv, "/streams/nope")), 404, "stream_not_found")
    assert_overshoot_error(s.get(url(srv, "/nothing")), 404, "not_found")
    assert_overshoot_error(s.put(url(srv, "/streams")), 405, "method_not_allowed")
    # /v1 keeps the OpenAI envelope.
    r = s.get(f"{srv.base}/v1/nothing")
    assert r.status_code == 404 and set(r.json()) == {"error"}, r.text


# ---------------------------------------------------------------------------------------------
# Models, healthz

def models_now(srv) -> dict:
    r = v02(srv).get(url(srv, "/models"))
    assert r.status_code == 200, r.text
    v1 = {m["id"]: m["status"] for m in srv.api(0).get("/v1/models").json()["data"]}
    v02_models = {m["model"]: m for m in r.json()}
    assert {k: m["status"] for k, m in v02_models.items()} == v1  # one source for both
    return v02_models


def test_healthz(srv):
    r = requests.get(url(srv, "/healthz"))  # no key, like the SDK's healthCheck()
    assert r.status_code == 200 and r.json() == {"status": "ok"}, r.text


def test_models_status_from_probes_and_load(srv, stubs):
    # The probe of the closed port (at start-up, then every 200 ms) says unavailable.
    deadline = time.monotonic() + 15
    while models_now(srv)[DOWN_MODEL]["status"] != "unavailable":
        assert time.monotonic() < deadline, models_now(srv)
        time.sleep(0.1)
    m = models_now(srv)
    assert list(m) == [MODEL, BUSY_MODEL, DOWN_MODEL], m
    assert m[MODEL] == {"model": MODEL, "ready": True, "status": "ready"}
    assert m[BUSY_MODEL] == {"model": BUSY_MODEL, "ready": True, "status": "ready"}
    assert m[DOWN_MODEL] == {"model": DOWN_MODEL, "ready": False, "status": "unavailable"}

    # One request in flight on a model of capacity 1: saturated until it is answered.
    slow = stubs["slow"]
    slow.reset()
    slow.configure(first_byte_delay_s=SLOW_S)
    answered = {}

    def ask():
        answered["r"] = srv.api(0).post("/v1/chat/completions", timeout=SLOW_S + 30, json={
            "model": BUSY_MODEL, "messages": [{"role": "user", "content": "hi"}]})

    t = threading.Thread(target=ask)
    t.start()
    try:
        assert slow.wait_for(lambda s: len(s.chat_requests()) == 1, timeout=10)
        assert models_now(srv)[BUSY_MODEL] == {"model": BUSY_MODEL, "ready": False,
                                               "status": "saturated"}
    finally:
        t.join(SLOW_S + 30)
    assert answered["r"].status_code == 200, answered["r"].text
    assert models_now(srv)[BUSY_MODEL]["status"] == "ready"


# ---------------------------------------------------------------------------------------------
# CORS for a browser app on another origin that fetches with credentials: "include"

@pytest.mark.parametrize("method,path", [("POST", "/streams"),
                                         ("POST", "/streams/s_x/keepalive"),
                                         ("PATCH", "/streams/s_x/config/prompt"),
                                         ("DELETE", "/streams/s_x"),
                                         ("GET", "/models")])
def test_preflight_with_credentials(srv, page, method, path):
    r = requests.options(url(srv, path), headers={
        "Origin": page.origin, "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "authorization,content-type"})
    assert r.status_code == 204, r.text
    h = r.headers
    assert h["Access-Control-Allow-Origin"] == page.origin  # never "*" with credentials
    assert h["Access-Control-Allow-Credentials"] == "true"
    assert method in h["Access-Control-Allow-Methods"]
    allowed = {x.strip().lower() for x in h["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type"} <= allowed
    # Another origin gets nothing to go on: the browser blocks it.
    other = requests.options(url(srv, path), headers={
        "Origin": "http://evil.example", "Access-Control-Request-Method": method})
    assert "Access-Control-Allow-Origin" not in other.headers
    assert "Access-Control-Allow-Credentials" not in other.headers


def test_actual_responses_carry_credentials_cors(srv, page):
    r = v02(srv).get(url(srv, "/models"), headers={"Origin": page.origin})
    assert r.headers["Access-Control-Allow-Origin"] == page.origin
    assert r.headers["Access-Control-Allow-Credentials"] == "true"
    assert "X-Request-Id" in r.headers["Access-Control-Expose-Headers"]
    # Errors too: the SDK reads their body.
    e = v02(srv, "sk-wrong").get(url(srv, "/models"), headers={"Origin": page.origin})
    assert e.status_code == 401
    assert e.headers["Access-Control-Allow-Origin"] == page.origin
    assert e.headers["Access-Control-Allow-Credentials"] == "true"
    other = v02(srv).get(url(srv, "/models"), headers={"Origin": "http://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers

"""The published Overshoot browser SDK (@overshoot/sdk from npm, unmodified, in tests/e2e/js) in
headless Chromium with a fake camera, on a page from another origin, pointed at
http://127.0.0.1:PORT/v0.2: it starts a camera stream (create with the legacy offer shape, the
answer, keepalive, the /v0.2 socket with the {"api_key"} first message), receives results,
updates the prompt and stops (it sends no DELETE: it closes its socket and peer connection, and
the server ends the stream when the peer goes away).
"""

from __future__ import annotations

import json
import re
import time

import pytest
import requests

import browser
from test_webrtc import NO_MEDIA_MS, webrtc_config
from tools.stub_upstream import StubUpstream

pytestmark = [pytest.mark.sources, pytest.mark.timeout(240)]

W, H, FPS = 320, 240, 30
MODEL = "stub-vision"
PROMPT = "Is the stove on?"
NEW_PROMPT = "Count the people."
TTL = 4
SDK = browser.HERE / "js" / "node_modules" / "@overshoot" / "sdk"


@pytest.fixture(scope="module")
def camera_file(tmp_path_factory):
    return browser.make_barcode_y4m(tmp_path_factory.mktemp("camera") / "barcode.y4m",
                                    W, H, FPS, 300)


@pytest.fixture(scope="module")
def page():
    p = browser.PageServer(root=browser.HERE)  # the page and node_modules, on its own origin
    yield p
    p.stop()


@pytest.fixture(scope="module")
def stub():
    s = StubUpstream(text='{"stove_on": false}', models=[MODEL]).start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def srv(tmp_path_factory, page, stub):
    from conftest import _Servers
    tmp = tmp_path_factory.mktemp("overshoot_sdk")
    servers = _Servers(tmp)
    # A short default lease: the SDK renews it every ttl/2 seconds, so the test sees renewals.
    cfg = webrtc_config(tmp)
    cfg.write_text(json.dumps({**json.loads(cfg.read_text()),
                               "streams": {"default_ttl_seconds": TTL}}))
    s = servers("--config", str(cfg), "--cors-origin", page.origin,
                "--backend", f"{MODEL}={stub.base_url}")
    yield s
    problems = servers.finish(report_logs=False)
    assert not problems, "; ".join(problems) + "\n" + s.log()[-6000:]


@pytest.fixture
def sdk_page(tmp_path, page, srv, camera_file, request):
    if not browser.chromium_available():
        pytest.skip("chromium not installed (scripts/setup.sh installs it)")
    if not (SDK / "dist" / "index.mjs").is_file():
        pytest.skip(f"@overshoot/sdk is not installed in {SDK.parents[2]} (run scripts/setup.sh)")
    b = browser.Browser(tmp_path, camera_file)
    b.navigate(page.origin + "/web/overshoot_sdk.html")
    yield b
    if any(getattr(getattr(request.node, f"rep_{w}", None), "failed", False)
           for w in ("setup", "call")):
        print(f"---- chromium log ----\n{b.tail()}\n---- sightline log ----\n{srv.log()[-6000:]}")
    b.stop()


def wait_for(fn, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} within {timeout}s")
        time.sleep(0.2)


def websocket_sessions(srv) -> float:
    text = requests.get(f"{srv.base}/metrics", timeout=10).text
    m = re.search(r"^(?:sightline_)?websocket_sessions (\S+)$", text, re.M)
    assert m, text[:2000]
    return float(m.group(1))


def check_result_shape(r: dict, sid: str, prompt: str) -> None:
    for k in ("id", "stream_id", "mode", "model_backend", "model_name", "prompt", "result",
              "inference_latency_ms", "total_latency_ms", "ok", "error", "finish_reason"):
        assert k in r, (k, r)
    assert r["stream_id"] == sid and r["model_name"] == MODEL, r
    assert r["prompt"] == prompt, r


def test_unmodified_sdk_starts_streams_and_stops(srv, sdk_page, stub):
    api = srv.api(0)
    key = srv.keys[0]
    started = sdk_page.call("startVision", f"{srv.base}/v0.2", key,
                            {"prompt": PROMPT, "model": MODEL}, timeout=60)
    assert started.get("ok"), f"SDK start failed: {started}\n{sdk_page.tail()}"
    sid = started["stream_id"]
    assert started["active"] and sid.startswith("s_"), started

    # The camera's frames arrive through the answer the SDK applied.
    st = api.wait_frames(sid, 30, timeout=40)
    assert (st["width"], st["height"]) == (W, H) and st["source"] == {"type": "webrtc"}, st
    assert st["lease"] and st["ttl_seconds"] == TTL, st
    # The SDK's keepalives (every TTL/2 s) move the lease on: the stream outlives its first one.
    first_expiry = st["expires_at_ms"]
    wait_for(lambda: api.stream(sid)["expires_at_ms"] > first_expiry, 3 * TTL, "lease renewal")
    st = api.stream(sid)
    assert st["state"] == "active", st
    # The SDK's socket is open (a refused key would have closed it 1008: an SDK error).
    wait_for(lambda: websocket_sessions(srv) == 1, 10, "the SDK's WebSocket session")
    state = sdk_page.evaluate("visionState()")
    assert state["active"] and state["errors"] == [], state

    # Results on the socket the SDK opened, in Overshoot's shape.
    wait_for(lambda: sdk_page.evaluate("visionState()")["results"] >= 1, 30, "result")
    first = sdk_page.evaluate("sdkResults[0]")
    check_result_shape(first, sid, PROMPT)
    assert first["ok"] and first["result"] == '{"stove_on": false}', first
    upd = sdk_page.call("updatePrompt", NEW_PROMPT)
    assert upd.get("ok"), upd
    seen = sdk_page.evaluate("sdkResults.length")
    newer = wait_for(lambda: [r for r in sdk_page.evaluate(f"sdkResults.slice({seen})")
                              if r["prompt"] == NEW_PROMPT], 30, "result with the new prompt")
    check_result_shape(newer[0], sid, NEW_PROMPT)
    assert any(NEW_PROMPT in str(req.body) for req in stub.chat_requests()), \
        "the stub never saw the new prompt"

    stopped = sdk_page.call("stopVision")
    assert stopped == {"active": False, "stream_id": None}, stopped
    # No DELETE from this SDK: the peer connection's close ends the stream.
    st = api.wait_stream(sid, lambda x: x["state"] in ("ended", "failed"),
                         NO_MEDIA_MS / 1000 + 10, "end after the SDK stopped")
    assert st["end_reason"] == "source_lost", st
    assert sdk_page.evaluate("visionState()")["errors"] == []
    wait_for(lambda: websocket_sessions(srv) == 0, 10, "the SDK's socket to close")


def test_sdk_reports_a_bad_key_as_unauthorized(srv, sdk_page):
    res = sdk_page.call("startVision", f"{srv.base}/v0.2", "sk-wrong",
                        {"prompt": PROMPT, "model": MODEL}, timeout=60)
    assert res["ok"] is False and res["name"] == "UnauthorizedError", res
    assert res["status"] == 401 and res["request_id"].startswith("req_"), res


def test_sdk_reports_an_invalid_job_as_validation_error(srv, sdk_page):
    # The SDK checks only ranges itself; 30 fps x 0.05 gives one frame per second, and a 1 s
    # clip of one frame is refused by the server (at least 3 frames per clip).
    res = sdk_page.call("startVision", f"{srv.base}/v0.2", srv.keys[0],
                        {"prompt": PROMPT, "model": MODEL,
                         "processing": {"fps": 30, "sampling_ratio": 0.05}}, timeout=60)
    assert res["ok"] is False and res["name"] == "ValidationError", res
    assert res["status"] == 422 and res["request_id"].startswith("req_"), res

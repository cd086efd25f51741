"""Continuous inference (SPEC section 5, issue 10): jobs on test_pattern (barcode) sources, results
on the stream's WebSocket, against recording stub upstreams (tools/stub_upstream.py).

What is checked: the cadence of results in both modes (loose bounds: 2 shared cores), exactly
which frames each run used (the barcodes of the images the stub received == frame_range == what
media_url selects), a prompt update taking effect on the next run, no pile-up when the upstream is
slower than the interval (skips counted, never two calls of one stream at once), lease expiry
closing the socket with 1001 "stream ended: lease_expired", WebSocket auth failure (1008), a slow
reader losing old results while another keeps up, and two streams on two models at once, one of
them slow.
"""

from __future__ import annotations

import json
import re
import time
import urllib.parse

import pytest
import requests
import websocket

from chat.chat_media import decode_image_url, mp4_frames
from conftest import _Servers, assert_error
from tools.stub_upstream import StubUpstream

W, H, FPS = 320, 240, 10
PROMPT_LIMIT = 600_000  # jobs.max_prompt_bytes for this module's server
SLOW_S = 1.0   # the slow stub's time to first byte


@pytest.fixture(scope="module")
def stubs():
    made = {"a": StubUpstream(), "b": StubUpstream(), "slow": StubUpstream()}
    for s in made.values():
        s.start()
    yield made
    for s in made.values():
        s.stop()


@pytest.fixture(scope="module")
def srv(tmp_path_factory, stubs):
    base = tmp_path_factory.mktemp("jobs")
    servers = _Servers(base)
    # A short per-reader queue, so the slow-reader test fills it within seconds (with ~500 KB
    # prompts echoed in its results, hence a prompt limit above them).
    config = base / "config.json"
    config.write_text(json.dumps({"websocket": {"max_queue_messages": 4},
                                  "jobs": {"max_prompt_bytes": PROMPT_LIMIT}}))
    s = servers("--config", str(config), "--max-streams-per-key", "64",
                "--backend", f"m-a={stubs['a'].base_url};video=frames",
                "--backend", f"m-b={stubs['b'].base_url};video=frames",
                "--backend", f"m-slow={stubs['slow'].base_url};video=frames")
    yield s
    problems = servers.finish(report_logs=False)
    assert not problems, "; ".join(problems) + "\n" + s.log()[-6000:]


@pytest.fixture
def api(srv, stubs, request):
    for s in stubs.values():
        s.reset()
    stubs["slow"].configure(first_byte_delay_s=SLOW_S)
    a = srv.api(0)
    yield a
    if not srv.alive():
        pytest.fail(f"sightline died during the test\n{srv.log()[-6000:]}")
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        print(f"---- sightline log ----\n{srv.log()[-6000:]}")
    for st in a.get("/v1/streams").json()["data"]:
        a.delete(f"/v1/streams/{st['id']}")


def create_job(api, processing: dict, inference: dict, **fields) -> dict:
    r = api.post("/v1/streams", json={
        "source": {"type": "test_pattern", "width": W, "height": H, "fps": FPS},
        "processing": processing, "inference": inference, **fields})
    assert r.status_code == 201, r.text
    return r.json()


def connect(srv, sid: str, key: str | None = None) -> websocket.WebSocket:
    ws = websocket.create_connection(f"ws://127.0.0.1:{srv.port}/v1/ws/streams/{sid}",
                                     header=[f"Authorization: Bearer {key or srv.keys[0]}"])
    return ws


def read_results(ws, n: int, timeout: float = 30.0) -> list[tuple[float, dict]]:
    """n result messages with their arrival times (monotonic)."""
    out = []
    deadline = time.monotonic() + timeout
    while len(out) < n:
        left = deadline - time.monotonic()
        assert left > 0, f"only {len(out)} of {n} results within {timeout} s"
        ws.settimeout(left)
        msg = ws.recv()
        out.append((time.monotonic(), json.loads(msg)))
    return out


RESULT_KEYS = {"id", "stream_id", "mode", "model_backend", "model_name", "prompt", "result",
               "inference_latency_ms", "total_latency_ms", "ok", "error", "finish_reason",
               "frame_range", "media_url"}


def prompt_of(req) -> str:
    """The job's prompt: the last text part of the request's user message."""
    texts = [p["text"] for p in req.body["messages"][0]["content"] if p.get("type") == "text"]
    return texts[-1]


def finished_calls(stub, prompt: str) -> list[tuple[float, float]]:
    """(start, end) of the stub's calls with this prompt, in order, once all have finished."""
    stub.wait_for(lambda st: all(e.done.is_set() for e in st.exchanges), timeout=10)
    return sorted((e.started_at, e.ended_at) for r, e in zip(stub.chat_requests(), stub.exchanges)
                  if prompt_of(r) == prompt)


def barcodes_of(req) -> list[int]:
    return [decode_image_url(p["image_url"]["url"], H).index
            for p in req.body["messages"][0]["content"] if p.get("type") == "image_url"]


def requests_with_prompt(stub, prompt: str) -> list:
    return [r for r in stub.chat_requests() if prompt_of(r) == prompt]


def request_for(stub, prompt: str, frame_range: dict):
    """The stub request of the run that used frame_range (barcodes are the lifetime indices)."""
    for r in requests_with_prompt(stub, prompt):
        codes = barcodes_of(r)
        if codes and codes[0] == frame_range["first"] and codes[-1] == frame_range["last"]:
            return r, codes
    raise AssertionError(f"no upstream request used frames {frame_range}")


def median_gap(times: list[float]) -> float:
    gaps = sorted(b - a for a, b in zip(times, times[1:]))
    return gaps[len(gaps) // 2]


def test_clip_mode_cadence_and_exactly_the_frames_used(srv, api, stubs):
    prompt = "clip: what happens?"
    s = create_job(api, {"mode": "clip", "target_fps": 5, "clip_length_seconds": 1,
                         "delay_seconds": 0.5},
                   {"prompt": prompt, "model": "m-a", "max_output_tokens": 30})
    assert s["job"]["mode"] == "clip" and s["job"]["period_ms"] == 500
    ws = connect(srv, s["id"])
    try:
        got = read_results(ws, 6)
    finally:
        ws.close()
    assert 0.3 <= median_gap([t for t, _ in got]) <= 1.0
    for _, m in got:
        assert set(m) == RESULT_KEYS
        assert m["ok"] is True and m["error"] is None, m
        assert m["stream_id"] == s["id"] and m["mode"] == "clip" and m["model_name"] == "m-a"
        assert m["prompt"] == prompt and m["result"]
        assert 0 <= m["total_latency_ms"] < 10_000
        fr = m["frame_range"]
        req, codes = request_for(stubs["a"], prompt, fr)
        assert req.body["max_tokens"] == 30
        # 1 s at 5 fps from a 10 fps stream: 5 frames (4..6 at the window's edges), increasing.
        assert 4 <= len(codes) <= 6 and codes == sorted(set(codes)), codes
        # media_url selects exactly those frames again.
        url = m["media_url"]
        assert url.startswith(f"ovs://streams/{s['id']}?")
        query = url.split("?", 1)[1]
        clip = api.get(f"/v1/streams/{s['id']}/clip?{query}")
        assert clip.status_code == 200, clip.text
        assert [p.index for p in mp4_frames(clip.content, H)] == codes
    # Consecutive runs look at the newest clip: their ranges move forward.
    firsts = [m["frame_range"]["first"] for _, m in got]
    assert firsts == sorted(firsts) and firsts[-1] > firsts[0]


def test_frame_mode_cadence_and_the_newest_frame(srv, api, stubs):
    prompt = "frame: is the stove on?"
    s = create_job(api, {"mode": "frame", "interval_seconds": 0.5},
                   {"prompt": prompt, "model": "m-a"})
    ws = connect(srv, s["id"])
    try:
        got = read_results(ws, 5)
    finally:
        ws.close()
    assert 0.3 <= median_gap([t for t, _ in got]) <= 1.0
    for _, m in got:
        assert m["ok"] is True and m["mode"] == "frame"
        n = m["frame_range"]["first"]
        assert m["frame_range"]["last"] == n
        assert m["media_url"] == (f"ovs://streams/{s['id']}?start_frame_index={n}"
                                  f"&end_frame_index={n + 1}")
        req, codes = request_for(stubs["a"], prompt, m["frame_range"])
        assert codes == [n]
        # The newest frame at the run: captured less than a frame interval (plus load) before.
        assert m["total_latency_ms"] < 5_000


def test_output_schema_becomes_json_schema_and_is_checked(srv, api, stubs):
    prompt = "schema: count the people"
    schema = {"type": "object", "properties": {"count": {"type": "integer"}},
              "required": ["count"]}
    stubs["a"].text = "no JSON here"
    try:
        s = create_job(api, {"mode": "frame", "interval_seconds": 0.3},
                       {"prompt": prompt, "model": "m-a", "output_schema_json": schema})
        ws = connect(srv, s["id"])
        try:
            (_, bad), = read_results(ws, 1)
            stubs["a"].text = '{"count": 3}'
            # Skip the run that may have been in flight while the text changed.
            good = [m for _, m in read_results(ws, 3)][-1]
        finally:
            ws.close()
    finally:
        stubs["a"].text = "A stub model looked at your frames."
    assert bad["ok"] is False and "output_schema_json" in bad["error"]
    assert good["ok"] is True and json.loads(good["result"]) == {"count": 3}
    req = requests_with_prompt(stubs["a"], prompt)[0]
    assert req.body["response_format"]["type"] == "json_schema"
    assert req.body["response_format"]["json_schema"]["schema"] == schema


def test_prompt_update_takes_effect_on_the_next_run(srv, api, stubs):
    s = create_job(api, {"mode": "frame", "interval_seconds": 0.3},
                   {"prompt": "first prompt", "model": "m-a"})
    sid = s["id"]
    ws = connect(srv, sid)
    try:
        read_results(ws, 1)
        r = api.request("PATCH", f"/v1/streams/{sid}/config/prompt",
                        json={"prompt": "second prompt"})
        assert r.status_code == 200, r.text
        assert r.json()["prompt"] == "second prompt"
        after = [m["prompt"] for _, m in read_results(ws, 3)]
    finally:
        ws.close()
    # At most the run in flight during the PATCH still used the old prompt.
    assert after[1:] == ["second prompt", "second prompt"], after
    assert api.stream(sid)["job"]["prompt"] == "second prompt"
    sent = [prompt_of(q) for q in stubs["a"].chat_requests()]
    i = sent.index("second prompt")
    assert set(sent[i:]) == {"second prompt"}


def test_prompt_update_errors(srv, api):
    s = create_job(api, {"mode": "frame", "interval_seconds": 1},
                   {"prompt": "p", "model": "m-a"})
    path = f"/v1/streams/{s['id']}/config/prompt"
    assert_error(api.request("PATCH", path, json={"prompt": ""}), 422, "invalid_value", "prompt")
    assert_error(api.request("PATCH", path, json={"prompt": 3}), 400, "invalid_request", "prompt")
    assert_error(api.request("PATCH", "/v1/streams/nope/config/prompt", json={"prompt": "x"}),
                 404, "stream_not_found")
    other = srv.api(1)
    assert_error(other.request("PATCH", path, json={"prompt": "x"}), 404, "stream_not_found")
    plain = api.create_test_pattern(width=160, height=120, fps=5)
    assert plain["job"] is None
    assert_error(api.request("PATCH", f"/v1/streams/{plain['id']}/config/prompt",
                             json={"prompt": "x"}), 409, "conflict")


def test_jobs_that_could_never_run_are_refused_at_creation(srv, api):
    source = {"type": "test_pattern", "width": W, "height": H, "fps": FPS}
    # 30 fps x 60 s selects 1800 frames per run, over chat.max_frames_per_request (512).
    r = api.post("/v1/streams", json={"source": source,
                                      "processing": {"target_fps": 30, "clip_length_seconds": 60},
                                      "inference": {"prompt": "p", "model": "m-a"}})
    assert_error(r, 422, "invalid_value", "processing.clip_length_seconds")
    assert "512" in r.json()["error"]["message"]
    # A prompt over jobs.max_prompt_bytes would go to the model on every run.
    long_prompt = "x" * (PROMPT_LIMIT + 1)
    r = api.post("/v1/streams", json={"source": source, "inference": {"prompt": long_prompt, "model": "m-a"}})
    assert_error(r, 422, "invalid_value", "inference.prompt")
    r = api.post("/v1/streams", json={"source": source, "inference": {"prompt": "   ", "model": "m-a"}})
    assert_error(r, 422, "invalid_value", "inference.prompt")
    assert api.get("/v1/streams").json()["data"] == []  # nothing was created
    s = create_job(api, {"mode": "frame", "interval_seconds": 1}, {"prompt": "p", "model": "m-a"})
    assert_error(api.request("PATCH", f"/v1/streams/{s['id']}/config/prompt", json={"prompt": long_prompt}),
                 422, "invalid_value", "prompt")
    assert api.stream(s["id"])["job"]["prompt"] == "p"


def test_no_pile_up_when_the_upstream_is_slower_than_the_interval(srv, api, stubs):
    prompt = "slow: describe"
    s = create_job(api, {"mode": "frame", "interval_seconds": 0.2},
                   {"prompt": prompt, "model": "m-slow"})
    sid = s["id"]
    ws = connect(srv, sid)
    try:
        got = read_results(ws, 3, timeout=30)
    finally:
        ws.close()
    api.delete(f"/v1/streams/{sid}")
    calls = finished_calls(stubs["slow"], prompt)
    assert len(calls) >= 3
    # Never two calls of the stream at once: each starts after the previous one ended.
    for (_, end), (start, _) in zip(calls, calls[1:]):
        assert end is not None and start >= end - 0.01, calls
    # Each call took about SLOW_S while runs fell due every 0.2 s: the due ones were skipped.
    assert len(calls) <= 2 + (calls[-1][0] - calls[0][0]) / (SLOW_S * 0.9)
    assert all(m["ok"] for _, m in got)
    assert all(m["inference_latency_ms"] >= SLOW_S * 1000 * 0.9 for _, m in got)


def test_skips_are_counted_in_the_stream_object_and_metrics(srv, api):
    s = create_job(api, {"mode": "frame", "interval_seconds": 0.2},
                   {"prompt": "slow: count", "model": "m-slow"})
    job = api.wait_stream(s["id"], lambda st: st["job"]["runs"] >= 2, timeout=30)["job"]
    assert job["skips"] > 0 and job["failures"] == 0
    metrics = requests.get(f"{srv.base}/metrics", timeout=10).text
    m = re.search(r'^sightline_job_skips_total\{reason="busy"\} (\S+)$', metrics, re.M)
    assert m and float(m.group(1)) > 0, metrics[-2000:]
    assert re.search(r'^sightline_job_runs_total\{result="ok"\} ', metrics, re.M)


def test_two_streams_on_two_models_and_a_slow_one_delays_no_other(srv, api, stubs):
    a = create_job(api, {"mode": "frame", "interval_seconds": 0.3},
                   {"prompt": "two: on a", "model": "m-a"})
    b = create_job(api, {"mode": "clip", "target_fps": 3, "clip_length_seconds": 1,
                         "delay_seconds": 0.5}, {"prompt": "two: on b", "model": "m-b"})
    c = create_job(api, {"mode": "frame", "interval_seconds": 0.3},
                   {"prompt": "two: on slow", "model": "m-slow"})
    wa, wb, wc = connect(srv, a["id"]), connect(srv, b["id"]), connect(srv, c["id"])
    try:
        ra = read_results(wa, 5)
        rb = read_results(wb, 3)
        rc = read_results(wc, 1)
    finally:
        for w in (wa, wb, wc):
            w.close()
    assert {m["model_name"] for _, m in ra} == {"m-a"}
    assert {m["model_name"] for _, m in rb} == {"m-b"}
    assert rc[0][1]["model_name"] == "m-slow"
    assert {m["stream_id"] for _, m in ra} == {a["id"]}
    assert {prompt_of(r) for r in stubs["a"].chat_requests()} == {"two: on a"}
    assert {prompt_of(r) for r in stubs["b"].chat_requests()} == {"two: on b"}
    # The slow model (1 s a call) does not hold the fast stream back.
    assert median_gap([t for t, _ in ra]) <= 1.0


def test_lease_expiry_closes_the_socket_and_stops_the_job(srv, api, stubs):
    s = create_job(api, {"mode": "frame", "interval_seconds": 0.3},
                   {"prompt": "lease: watch", "model": "m-a"}, lease={"ttl_seconds": 2})
    ws = connect(srv, s["id"])
    try:
        read_results(ws, 1)
        ws.settimeout(15)
        deadline = time.monotonic() + 15
        while True:
            assert time.monotonic() < deadline, "no close frame"
            op, data = ws.recv_data(control_frame=True)
            if op == websocket.ABNF.OPCODE_CLOSE:
                break
        assert int.from_bytes(data[:2], "big") == 1001
        assert data[2:].decode() == "stream ended: lease_expired"
    finally:
        ws.close()
    n = len(requests_with_prompt(stubs["a"], "lease: watch"))
    time.sleep(1.0)  # several intervals: a job still running would have called again
    assert len(requests_with_prompt(stubs["a"], "lease: watch")) <= n + 1
    assert api.stream(s["id"])["job"] is None


def test_socket_auth_failures_close_with_1008(srv, api):
    s = create_job(api, {"mode": "frame", "interval_seconds": 0.5},
                   {"prompt": "auth: p", "model": "m-a"})
    other_key = connect(srv, s["id"], key=srv.keys[1])
    first_message = websocket.create_connection(
        f"ws://127.0.0.1:{srv.port}/v0.2/ws/streams/{s['id']}")
    first_message.send(json.dumps({"api_key": "sk-wrong"}))
    for ws in (other_key, first_message):
        try:
            ws.settimeout(10)
            while True:
                op, data = ws.recv_data(control_frame=True)
                if op == websocket.ABNF.OPCODE_CLOSE:
                    break
                assert op != websocket.ABNF.OPCODE_TEXT, "a result reached a refused reader"
            assert int.from_bytes(data[:2], "big") == 1008
        finally:
            ws.close()


def test_overshoot_first_message_reader_gets_results(srv, api):
    s = create_job(api, {"mode": "frame", "interval_seconds": 0.3},
                   {"prompt": "v02: p", "model": "m-a"})
    ws = websocket.create_connection(f"ws://127.0.0.1:{srv.port}/v0.2/ws/streams/{s['id']}")
    try:
        ws.send(json.dumps({"api_key": srv.keys[0]}))
        (_, m), = read_results(ws, 1)
        assert m["stream_id"] == s["id"] and m["ok"] is True
    finally:
        ws.close()


def dropped_total(srv) -> float:
    metrics = requests.get(f"{srv.base}/metrics", timeout=10).text
    m = re.search(r"^websocket_messages_dropped_total(?:\{[^}]*\})? (\S+)$", metrics, re.M)
    return float(m.group(1)) if m else 0.0


def test_a_slow_reader_loses_old_results_and_keeps_up_with_new_ones(srv, api):
    # Large messages (the prompt is echoed in each) so the socket buffers fill quickly.
    prompt = "slow reader " + "x" * 500_000
    s = create_job(api, {"mode": "frame", "interval_seconds": 0.1},
                   {"prompt": prompt, "model": "m-a"})
    fast = connect(srv, s["id"])
    slow = connect(srv, s["id"])
    before = dropped_total(srv)
    try:
        got_fast = read_results(fast, 30, timeout=60)   # the other reader is not held back
        # 60 messages of 500 KB: far more than the kernel's buffers and the 4-message queue.
        api.wait_stream(s["id"], lambda st: st["job"]["runs"] >= 60, timeout=60)
        assert dropped_total(srv) > before
        got_slow = read_results(slow, 12, timeout=30)
    finally:
        fast.close()
        slow.close()
    assert all(m["ok"] for _, m in got_fast)
    fast_frames = [m["frame_range"]["first"] for _, m in got_fast]
    assert fast_frames == sorted(fast_frames)
    # The slow reader's results keep their order but miss the ones its queue dropped.
    slow_frames = [m["frame_range"]["first"] for _, m in got_slow]
    assert slow_frames == sorted(slow_frames)
    ids = [m["id"] for _, m in got_slow]
    assert len(set(ids)) == len(ids)
    # Runs are about a frame apart; the dropped ones leave a hole of many frames.
    assert max(b - a for a, b in zip(slow_frames, slow_frames[1:])) >= 10, slow_frames


def test_delay_zero_runs_back_to_back_without_skips(srv, api, stubs):
    prompt = "delay0: watch"
    s = create_job(api, {"mode": "clip", "target_fps": 5, "clip_length_seconds": 1,
                         "delay_seconds": 0}, {"prompt": prompt, "model": "m-slow"})
    job = api.wait_stream(s["id"], lambda st: st["job"]["runs"] >= 3, timeout=30)["job"]
    assert job["skips"] == 0 and job["period_ms"] == 0
    api.delete(f"/v1/streams/{s['id']}")
    calls = finished_calls(stubs["slow"], prompt)
    assert len(calls) >= 3
    for (_, end), (start, _) in zip(calls, calls[1:]):
        # The next call starts right after the previous one ended (render + a grid instant's
        # wait at most), never while it was going.
        assert end - 0.01 <= start <= end + 0.6, calls

"""A local model served by the in-process engine (`--model ID=PATH`), called like any backend: the
official `openai` Python SDK, non-streaming and streaming, with an ovs:// frame; greedy
determinism; the 503 of a full queue; a client that goes away; GET /v1/models status; and a
model that cannot be loaded stopping start-up.

The model is the tiny random-weight SmolVLM2 committed for the engine's parity tests
(tests/fixtures/engine/tiny_f32): it answers gibberish, so the tests check shapes, counts and
repeatability, never words. A binary built without libtorch cannot serve local models: these
tests are skipped there (and only there).
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import threading
import time

import pytest
import requests

from conftest import REPO, _Servers, assert_error, sightline_bin

openai = pytest.importorskip("openai", reason="the openai package is in tests/requirements.txt")

TINY = REPO / "tests" / "fixtures" / "engine" / "tiny_f32"
NO_TORCH = "without libtorch"


def start_engine_server(servers: _Servers, *extra: str, config: dict | None = None, workdir=None):
    args = ["--model", f"tiny={TINY}", "--max-streams-per-key", "8"]
    if config is not None:
        path = servers.base / f"engine-config-{len(servers.started)}.json"
        path.write_text(json.dumps(config))
        args += ["--config", str(path)]
    try:
        return servers(*args, *extra)
    except RuntimeError as e:
        if NO_TORCH in str(e):
            pytest.skip(f"{sightline_bin()} was built without libtorch")
        raise


def ovs(stream_id: str, query: str = "frame_index=-1") -> str:
    return f"ovs://streams/{stream_id}?{query}"


def ask(text: str, url: str | None = None) -> list[dict]:
    parts: list[dict] = [{"type": "text", "text": text}]
    if url:
        parts.append({"type": "image_url", "image_url": {"url": url}})
    return [{"role": "user", "content": parts}]


class Env:
    def __init__(self, server):
        self.server = server
        self.api = server.api(0)
        self.client = openai.OpenAI(base_url=server.base + "/v1", api_key=server.keys[0],
                                    max_retries=0, timeout=60)
        self.stream_id = self.api.create_test_pattern(width=160, height=120, fps=30)["id"]
        self.api.wait_frames(self.stream_id, 10)

    def post(self, body: dict, **kw) -> requests.Response:
        return self.api.post("/v1/chat/completions", json=body, **kw)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    servers = _Servers(tmp_path_factory.mktemp("engine"))
    try:
        srv = start_engine_server(servers)
        yield Env(srv)
    finally:
        problems = servers.finish(report_logs=False)
        assert not problems, "; ".join(problems)


def test_models_lists_the_local_model_as_ready(env):
    models = env.client.models.list()
    entry = {m.id: m for m in models.data}["tiny"]
    assert entry.object == "model"
    assert entry.model_extra["status"] == "ready"


def test_sdk_completion_with_an_ovs_frame(env):
    url = ovs(env.stream_id)
    c = env.client.chat.completions.create(
        model="tiny", messages=ask("What is in this frame?", url), max_tokens=8, temperature=0)
    assert c.object == "chat.completion"
    assert c.model == "tiny"
    assert c.id.startswith("chatcmpl-")
    choice = c.choices[0]
    assert choice.message.role == "assistant"
    assert isinstance(choice.message.content, str)
    assert choice.finish_reason in ("stop", "length")
    assert 1 <= c.usage.completion_tokens <= 8
    assert c.usage.total_tokens == c.usage.prompt_tokens + c.usage.completion_tokens
    # The picture became image tokens: far more prompt than the words alone.
    text_only = env.client.chat.completions.create(
        model="tiny", messages=ask("What is in this frame?"), max_tokens=1, temperature=0)
    assert c.usage.prompt_tokens > text_only.usage.prompt_tokens + 10
    media = c.model_extra["ovs_media"]
    assert media[0]["stream_id"] == env.stream_id and media[0]["frame_indices"]["count"] == 1


def test_sdk_streaming_with_usage(env):
    url = ovs(env.stream_id, "frame_index=3")
    stream = env.client.chat.completions.create(
        model="tiny", messages=ask("Describe.", url), max_tokens=12, temperature=0, stream=True,
        stream_options={"include_usage": True})
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert len({c.id for c in chunks}) == 1
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes in (["stop"], ["length"])
    last = chunks[-1]
    assert last.choices == [] and last.usage is not None
    completion = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert last.usage.completion_tokens <= 12
    assert last.usage.total_tokens == last.usage.prompt_tokens + last.usage.completion_tokens
    # the same request without streaming says the same (greedy)
    whole = env.client.chat.completions.create(
        model="tiny", messages=ask("Describe.", url), max_tokens=12, temperature=0)
    assert whole.choices[0].message.content == completion
    assert whole.usage.completion_tokens == last.usage.completion_tokens


def test_greedy_and_seeded_answers_repeat(env):
    url = ovs(env.stream_id, "frame_index=5")
    def answer(**kw):
        c = env.client.chat.completions.create(model="tiny", messages=ask("Again?", url),
                                               max_tokens=24, **kw)
        return c.choices[0].message.content
    assert answer(temperature=0) == answer(temperature=0)
    assert answer(temperature=0.9, seed=7) == answer(temperature=0.9, seed=7)


def test_stop_strings_and_refusals(env):
    full = env.client.chat.completions.create(model="tiny", messages=ask("Go."), max_tokens=40,
                                              temperature=0).choices[0].message.content
    assert len(full) > 4
    stop = full[2:4]
    cut = env.client.chat.completions.create(model="tiny", messages=ask("Go."), max_tokens=40,
                                             temperature=0, stop=[stop])
    assert cut.choices[0].finish_reason == "stop"
    assert cut.choices[0].message.content == full[:full.index(stop)]
    r = env.post({"model": "tiny", "messages": ask("Hi"), "n": 2})
    assert_error(r, 400, "unsupported", "n")
    ok = env.post({"model": "tiny", "messages": ask("Hi"), "max_tokens": 2,
                   "response_format": {"type": "json_object"}})
    assert ok.status_code == 200, ok.text


def test_video_segments_and_uploaded_images(env):
    segment = {"type": "video_url",
               "video_url": {"url": ovs(env.stream_id, "start_offset_ms=-1000&max_fps=4")}}
    r = env.post({"model": "tiny", "max_tokens": 3, "temperature": 0,
                  "messages": [{"role": "user", "content": [{"type": "text", "text": "What moved?"},
                                                            segment]}]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ovs_media"][0]["frame_indices"]["count"] >= 2
    assert body["usage"]["prompt_tokens"] > 20
    # a JPEG as a data: URL is decoded by the server; anything else is a clear 400
    jpeg = env.api.frame_ok(env.stream_id).content
    data_url = "data:image/jpeg;base64," + base64.b64encode(jpeg).decode()
    c = env.client.chat.completions.create(model="tiny", messages=ask("And this?", data_url),
                                           max_tokens=3, temperature=0)
    assert c.usage.prompt_tokens > 20
    png = "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(64)).decode()
    bad = env.post({"model": "tiny", "messages": ask("And this?", png), "max_tokens": 3})
    assert_error(bad, 400, "invalid_request", "messages[0].content[1].image_url.url")


def read_first_event(resp: requests.Response) -> str:
    for raw in resp.iter_lines():
        if raw.startswith(b"data: "):
            return raw[6:].decode()
    raise AssertionError("the stream ended before its first event")


def long_stream(env_or_server, key: str, base: str, stream_id: str) -> requests.Response:
    body = {"model": "tiny", "messages": ask("Talk.", ovs(stream_id)), "stream": True,
            "temperature": 0, "max_tokens": 480}
    return requests.post(base + "/v1/chat/completions", json=body, stream=True, timeout=60,
                         headers={"Authorization": f"Bearer {key}"})


def test_a_client_that_goes_away_frees_the_model(env):
    srv = env.server
    for _ in range(3):
        r = long_stream(env, srv.keys[0], srv.base, env.stream_id)
        assert r.status_code == 200, r.text
        json.loads(read_first_event(r))
        r.close()  # the client goes away mid-answer
    # The model is free again at once: a short request is answered promptly.
    t0 = time.monotonic()
    c = env.client.chat.completions.create(model="tiny", messages=ask("Still there?"),
                                           max_tokens=4, temperature=0)
    assert c.choices[0].finish_reason in ("stop", "length")
    assert time.monotonic() - t0 < 30
    assert env.api.get("/healthz").status_code == 200
    assert {m.id: m for m in env.client.models.list().data}["tiny"].model_extra["status"] == "ready"


def test_a_full_queue_answers_503(start_server):
    srv = start_engine_server(start_server, config={"engine": {"max_concurrent": 1, "max_queue": 0}})
    api = srv.api(0)
    sid = api.create_test_pattern(width=160, height=120, fps=30)["id"]
    api.wait_frames(sid, 5)
    refused = None
    # A holds the only worker while it streams; B arrives meanwhile. A finishes in well under a
    # second on this tiny model, so B may (rarely) arrive after it: try a few times.
    for _ in range(10):
        a = long_stream(None, srv.keys[0], srv.base, sid)
        assert a.status_code == 200, a.text  # A holds the worker from here (the headers)
        # B goes at once: A's whole answer takes ~0.2 s on this model, and waiting for its first
        # event as well left B too late most of the time.
        b = api.post("/v1/chat/completions", json={"model": "tiny", "messages": ask("Me too"),
                                                  "max_tokens": 2})
        read_first_event(a)
        a.close()
        if b.status_code == 503:
            refused = b
            break
        assert b.status_code == 200, b.text
    assert refused is not None, "B was never refused while A was generating"
    err = assert_error(refused, 503, "upstream_unavailable")
    assert "engine.max_queue" in err["message"]
    # once A is gone, the model takes requests again
    deadline = time.monotonic() + 30
    while True:
        r = api.post("/v1/chat/completions", json={"model": "tiny", "messages": ask("Now?"),
                                                  "max_tokens": 2})
        if r.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert r.status_code == 200, r.text


def test_saturated_status_while_the_only_slot_is_taken(start_server):
    srv = start_engine_server(start_server, config={"engine": {"max_concurrent": 1, "max_queue": 0}})
    api = srv.api(0)
    seen = set()
    stop = threading.Event()

    def poll():
        while not stop.is_set():
            for m in api.get("/v1/models").json()["data"]:
                if m["id"] == "tiny":
                    seen.add(m["status"])
    t = threading.Thread(target=poll)
    t.start()
    try:
        for _ in range(20):
            api.post("/v1/chat/completions", json={"model": "tiny", "messages": ask("Talk."),
                                                  "max_tokens": 480, "temperature": 0})
            if "saturated" in seen:
                break
    finally:
        stop.set()
        t.join()
    assert "saturated" in seen, seen
    assert api.get("/v1/models").json()["data"][0]["status"] == "ready"


def serve_once(*args: str) -> tuple[int, str]:
    p = subprocess.run([str(sightline_bin()), "serve", "--listen", "127.0.0.1:0", "--insecure-no-auth",
                        *args], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout + p.stderr


def test_a_model_that_cannot_load_stops_start_up(tmp_path):
    rc, out = serve_once("--model", f"broken={tmp_path / 'nothing-here'}")
    assert rc == 2, out
    assert "sightline listening" not in out
    assert "model 'broken'" in out, out
    if NO_TORCH in out:
        return
    assert "config.json" in out, out
    # a folder whose architecture the engine does not know
    folder = tmp_path / "other-arch"
    shutil.copytree(TINY, folder)
    config = json.loads((folder / "config.json").read_text())
    config["architectures"] = ["SomethingElseForConditionalGeneration"]
    (folder / "config.json").write_text(json.dumps(config))
    rc, out = serve_once("--model", f"other={folder}")
    assert rc == 2, out
    assert "model 'other'" in out and "SomethingElseForConditionalGeneration" in out, out

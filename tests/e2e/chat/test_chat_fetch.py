"""Video URLs the server fetches itself: a `frames`-mode backend cannot take a video, so an
http(s) or data: video_url is fetched (SSRF-safe: loopback only because this server's config
sets fetch.allow_private) and sampled at 1 fps into time-labelled image parts. A `native`
backend gets the URL unchanged. The video carries the SPEC §7 barcode, so the upstream's images
prove which frames were sampled."""

from __future__ import annotations

import base64
import functools
import json

import pytest
import requests

import sources
from conftest import _Servers
from tools.stub_upstream import StubUpstream

from chat.chat_media import upstream_parts

pytestmark = pytest.mark.chat


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    work = tmp_path_factory.mktemp("fetch")
    web = work / "web"
    web.mkdir()
    video = sources.make_barcode_file(web / "clip.mp4", seconds=3, width=160, height=120)
    http = sources.HttpServerThread(functools.partial(sources._QuietHandler, directory=str(web)))
    stub = StubUpstream()
    stub.start()
    config = work / "sightline.json"
    config.write_text(json.dumps({"fetch": {"allow_private": True}}))
    servers = _Servers(work)
    srv = servers("--config", str(config),
                  "--backend", f"frames={stub.base_url};video=frames",
                  "--backend", f"native={stub.base_url};video=native")
    try:
        yield {"srv": srv, "stub": stub, "url": f"http://127.0.0.1:{http.port}/clip.mp4",
               "bytes": video.read_bytes()}
    finally:
        servers.finish(report_logs=False)
        http.stop()
        stub.stop()


def ask(env, model: str, url: str) -> requests.Response:
    srv = env["srv"]
    return requests.post(
        f"{srv.base}/v1/chat/completions", timeout=60,
        headers={"Authorization": f"Bearer {srv.keys[0]}"},
        json={"model": model, "messages": [{"role": "user", "content": [
            {"type": "text", "text": "describe"},
            {"type": "video_url", "video_url": {"url": url}}]}]})


def sampled(env) -> tuple[list[int], list[float]]:
    content = env["stub"].chat_requests()[-1].body["messages"][0]["content"]
    parts = upstream_parts(content)
    assert parts[0].type == "text" and parts[0].raw["text"] == "describe"
    times = [p.time_s for p in parts[1::2]]
    indices = [p.picture.index for p in parts[2::2]]
    return indices, times


def test_frames_backend_gets_the_fetched_video_as_sampled_images(env):
    r = ask(env, "frames", env["url"])
    assert r.status_code == 200, r.text
    indices, times = sampled(env)
    assert indices == [0, 30, 60]
    assert times == [0.0, 1.0, 2.0]


def test_frames_backend_samples_a_data_url_video(env):
    url = "data:video/mp4;base64," + base64.b64encode(env["bytes"]).decode()
    r = ask(env, "frames", url)
    assert r.status_code == 200, r.text
    assert sampled(env)[0] == [0, 30, 60]


def test_native_backend_gets_the_url_unchanged(env):
    r = ask(env, "native", env["url"])
    assert r.status_code == 200, r.text
    content = env["stub"].chat_requests()[-1].body["messages"][0]["content"]
    assert content[1] == {"type": "video_url", "video_url": {"url": env["url"]}}


def test_missing_file_and_garbage_are_clear_errors(env):
    r = ask(env, "frames", env["url"].replace("clip.mp4", "nope.mp4"))
    assert r.status_code == 400, r.text
    assert r.json()["error"]["param"] == "messages[0].content[1].video_url.url"
    r = ask(env, "frames", "data:video/mp4;base64," + base64.b64encode(b"not a video").decode())
    assert 400 <= r.status_code < 500, r.text
    assert r.json()["error"]["param"] == "messages[0].content[1].video_url.url"

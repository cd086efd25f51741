"""Fixtures for the Chat Completions suite: one sightline process for the whole session, routed to
recording stub upstreams (tools/stub_upstream.py), with two live test_pattern streams.

The server is started by the harness of tests/e2e/conftest.py (fresh keys, free port, crash check,
log in the report); this file only adds the `--backend` routes, the stubs and the streams.

Every test here is marked `chat` and is skipped, with the reason, while the binary lacks the
feature (no `--backend` flag in `sightline --help`, or no `/v1/chat/completions` route). Once the
route exists the tests pass or fail for real.
"""

from __future__ import annotations

import subprocess

import pytest
import requests

from conftest import _Servers, sightline_bin  # tests/e2e/conftest.py: the shared harness
from sources import free_port
from tools.stub_upstream import StubUpstream

from chat.chat_helpers import ChatEnv

UPSTREAM_KEY_ENV = "SL_E2E_UPSTREAM_KEY"
UPSTREAM_KEY = "sk-upstream-secret-4a1f"
RENAMED_UPSTREAM_MODEL = "upstream-name-1"
SLOW_TIMEOUT_MS = 800


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "chat: Chat Completions with ovs:// references against stub upstreams")


def _help_text() -> str:
    try:
        p = subprocess.run([str(sightline_bin()), "--help"], capture_output=True, text=True,
                           timeout=10)
        q = subprocess.run([str(sightline_bin()), "serve", "--help"], capture_output=True,
                           text=True, timeout=10)
        return p.stdout + p.stderr + q.stdout + q.stderr
    except (OSError, subprocess.TimeoutExpired):
        return ""


def _route_missing(base: str, key: str) -> str | None:
    """Why the chat route is absent, or None when it is there (whatever it answers)."""
    try:
        r = requests.post(f"{base}/v1/chat/completions",
                          headers={"Authorization": f"Bearer {key}"}, timeout=15,
                          json={"model": "stub-frames",
                                "messages": [{"role": "user", "content": "ping"}]})
    except requests.RequestException as e:
        return f"POST /v1/chat/completions failed: {e}"
    if r.status_code in (404, 405, 501):
        try:
            code = r.json()["error"]["code"]
        except (ValueError, KeyError, TypeError):
            code = None
        if code != "model_not_found":
            return (f"sightline has no POST /v1/chat/completions yet ({r.status_code} "
                    f"{r.text[:200]})")
    return None


@pytest.fixture(scope="session")
def stubs():
    """The upstreams: main (answers), failing (500), slow (first byte after 30 s), drip (a long
    stream, one chunk per 250 ms); each records what it receives."""
    made = {
        "main": StubUpstream(models=["stub-model"]),
        "failing": StubUpstream(),
        "slow": StubUpstream(),
        "drip": StubUpstream(),
    }
    for s in made.values():
        s.start()
    yield made
    for s in made.values():
        s.stop()


def _set_knobs(stubs):
    stubs["main"].reset()
    stubs["failing"].reset()
    stubs["failing"].configure(fail_status=500)
    stubs["slow"].reset()
    stubs["slow"].configure(first_byte_delay_s=30)
    stubs["drip"].reset()
    stubs["drip"].configure(chunk_interval_s=0.25, repeat=40)


def backend_routes(stubs, down_port: int) -> dict:
    main, fail, slow, drip = (stubs[k].base_url for k in ("main", "failing", "slow", "drip"))
    return {
        "stub-frames": f"{main};video=frames",
        "stub-native": f"{main};video=native",
        "gpt-4o": main,   # the model of the OpenAI docs example
        "stub-renamed": f"{main};upstream_model={RENAMED_UPSTREAM_MODEL}",
        "stub-keyed": f"{main};api_key_env={UPSTREAM_KEY_ENV};video=frames",
        "stub-down": f"http://127.0.0.1:{down_port}/v1;timeout_ms=5000",
        "stub-failing": fail,
        "stub-slow": f"{slow};timeout_ms={SLOW_TIMEOUT_MS}",
        "stub-drip": drip,
    }


@pytest.fixture(scope="session")
def chat_session(tmp_path_factory, stubs):
    help_text = _help_text()
    if "--backend" not in help_text:
        pytest.skip(f"{sightline_bin()} has no --backend flag yet (Chat Completions not built)")
    _set_knobs(stubs)
    down_port = free_port()   # nothing listens there: connection refused
    routes = backend_routes(stubs, down_port)
    args = ["--max-streams-per-key", "64"]
    for model, spec in routes.items():
        args += ["--backend", f"{model}={spec}"]
    servers = _Servers(tmp_path_factory.mktemp("chat"))
    srv = servers(*args, env={UPSTREAM_KEY_ENV: UPSTREAM_KEY})
    try:
        why = _route_missing(srv.base, srv.keys[0])
        if why:
            pytest.skip(why)
        env = ChatEnv(srv, stubs, sorted(routes))
        env.start_streams()
        yield env
    finally:
        problems = servers.finish(report_logs=False)
        assert not problems, "; ".join(problems) + "\n" + srv.log()[-6000:]


@pytest.fixture
def chat(chat_session, request) -> ChatEnv:
    """The session's ChatEnv with fresh stub records and knobs; fails the test if the server
    died during it."""
    _set_knobs(chat_session.stubs)
    yield chat_session
    if not chat_session.server.alive():
        pytest.fail(f"sightline died during the test\n{chat_session.server.log()[-6000:]}")
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        print(f"---- sightline log ----\n{chat_session.server.log()[-6000:]}")

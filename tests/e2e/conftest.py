"""Harness for the end-to-end suite: the real server as a process, an authenticated client, and
real video sources on loopback (sources.py).

The binary comes from $SIGHTLINE_BIN (default build/sightline). Every server gets fresh random
API keys, a free port and its own --allow-file-root; it is always terminated, and a server that
died on its own (a crash) fails the test that was using it, with its log in the report.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import signal
import subprocess
import time
from pathlib import Path
from typing import Callable

import pytest
import requests

import barcode
import sources

REPO = Path(__file__).resolve().parents[2]
# A sanitizer build (SIGHTLINE_BIN=build-asan/sightline) reports here; UBSan keeps running.
SANITIZER_MARKERS = ("runtime error:", "ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                     "WARNING: ThreadSanitizer")
LISTEN_RE = re.compile(r"sightline listening on http://127\.0\.0\.1:(\d+)")


def sightline_bin() -> Path:
    return Path(os.environ.get("SIGHTLINE_BIN", REPO / "build" / "sightline")).resolve()


# ---------------------------------------------------------------------------------------------
# Collection guard: a run that collects fewer tests than the caller expects fails, so an import
# error or a wrong path cannot pass as "0 tests, all fine".

def pytest_configure(config):
    # A SIGTERM (the CI's timeout) becomes an interrupt, so fixtures still stop the servers and
    # sources they started; sources.py kills whatever is left at exit.
    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, interrupt)


def pytest_collection_finish(session):
    want = int(os.environ.get("SIGHTLINE_E2E_MIN_TESTS", "0"))
    got = len(session.items)
    if want and got < want and not session.config.option.collectonly:
        raise pytest.UsageError(f"collected {got} e2e tests, expected at least {want}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)


def _failed(request) -> bool:
    return any(getattr(getattr(request.node, f"rep_{w}", None), "failed", False)
               for w in ("setup", "call"))


# ---------------------------------------------------------------------------------------------
# Client

class Api:
    """requests with the API key, base URL and a default timeout."""

    def __init__(self, base: str, key: str | None):
        self.base = base
        self.key = key
        self.s = requests.Session()
        if key is not None:
            self.s.headers["Authorization"] = f"Bearer {key}"

    def request(self, method: str, path: str, **kw) -> requests.Response:
        kw.setdefault("timeout", 15)
        return self.s.request(method, self.base + path, **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    # Streams ---------------------------------------------------------------------------------

    def create_stream(self, source: dict, **fields) -> dict:
        r = self.post("/v1/streams", json={"source": source, **fields})
        assert r.status_code == 201, f"create stream: {r.status_code} {r.text}"
        return r.json()

    def create_test_pattern(self, width=320, height=240, fps=30, **fields) -> dict:
        return self.create_stream({"type": "test_pattern", "width": width, "height": height,
                                   "fps": fps}, **fields)

    def create_url(self, url: str, **fields) -> dict:
        return self.create_stream({"type": "url", "url": url}, **fields)

    def stream(self, sid: str) -> dict:
        r = self.get(f"/v1/streams/{sid}")
        assert r.status_code == 200, f"get stream {sid}: {r.status_code} {r.text}"
        return r.json()

    def wait_stream(self, sid: str, pred: Callable[[dict], bool], timeout: float,
                    what: str = "condition") -> dict:
        deadline = time.monotonic() + timeout
        st = self.stream(sid)
        while not pred(st):
            if time.monotonic() > deadline:
                raise AssertionError(f"stream {sid}: no {what} within {timeout}s; last status: "
                                     f"{json.dumps(st, indent=1)}")
            time.sleep(0.2)
            st = self.stream(sid)
        return st

    def wait_frames(self, sid: str, n: int, timeout: float = 30) -> dict:
        """Waits until the stream is active and has received at least n frames."""
        return self.wait_stream(
            sid, lambda s: s["state"] == "active" and (s["last_frame_index"] or -1) >= n - 1,
            timeout, f"{n} frames")

    def frame(self, sid: str, query: str | dict | None = None, **kw) -> requests.Response:
        if isinstance(query, dict):
            query = "&".join(f"{k}={v}" for k, v in query.items())
        path = f"/v1/streams/{sid}/frame" + (f"?{query}" if query else "")
        return self.get(path, **kw)

    def frame_ok(self, sid: str, query: str | dict | None = None) -> requests.Response:
        r = self.frame(sid, query)
        assert r.status_code == 200, f"frame {sid}?{query}: {r.status_code} {r.text[:500]}"
        assert r.headers.get("Content-Type", "").startswith("image/jpeg"), r.headers
        return r

    def barcode_at(self, sid: str, frame_index: int) -> int:
        r = self.frame_ok(sid, f"frame_index={frame_index}")
        assert int(r.headers["X-Frame-Index"]) == frame_index or frame_index < 0, r.headers
        return barcode.read_barcode(r.content)


def raw_request(port: int, method: str, path: str, headers: dict | None = None,
                body: bytes | None = None, timeout: float = 10) -> tuple[int, dict, bytes]:
    """An HTTP request with the path sent byte for byte (requests re-quotes bad escapes)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def assert_error(r, status: int, code: str | tuple, param=...) -> dict:
    """The OpenAI error envelope with this status and code (and param, when given)."""
    if isinstance(r, tuple):   # from raw_request
        got_status, headers, body = r
        text = body.decode(errors="replace")
    else:
        got_status, headers, text = r.status_code, {k.lower(): v for k, v in r.headers.items()}, r.text
    assert got_status == status, f"expected {status} {code}, got {got_status}: {text[:500]}"
    assert headers.get("content-type", "").startswith("application/json"), headers
    body = json.loads(text)
    assert set(body) == {"error"}, body
    err = body["error"]
    assert {"message", "type", "param", "code"} <= set(err), err
    assert isinstance(err["message"], str) and err["message"], err
    assert isinstance(err["type"], str) and err["type"], err
    codes = code if isinstance(code, tuple) else (code,)
    assert err["code"] in codes, f"expected code {codes}, got {err}"
    if param is not ...:
        assert err["param"] == param, f"expected param {param!r}, got {err}"
    return err


# ---------------------------------------------------------------------------------------------
# Server

class Server:
    """One sightline process."""

    def __init__(self, workdir: Path, keys: list[str], args: list[str] | None = None,
                 env: dict | None = None):
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.keys = keys
        self.file_root = workdir / "files"
        self.file_root.mkdir(exist_ok=True)
        self.log_path = workdir / "sightline.log"
        self.expect_exit = False
        cmd = [str(sightline_bin()), "serve", "--listen", "127.0.0.1:0",
               "--allow-file-root", str(self.file_root)]
        for k in keys:
            cmd += ["--api-key", k]
        cmd += args or []
        self.cmd = cmd
        full_env = {k: v for k, v in os.environ.items() if k != "SIGHTLINE_API_KEYS"}
        full_env.update(env or {})
        self.proc = sources.Proc(cmd, self.log_path, env=full_env)
        self.port = self._wait_listening(timeout=20)
        self.base = f"http://127.0.0.1:{self.port}"

    def _wait_listening(self, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = LISTEN_RE.search(self.log_path.read_text(errors="replace"))
            if m:
                return int(m.group(1))
            if not self.proc.alive():
                raise RuntimeError(f"sightline exited with {self.proc.popen.returncode} before "
                                   f"listening: {' '.join(self.cmd)}\n{self.proc.tail()}")
            time.sleep(0.05)
        self.proc.stop(signal.SIGKILL)
        raise TimeoutError(f"sightline did not print its listening line in {timeout}s\n"
                           f"{self.proc.tail()}")

    def api(self, key: str | None | int = 0) -> Api:
        """A client with keys[key] (an index), an explicit key string, or None for no auth."""
        if isinstance(key, int):
            key = self.keys[key]
        return Api(self.base, key)

    def alive(self) -> bool:
        return self.proc.alive()

    def log(self) -> str:
        return self.proc.tail(20000)

    def signal(self, sig: int) -> None:
        self.expect_exit = True
        os.kill(self.proc.pid, sig)

    def wait_exit(self, timeout: float) -> int:
        try:
            return self.proc.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"sightline still running {timeout}s after the signal\n"
                                 f"{self.log()[-3000:]}") from None

    def stop(self) -> int | None:
        return self.proc.stop(signal.SIGTERM, timeout=10)


def new_key() -> str:
    return "sk-test-" + secrets.token_hex(12)


@pytest.fixture(scope="session", autouse=True)
def _binary_exists():
    b = sightline_bin()
    if not (b.is_file() and os.access(b, os.X_OK)):
        pytest.exit(f"sightline binary not found at {b} (set SIGHTLINE_BIN or build it)",
                    returncode=3)


class _Servers:
    def __init__(self, base: Path):
        self.base = base
        self.started: list[Server] = []

    def __call__(self, *args: str, keys: int | list[str] = 2, env: dict | None = None) -> Server:
        key_list = keys if isinstance(keys, list) else [new_key() for _ in range(keys)]
        srv = Server(self.base / f"server{len(self.started)}", key_list, list(args), env)
        self.started.append(srv)
        return srv

    def finish(self, report_logs: bool) -> list[str]:
        """Stops every server; returns the problems (crashes, unclean exits)."""
        problems = []
        for srv in self.started:
            crashed = not srv.alive() and not srv.expect_exit
            rc = srv.stop()
            if crashed:
                problems.append(f"sightline died during the test (exit {rc})")
            elif not srv.expect_exit and rc != 0:
                problems.append(f"sightline exited {rc} on SIGTERM")
            log = srv.log_path.read_text(errors="replace")
            for marker in SANITIZER_MARKERS:
                if marker in log:
                    problems.append(f"sanitizer report in the sightline log ({marker!r})")
                    report_logs = True
                    break
            if report_logs or crashed:
                print(f"---- sightline log ({srv.log_path}) ----\n{srv.log()[-6000:]}")
        return problems


@pytest.fixture
def start_server(tmp_path, request):
    """start_server(*extra_args, keys=2) -> Server; stopped (and checked) after the test."""
    servers = _Servers(tmp_path)
    yield servers
    problems = servers.finish(report_logs=_failed(request))
    assert not problems, "; ".join(problems)


@pytest.fixture(scope="module")
def server(tmp_path_factory, request):
    """One server shared by a test module: keys[0], keys[1]; generous per-key limit."""
    servers = _Servers(tmp_path_factory.mktemp(request.module.__name__.split(".")[-1]))
    srv = servers("--max-streams-per-key", "64")
    yield srv
    problems = servers.finish(report_logs=False)
    assert not problems, "; ".join(problems) + "\n" + srv.log()[-6000:]


@pytest.fixture
def api(server, request) -> Api:
    """A client for the shared server that deletes the streams it created after the test."""
    a = server.api(0)
    before = {s["id"] for s in a.get("/v1/streams").json()["data"]}
    yield a
    if not server.alive():
        pytest.fail(f"sightline died during the test\n{server.log()[-6000:]}")
    if _failed(request):
        print(f"---- sightline log ----\n{server.log()[-6000:]}")
    for s in a.get("/v1/streams").json()["data"]:
        if s["id"] not in before and s["id"] != "demo":
            a.delete(f"/v1/streams/{s['id']}")


@pytest.fixture
def workdir(tmp_path) -> Path:
    return tmp_path


@pytest.fixture
def cleanup():
    """cleanup(obj_with_stop) registers a source to stop after the test, in reverse order."""
    items = []
    yield items.append
    for item in reversed(items):
        try:
            item.stop()
        except Exception as e:  # noqa: BLE001 - best effort, report and carry on
            print(f"cleanup of {item!r} failed: {e}")

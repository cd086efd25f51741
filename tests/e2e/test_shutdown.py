"""SIGTERM/SIGINT: stop accepting, close sources, exit 0 within the grace period."""

import signal
import time

import pytest

import sources

pytestmark = pytest.mark.timeout(90)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_exits_zero(start_server, sig):
    srv = start_server()
    api = srv.api(0)
    s = api.create_test_pattern(width=160, height=120, fps=30)
    api.wait_frames(s["id"], 5)
    t0 = time.monotonic()
    srv.signal(sig)
    rc = srv.wait_exit(timeout=10)
    assert rc == 0, f"exit code {rc}\n{srv.log()[-3000:]}"
    assert time.monotonic() - t0 < 10


@pytest.mark.sources
def test_sigterm_with_live_and_stuck_sources(start_server, workdir, cleanup):
    srv = start_server()
    api = srv.api(0)
    src = sources.FfmpegListener("rtmp", workdir)
    cleanup(src)
    s = api.create_url(src.url)
    api.wait_frames(s["id"], 5, timeout=30)
    api.create_url(f"rtsp://127.0.0.1:{sources.free_port()}/nothing")   # reconnecting forever
    t0 = time.monotonic()
    srv.signal(signal.SIGTERM)
    rc = srv.wait_exit(timeout=15)
    assert rc == 0, f"exit code {rc}\n{srv.log()[-3000:]}"
    assert time.monotonic() - t0 < 15


def test_sigterm_with_idle_keepalive_connection(start_server):
    import http.client
    srv = start_server()
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    conn.request("GET", "/healthz")
    conn.getresponse().read()   # the connection stays open, idle
    try:
        t0 = time.monotonic()
        srv.signal(signal.SIGTERM)
        assert srv.wait_exit(timeout=10) == 0
        assert time.monotonic() - t0 < 10
    finally:
        conn.close()

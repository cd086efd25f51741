"""Operations endpoints and the HTTP edge: health, readiness, metrics, OpenAPI, auth, errors,
body limits, keep-alive."""

import http.client
import json
import re
import socket
import time

from conftest import assert_error, raw_request


def test_healthz_needs_no_key(server):
    r = server.api(None).get("/healthz")
    assert r.status_code == 200, r.text


def test_readyz(server):
    r = server.api(0).get("/readyz")
    assert r.status_code == 200, r.text


def test_openapi_document(server):
    r = server.api(0).get("/openapi.json")
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    doc = r.json()
    assert str(doc.get("openapi", "")).startswith("3.1"), doc.get("openapi")
    paths = doc["paths"]
    assert "/v1/streams" in paths, sorted(paths)
    assert any(p.startswith("/v1/streams/{") and p.endswith("/frame") for p in paths), sorted(paths)
    assert {"get", "post"} <= set(paths["/v1/streams"]), paths["/v1/streams"]


def test_missing_key_is_401_with_envelope(server):
    r = server.api(None).get("/v1/streams")
    assert_error(r, 401, "invalid_api_key")


def test_wrong_key_is_401_with_envelope(server):
    r = server.api("sk-not-a-real-key").get("/v1/streams")
    assert_error(r, 401, "invalid_api_key")
    r = server.api(None).get("/v1/streams", headers={"Authorization": "Basic Zm9vOmJhcg=="})
    assert_error(r, 401, "invalid_api_key")


def test_unknown_route_is_404(server):
    r = server.api(0).get("/v1/no-such-thing")
    assert_error(r, 404, "not_found")


def test_wrong_method_is_an_error_not_a_crash(server):
    r = server.api(0).request("PUT", "/v1/streams", json={})
    assert r.status_code in (404, 405), r.text
    assert "error" in r.json()


def test_metrics_text_format(server, api):
    s = api.create_test_pattern()
    api.wait_frames(s["id"], 5)
    api.frame_ok(s["id"], "frame_index=-1")
    api.get("/v1/no-such-thing")
    r = server.api(None).get("/metrics")
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("text/plain"), r.headers
    text = r.text
    assert "# TYPE" in text and "# HELP" in text
    sid = re.escape(s["id"])

    def series(name_re, label_re=""):
        return [ln for ln in text.splitlines()
                if re.match(rf"^{name_re}\{{[^}}]*{label_re}[^}}]*\}} [0-9.e+-]+$", ln)]

    frames = series(r"\w*frames\w*_total", rf'stream="{sid}"')
    assert frames and float(frames[0].rsplit(" ", 1)[1]) >= 5, frames
    assert series(r"\w*decode_errors\w*", rf'stream="{sid}"'), "no per-stream decode errors"
    assert series(r"\w*reconnects\w*", rf'stream="{sid}"'), "no per-stream reconnects"
    assert series(r"\w*buffer_bytes\w*", rf'stream="{sid}"'), "no per-stream buffer bytes"
    http_lines = series(r"\w*http_requests_total", r'route="[^"]*"')
    assert any('status="200"' in ln for ln in http_lines), http_lines[:10]
    assert any('status="404"' in ln for ln in http_lines), http_lines[:10]
    assert series(r"\w*_bucket", r'le="[^"]+"'), "no latency histogram"


def test_keep_alive_reuses_the_connection(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request("GET", "/healthz")
        r1 = conn.getresponse()
        r1.read()
        sock = conn.sock
        assert sock is not None and r1.status == 200, "server closed after the first request"
        conn.request("GET", "/v1/streams", headers={"Authorization": f"Bearer {server.keys[0]}"})
        r2 = conn.getresponse()
        body = r2.read()
        assert r2.status == 200, body
        assert conn.sock is sock, "second request needed a new connection"
    finally:
        conn.close()


def test_body_over_limit_is_413(start_server):
    srv = start_server("--max-body-bytes", "65536")
    # A 64 MiB body announced by Content-Length, streamed in pieces: the server must answer 413
    # without reading it all (we stop sending as soon as it answers or closes).
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    try:
        s.sendall((f"POST /v1/streams HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {srv.keys[0]}"
                   "\r\nContent-Type: application/json\r\nContent-Length: 67108864\r\n\r\n").encode())
        chunk = b"x" * 65536
        sent = 0
        s.settimeout(0.05)
        response = b""
        while sent < (64 << 20):
            try:
                response += s.recv(65536)
                if response:
                    break
            except socket.timeout:
                pass
            except OSError:
                break
            try:
                s.sendall(chunk)
                sent += len(chunk)
            except OSError:   # server closed: fine, read what it said
                break
        s.settimeout(10)
        deadline = time.monotonic() + 10
        while b"\r\n\r\n" not in response and time.monotonic() < deadline:
            try:
                more = s.recv(65536)
            except OSError:
                break
            if not more:
                break
            response += more
    finally:
        s.close()
    assert response.startswith(b"HTTP/1.1 413"), response[:300]
    assert sent < (64 << 20), "server read the whole oversized body"
    head, _, body = response.partition(b"\r\n\r\n")
    if body.strip():
        err = json.loads(body[: body.rfind(b"}") + 1])["error"]
        assert err["code"] == "payload_too_large", err
    assert srv.api(None).get("/healthz").status_code == 200


def test_body_under_limit_is_accepted(start_server):
    srv = start_server("--max-body-bytes", "65536")
    # Just under the limit, padded with JSON whitespace.
    body = json.dumps({"source": {"type": "test_pattern", "width": 64, "height": 64, "fps": 5}})
    body = body[:-1] + " " * (65536 - len(body)) + "}"
    assert len(body) == 65536
    r = srv.api(0).post("/v1/streams", data=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 201, r.text


def test_bad_http_does_not_hurt_the_server(server):
    for junk in (b"GARBAGE\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n", b"\x00\x01\x02" * 100,
                 b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n"):
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
            s.sendall(junk)
            try:
                s.recv(4096)
            except OSError:
                pass
    status, _, _ = raw_request(server.port, "GET", "/healthz")
    assert status == 200


def test_cors_preflight_and_actual_request(start_server):
    origin = "http://app.example.test"
    srv = start_server("--cors-origin", origin)
    anon = srv.api(None)
    # Preflight: browsers send no Authorization, so it must not need a key.
    r = anon.request("OPTIONS", "/v1/streams", headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert r.status_code in (200, 204), r.text
    assert r.headers.get("Access-Control-Allow-Origin") in (origin, "*"), r.headers
    assert "POST" in r.headers.get("Access-Control-Allow-Methods", "").upper(), r.headers
    allowed = r.headers.get("Access-Control-Allow-Headers", "").lower()
    assert "authorization" in allowed and "content-type" in allowed, r.headers

    r = srv.api(0).get("/v1/streams", headers={"Origin": origin})
    assert r.status_code == 200
    assert r.headers.get("Access-Control-Allow-Origin") == origin, r.headers
    assert "origin" in r.headers.get("Vary", "").lower(), r.headers
    # Errors carry CORS headers too, or a browser app could not read them.
    r = anon.get("/v1/streams", headers={"Origin": origin})
    assert r.status_code == 401 and r.headers.get("Access-Control-Allow-Origin") == origin

    # An origin not on the list gets no CORS grant.
    r = anon.request("OPTIONS", "/v1/streams", headers={
        "Origin": "http://evil.example.test", "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in r.headers, r.headers
    r = srv.api(0).get("/v1/streams", headers={"Origin": "http://evil.example.test"})
    assert "Access-Control-Allow-Origin" not in r.headers, r.headers


def test_no_cors_headers_without_configuration(server):
    r = server.api(0).get("/v1/streams", headers={"Origin": "http://app.example.test"})
    assert r.status_code == 200
    assert "Access-Control-Allow-Origin" not in r.headers, r.headers


def test_metrics_token(start_server):
    srv = start_server("--metrics-token", "metrics-secret")
    assert srv.api(None).get("/metrics").status_code == 401
    assert srv.api("metrics-secret").get("/metrics").status_code == 200
    assert srv.api(None).get("/healthz").status_code == 200


def test_generated_key_when_none_is_configured(start_server):
    srv = start_server(keys=[])
    log = srv.log()
    m = re.search(r"API key: (\S{16,})", log)
    assert m, f"no generated key printed:\n{log[-2000:]}"
    assert srv.api(m.group(1)).get("/v1/streams").status_code == 200
    assert_error(srv.api(None).get("/v1/streams"), 401, "invalid_api_key")

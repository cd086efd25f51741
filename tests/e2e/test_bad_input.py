"""Hostile or broken inputs: unreachable cameras, garbage video, absurd sizes, junk queries. The
server reports the problem on the stream and stays healthy."""

import functools
import os
import random
import socket
import time

import pytest

import sources
from conftest import assert_error, raw_request

pytestmark = pytest.mark.timeout(120)


def assert_healthy(server):
    assert server.alive(), server.log()[-3000:]
    assert server.api(None).get("/healthz").status_code == 200
    assert server.api(0).get("/v1/streams").status_code == 200


def test_unreachable_host(server, api):
    port = sources.free_port()   # nothing listens there
    s = api.create_url(f"rtsp://127.0.0.1:{port}/cam")
    st = api.wait_stream(s["id"], lambda x: bool(x["last_error"]), 20, "last_error")
    assert st["state"] in ("connecting", "reconnecting"), st
    assert st["last_frame_index"] is None
    assert_error(api.frame(s["id"]), 409, "stream_not_ready")
    assert_healthy(server)


def test_peer_that_accepts_and_says_nothing(server, api):
    # A TCP peer that accepts and never answers: the connect/read timeout must fire.
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(8)
    try:
        port = lsock.getsockname()[1]
        s = api.create_url(f"http://127.0.0.1:{port}/stream.ts")
        st = api.wait_stream(s["id"], lambda x: bool(x["last_error"]), 30, "last_error")
        assert st["state"] in ("connecting", "reconnecting"), st
        assert_healthy(server)
    finally:
        lsock.close()


@pytest.mark.sources
def test_garbage_mpegts(server, api, cleanup):
    g = sources.GarbageHttp()
    cleanup(g)
    s = api.create_url(g.url)
    st = api.wait_stream(s["id"], lambda x: bool(x["last_error"]), 40, "last_error")
    assert st["state"] in ("connecting", "reconnecting", "failed"), st
    assert_healthy(server)


@pytest.mark.sources
def test_truncated_file(server, api):
    path = sources.make_barcode_file(server.file_root / "good.ts", seconds=2)
    data = path.read_bytes()
    bad = server.file_root / "truncated.ts"
    # Keep the start, then corrupt the middle: decoding errors, not a crash.
    bad.write_bytes(data[: len(data) // 2] + bytes(range(256)) * 64 + data[len(data) // 2:])
    s = api.create_url(f"file://{bad}")
    api.wait_stream(s["id"], lambda x: (x["last_frame_index"] or -1) >= 5 or
                    x["state"] in ("ended", "failed"), 30, "frames or an end")
    assert_healthy(server)


def test_file_that_is_not_video(server, api):
    # Fixed random bytes (a text file would not do: FFmpeg's "tty" demuxer renders text as
    # video; and some random inputs probe as an empty stream of another format).
    p = server.file_root / "noise.mp4"
    p.write_bytes(random.Random(7).randbytes(200_000))
    s = api.create_url(f"file://{p}")
    st = api.wait_stream(s["id"], lambda x: bool(x["last_error"]) or x["state"] == "failed",
                         20, "an error")
    assert st["last_frame_index"] is None
    assert_healthy(server)


@pytest.mark.sources
@pytest.mark.parametrize("ref", ["absolute", "relative"])
def test_playlist_cannot_escape_the_file_root(server, api, tmp_path, ref):
    # A playlist inside the root that points at media outside it must not play: file:// sources
    # are confined to --allow-file-root, also through demuxers that open further files (HLS).
    outside = tmp_path / "outside"
    outside.mkdir()
    seg = sources.make_barcode_file(outside / "seg.ts", seconds=2)
    target = f"file://{seg}" if ref == "absolute" else os.path.relpath(seg, server.file_root)
    playlist = server.file_root / f"escape-{ref}.m3u8"
    playlist.write_text("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n"
                        f"#EXTINF:2.0,\n{target}\n#EXT-X-ENDLIST\n")
    r = api.post("/v1/streams", json={"source": {"type": "url", "url": f"file://{playlist}"}})
    if r.status_code == 201:
        sid = r.json()["id"]
        st = api.wait_stream(sid, lambda x: bool(x["last_error"]) or x["state"] in
                             ("ended", "failed") or x["last_frame_index"] is not None, 20,
                             "an outcome")
        time.sleep(1)
        st = api.stream(sid)
        assert st["last_frame_index"] is None, (
            f"frames read from outside the file root through a playlist: {st}")
    else:
        assert_error(r, 400, ("invalid_request", "unsupported"), param="source.url")
    assert_healthy(server)


@pytest.mark.sources
def test_remote_playlist_cannot_read_local_files(server, api, tmp_path, cleanup):
    # The classic FFmpeg HLS hole: a playlist fetched over HTTP (any API user can point a
    # stream at one) listing file:// segments. Local files must never be read this way.
    local = tmp_path / "private"
    local.mkdir()
    seg = sources.make_barcode_file(local / "seg.ts", seconds=2)
    web = tmp_path / "web"
    web.mkdir()
    (web / "evil.m3u8").write_text("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n"
                                   f"#EXTINF:2.0,\nfile://{seg}\n#EXT-X-ENDLIST\n")
    http = sources.HttpServerThread(
        functools.partial(sources._QuietHandler, directory=str(web)))
    cleanup(http)
    s = api.create_url(f"http://127.0.0.1:{http.port}/evil.m3u8")
    api.wait_stream(s["id"], lambda x: bool(x["last_error"]) or x["state"] in ("ended", "failed")
                    or x["last_frame_index"] is not None, 20, "an outcome")
    time.sleep(1)
    st = api.stream(s["id"])
    assert st["last_frame_index"] is None, f"a remote playlist made the server read {seg}: {st}"
    assert_healthy(server)


def test_missing_file(server, api):
    r = api.post("/v1/streams", json={"source": {"type": "url",
                                                 "url": f"file://{server.file_root}/nope.mp4"}})
    if r.status_code == 201:   # accepted, then reported on the stream
        sid = r.json()["id"]
        st = api.wait_stream(sid, lambda x: bool(x["last_error"]) or x["state"] == "failed",
                             20, "an error")
        assert st["last_frame_index"] is None
    else:
        assert_error(r, 400, ("invalid_request", "unsupported"), param="source.url")
    assert_healthy(server)


@pytest.mark.parametrize("url", ["gopher://127.0.0.1/x", "ftp://127.0.0.1/x.ts",
                                 "javascript:alert(1)", "rtsp://", "http://", "//127.0.0.1/x"])
def test_unknown_or_broken_url_is_400(api, url):
    r = api.post("/v1/streams", json={"source": {"type": "url", "url": url}})
    assert_error(r, 400, ("invalid_request", "unsupported"), param="source.url")


def test_absurd_resolution_is_400(api):
    r = api.post("/v1/streams", json={"source": {"type": "test_pattern", "width": 100000,
                                                 "height": 100000, "fps": 30}})
    assert_error(r, 400, ("invalid_request", "unsupported"))


@pytest.mark.parametrize("path", [
    "/v1/streams/%zz", "/v1/streams/%00/frame", "/v1/streams/a%2Fb/frame",
    "/v1/streams/" + "a" * 5000, "/v1/streams/x/frame?" + "&".join(["a=1"] * 2000),
    "/v1/streams/x/frame?frame_index=1&&&&", "/v1/streams/x/frame?=1", "/v1/streams/x/frame?&",
])
def test_malformed_requests_are_answered(server, path):
    try:
        status, _, body = raw_request(server.port, "GET", path,
                                      {"Authorization": f"Bearer {server.keys[0]}"})
    except (ConnectionError, OSError):
        status = None   # the server may close on a request line it cannot parse
    assert status is None or 400 <= status < 500, (status, path)
    assert_healthy(server)


def test_everything_still_fine_at_the_end(server, api):
    s = api.create_test_pattern(width=64, height=64, fps=10)
    api.wait_frames(s["id"], 3)
    api.frame_ok(s["id"], "frame_index=-1")
    assert_healthy(server)

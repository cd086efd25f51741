"""Every kind of pull source, from a real process on loopback: the stream becomes active, frames
arrive 1:1 (the barcode difference between two lifetime indices equals their distance), and the
live edge moves."""

import time

import pytest

import barcode
import sources

pytestmark = [pytest.mark.sources, pytest.mark.timeout(150)]

FPS = 30


def start_source(kind, workdir):
    if kind == "rtsp":
        return sources.RtspSource(workdir, fps=FPS)
    if kind == "hls":
        return sources.HlsSource(workdir, fps=FPS)
    return sources.FfmpegListener(kind, workdir, fps=FPS)


def check_frames_are_consecutive(api, sid, a, ks=(1, 2, 3, 5, 10, 29, 30, 31, 45)):
    base = api.barcode_at(sid, a)
    for k in ks:
        got = api.barcode_at(sid, a + k)
        assert barcode.diff(base, got) == k, (
            f"frame_index {a}+{k}: barcode {got}, frame_index {a}: barcode {base} "
            f"(a frame was dropped, duplicated or misnumbered)")


@pytest.mark.parametrize("kind", ["rtsp", "rtmp", "srt", "ts_http", "hls"])
def test_live_source(api, workdir, cleanup, kind):
    src = start_source(kind, workdir)
    cleanup(src)
    s = api.create_url(src.url, lease=False)
    assert s["source"]["type"] == "url" and s["source"]["url"] == src.url, s["source"]
    # HLS starts a few segments behind; the rest connect within a second or two.
    st = api.wait_frames(s["id"], 75, timeout=45)
    assert (st["width"], st["height"]) == (320, 240)
    assert st["last_error"] in (None, ""), st["last_error"]
    newest = st["last_frame_index"]
    check_frames_are_consecutive(api, s["id"], newest - 50)
    check_frames_are_consecutive(api, s["id"], st["first_available_frame_index"] + 2, ks=(1, 7, 30))

    # The live edge moves, frame for frame.
    r1 = api.frame_ok(s["id"], "frame_index=-1")
    i1, b1 = int(r1.headers["X-Frame-Index"]), barcode.read_barcode(r1.content)
    time.sleep(1.5)
    r2 = api.frame_ok(s["id"], "frame_index=-1")
    i2, b2 = int(r2.headers["X-Frame-Index"]), barcode.read_barcode(r2.content)
    assert i2 - i1 >= FPS // 2, (i1, i2)
    assert barcode.diff(b1, b2) == i2 - i1, (i1, b1, i2, b2)
    st = api.stream(s["id"])
    assert st["state"] == "active"
    # HLS starts a few segments behind the live edge and catches up in a burst, so its recent
    # rate may read high for a while; the others arrive at the camera's rate.
    assert 15 <= st["recent_fps"] <= (100 if kind == "hls" else 40), st["recent_fps"]


@pytest.mark.parametrize("suffix", ["mp4", "ts"])
def test_file_source(server, api, suffix):
    path = sources.make_barcode_file(server.file_root / f"clip.{suffix}", seconds=10, fps=FPS)
    s = api.create_url(f"file://{path}", lease=False)
    st = api.wait_stream(s["id"], lambda x: (x["last_frame_index"] or -1) >= 120, 45,
                         "120 frames")
    assert (st["width"], st["height"]) == (320, 240)
    # Frame k of the stream is frame k of the file (the file starts at its first frame).
    for k in (0, 1, 2, 30, 31, 99, 120):
        assert api.barcode_at(s["id"], k) == k
    check_frames_are_consecutive(api, s["id"], 10)

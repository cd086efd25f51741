"""GET /v1/streams/{id}/clip: a sampled segment as an H.264 MP4, with the video ovs:// query
grammar. The test pattern's barcode is the lifetime frame index, so every frame of the MP4 can be
checked against the segment that was asked for."""

import pytest

from chat.chat_media import mp4_format_name, mp4_frames
from conftest import assert_error

FPS = 30


@pytest.fixture(scope="module")
def pattern(server):
    api = server.api(0)
    s = api.create_test_pattern(width=320, height=240, fps=FPS, lease=False)
    api.wait_frames(s["id"], 130, timeout=30)
    yield s["id"]
    api.delete(f"/v1/streams/{s['id']}")


def clip(api, sid, query):
    return api.get(f"/v1/streams/{sid}/clip?{query}")


def test_clip_holds_exactly_the_sampled_frames(api, pattern):
    r = clip(api, pattern, "start_frame_index=10&end_frame_index=70&max_fps=5")
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "video/mp4"
    assert "mp4" in mp4_format_name(r.content)
    frames = mp4_frames(r.content)
    # Frames 10..69 span [333, 2333) ms; at 5 fps the grid instants are the multiples of 200 ms
    # in it (400 .. 2200): frames 12, 18, .. 66 (SPEC section 3).
    assert [f.index for f in frames] == list(range(12, 72, 6))
    assert r.headers["X-Frame-Count"] == "10"
    assert r.headers["X-First-Frame-Index"] == "12"
    assert r.headers["X-Last-Frame-Index"] == "66"
    assert r.headers["X-Frame-Clamped"] == "false"


def test_clip_max_frames_and_max_pixels(api, pattern):
    r = clip(api, pattern, "start_frame_index=0&end_frame_index=120&max_fps=30&max_frames=4"
                           "&max_pixels=20000")
    assert r.status_code == 200, r.text
    frames = mp4_frames(r.content, source_height=240)
    assert len(frames) == 4
    assert frames[0].index == 0
    assert all(f.width * f.height <= 20000 for f in frames)


def test_clip_errors(api, pattern):
    assert_error(clip(api, pattern, "frame_index=3"), 422, "invalid_reference", param="query")
    assert_error(clip(api, pattern, "start_frame_index=5&end_frame_index=5"), 422,
                 "invalid_reference", param="query")
    assert_error(clip(api, pattern, "start_frame_index=99999999"), 422, "frame_not_available")
    assert_error(api.get("/v1/streams/nope/clip?start_frame_index=0"), 404, "stream_not_found")

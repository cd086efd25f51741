"""Segment references (`video_url` with `ovs://`): exactly the frames of `[start, end)` sampled at
`max_fps`, proved by the barcodes of what the upstream received, in `frames` mode (time text +
JPEG per frame) and in `native` mode (one MP4)."""

import pytest

from chat.chat_helpers import A_H, A_W, expect_media, media_entry, ts

pytestmark = pytest.mark.chat

EVERY_FRAME = "max_fps=60"   # the grid period is 17 ms: every frame of a 30 fps segment


@pytest.mark.parametrize("query", [
    f"start_frame_index=30&end_frame_index=60&{EVERY_FRAME}",
    f"start_timestamp_ms=1000&end_timestamp_ms=2000&{EVERY_FRAME}",
    f"start_offset_ms=1000&end_offset_ms=2000&{EVERY_FRAME}",
    # mixed start/end kinds
    f"start_frame_index=30&end_timestamp_ms=2000&{EVERY_FRAME}",
    f"start_timestamp_ms=1000&end_frame_index=60&{EVERY_FRAME}",
    f"start_offset_ms=1000&end_frame_index=60&{EVERY_FRAME}",
    f"start_frame_index=30&end_offset_ms=2000&{EVERY_FRAME}",
    f"{EVERY_FRAME}&end_frame_index=60&start_timestamp_ms=1000",   # any key order
])
def test_segment_anchors_select_exactly_the_frames(chat, query):
    chat.wait_frames(chat.a, 61)
    assert chat.api.stream(chat.a)["first_available_frame_index"] == 0
    seg = chat.ask_segment(chat.a, query)
    # the end is exclusive: frame 60 (t=2000 ms) is not part of [1000 ms, 2000 ms)
    assert seg.indices == list(range(30, 60))
    assert set(seg.sizes) == {(A_W, A_H)}
    expect_media(media_entry(seg.response, 0), chat.ovs(chat.a, query), chat.a, 30, 59, 30)


def test_frames_mode_time_text_precedes_each_image(chat):
    chat.wait_frames(chat.a, 91)
    seg = chat.ask_segment(chat.a, "start_frame_index=30&end_frame_index=90&max_fps=5")
    assert seg.indices == list(range(30, 90, 6))
    # "t=12.5s": the frame's time on the stream clock, in seconds (rounded for display)
    for idx, t in zip(seg.indices, seg.times_s):
        assert abs(t * 1000 - ts(idx)) <= 50, (idx, t)
    assert seg.times_s == sorted(seg.times_s)
    for url in seg.data_urls:
        assert url.startswith("data:image/jpeg;base64,")


def test_max_fps_spacing(chat):
    a = 30
    chat.wait_frames(chat.a, a + 301, timeout=90)
    seg = chat.ask_segment(chat.a, f"start_frame_index={a}&end_frame_index={a + 300}&max_fps=2")
    # 10 s at 2 fps: 20 frames, exactly 15 apart, starting at the start
    assert len(seg.indices) == 20, seg.indices
    assert seg.indices == list(range(a, a + 300, 15))
    e = media_entry(seg.response, 0)
    assert e["frame_indices"] == {"first": a, "last": a + 285, "count": 20}
    assert e["timestamp_ms"] == {"first": ts(a), "last": ts(a + 285)}


def test_max_fps_defaults_to_one(chat):
    chat.wait_frames(chat.a, 181)
    seg = chat.ask_segment(chat.a, "start_frame_index=30&end_frame_index=180")
    assert seg.indices == [30, 60, 90, 120, 150]


def test_max_fps_above_the_stream_rate_gives_every_frame(chat):
    seg = chat.ask_segment(chat.a, "start_frame_index=10&end_frame_index=25&max_fps=120")
    assert seg.indices == list(range(10, 25))


def test_max_frames_caps_and_spreads(chat):
    chat.wait_frames(chat.a, 331, timeout=90)
    seg = chat.ask_segment(chat.a, "start_frame_index=30&end_frame_index=330&max_fps=2&max_frames=4")
    assert len(seg.indices) == 4, seg.indices
    assert all(30 <= i < 330 for i in seg.indices)
    # [1000, 11000) ms with max_frames=4: the period is 2500 ms, so the instants are 2500,
    # 5000, 7500 and 10000 on the stream clock (SPEC section 3).
    assert seg.indices == [75, 150, 225, 300], seg.indices
    e = media_entry(seg.response, 0)
    assert e["frame_indices"] == {"first": seg.indices[0], "last": seg.indices[-1], "count": 4}


def test_max_frames_above_max_fps_count_changes_nothing(chat):
    chat.wait_frames(chat.a, 331, timeout=90)
    seg = chat.ask_segment(chat.a,
                           "start_frame_index=30&end_frame_index=330&max_fps=2&max_frames=100")
    assert seg.indices == list(range(30, 330, 15))


def test_max_pixels_on_a_segment(chat):
    budget = 4800   # 80x60
    seg = chat.ask_segment(chat.a, f"start_frame_index=30&end_frame_index=36&{EVERY_FRAME}"
                           f"&max_pixels={budget}", source_height=A_H)
    assert seg.indices == list(range(30, 36))
    assert len(set(seg.sizes)) == 1
    w, h = seg.sizes[0]
    assert budget // 2 <= w * h <= budget
    assert abs(w / h - A_W / A_H) < 0.1


def test_default_end_is_the_live_edge(chat):
    before = chat.newest(chat.a)
    start = before - 20
    seg = chat.ask_segment(chat.a, f"start_frame_index={start}&{EVERY_FRAME}")
    after = chat.newest(chat.a)
    assert seg.indices[0] == start
    assert seg.indices == list(range(start, start + len(seg.indices))), "not every frame"
    # up to and including the newest frame at arrival
    assert before <= seg.indices[-1] <= after
    e = media_entry(seg.response, 0)
    assert e["frame_indices"] == {"first": start, "last": seg.indices[-1],
                                  "count": len(seg.indices)}


def test_negative_start_counts_back_from_newest(chat):
    before = chat.newest(chat.a)
    seg = chat.ask_segment(chat.a, f"start_frame_index=-10&{EVERY_FRAME}")
    after = chat.newest(chat.a)
    # frames -10 .. -1 of the newest at arrival: the last ten
    assert seg.indices == list(range(seg.indices[0], seg.indices[0] + 10))
    assert before <= seg.indices[-1] <= after


def test_newest_frame_alone_as_a_segment(chat):
    # start -1 is the newest frame; the live edge is after it, so the segment holds exactly it
    before = chat.newest(chat.a)
    seg = chat.ask_segment(chat.a, f"start_frame_index=-1&{EVERY_FRAME}")
    after = chat.newest(chat.a)
    assert len(seg.indices) == 1, seg.indices
    assert before <= seg.indices[0] <= after


# ---- native mode: one MP4 built from the sampled frames

def test_native_mode_sends_one_mp4_of_exactly_the_frames(chat):
    chat.wait_frames(chat.a, 61)
    query = f"start_frame_index=30&end_frame_index=60&{EVERY_FRAME}"
    seg = chat.ask_segment(chat.a, query, model="stub-native")
    url = seg.parts[1].raw["video_url"]["url"]
    assert url.startswith("data:video/mp4;base64,")
    assert seg.indices == list(range(30, 60))
    assert set(seg.sizes) == {(A_W, A_H)}
    expect_media(media_entry(seg.response, 0), chat.ovs(chat.a, query), chat.a, 30, 59, 30)


def test_native_mode_max_fps(chat):
    chat.wait_frames(chat.a, 331, timeout=90)
    seg = chat.ask_segment(chat.a, "start_frame_index=30&end_frame_index=330&max_fps=2",
                           model="stub-native")
    assert seg.indices == list(range(30, 330, 15))


def test_native_mode_mp4_is_a_real_mp4(chat):
    from chat.chat_media import data_url_bytes, mp4_format_name
    seg = chat.ask_segment(chat.a, "start_frame_index=0&end_frame_index=8&max_fps=60",
                           model="stub-native")
    data = data_url_bytes(seg.parts[1].raw["video_url"]["url"], "video/mp4")
    assert "mp4" in mp4_format_name(data)
    assert seg.indices == list(range(0, 8))

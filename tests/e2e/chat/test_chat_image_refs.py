"""Image references (`image_url` with `ovs://`): the upstream receives exactly the referenced frame,
proved by the barcode of the JPEG it got, for every anchor of SPEC §3."""

import pytest

from chat.chat_helpers import A_H, A_W, FPS, expect_media, media_entry, ts

pytestmark = pytest.mark.chat


@pytest.mark.parametrize("n", [0, 1, 29, 40, 77])
def test_frame_index(chat, n):
    chat.wait_frames(chat.a, n + 1)
    resp, pic = chat.ask_image(chat.a, f"frame_index={n}")
    assert pic.index == n
    assert (pic.width, pic.height) == (A_W, A_H)
    expect_media(media_entry(resp, 0), chat.ovs(chat.a, f"frame_index={n}"), chat.a, n, n, 1)
    assert len(resp["ovs_media"]) == 1


def test_newest_frame(chat):
    before = chat.newest(chat.a)
    resp, pic = chat.ask_image(chat.a, "frame_index=-1")
    after = chat.newest(chat.a)
    assert before <= pic.index <= after
    e = media_entry(resp, 0)
    assert e["frame_indices"] == {"first": pic.index, "last": pic.index, "count": 1}
    assert e["timestamp_ms"] == {"first": ts(pic.index), "last": ts(pic.index)}
    assert e["clamped"] is False


@pytest.mark.parametrize("back", [2, 5, 31])
def test_negative_frame_index_counts_back_from_newest(chat, back):
    before = chat.newest(chat.a)
    resp, pic = chat.ask_image(chat.a, f"frame_index=-{back}")
    after = chat.newest(chat.a)
    # -1 is the newest at arrival, so -back is back-1 before it
    assert before - (back - 1) <= pic.index <= after - (back - 1)
    assert media_entry(resp, 0)["frame_indices"]["first"] == pic.index


@pytest.mark.parametrize("query,want", [
    ("timestamp_ms=1000", 30),                        # exact
    ("timestamp_ms=1010", 30),                        # nearest: 1000 is 10 away, 1033 is 23
    ("timestamp_ms=1020", 31),                        # nearest: 1033 is 13 away
    ("timestamp_ms=1010&direction=forward", 31),
    ("timestamp_ms=1010&direction=backward", 30),
    ("timestamp_ms=1033&direction=nearest", 31),
    ("timestamp_ms=1090&tolerance_ms=50", 33),        # frame 33 is at 1100
    ("timestamp_ms=0", 0),
])
def test_timestamp_anchor(chat, query, want):
    resp, pic = chat.ask_image(chat.a, query)
    assert pic.index == want
    expect_media(media_entry(resp, 0), chat.ovs(chat.a, query), chat.a, want, want, 1)


@pytest.mark.parametrize("query,want", [
    ("offset_ms=0", 0),          # >= 0: after the oldest retained frame (frame 0, nothing evicted)
    ("offset_ms=1000", 30),
    ("offset_ms=1500", 45),
    ("offset_ms=1510&direction=backward", 45),
])
def test_offset_from_oldest(chat, query, want):
    assert chat.api.stream(chat.a)["first_available_frame_index"] == 0
    resp, pic = chat.ask_image(chat.a, query)
    assert pic.index == want
    expect_media(media_entry(resp, 0), chat.ovs(chat.a, query), chat.a, want, want, 1)


def test_negative_offset_is_before_now(chat):
    before = chat.newest(chat.a)
    resp, pic = chat.ask_image(chat.a, "offset_ms=-1000")
    after = chat.newest(chat.a)
    # now is between the newest frame before the request and the newest after it (+1 frame);
    # one second earlier is 30 frames earlier, +-1 for the nearest-frame rounding
    assert before - FPS - 1 <= pic.index <= after - FPS + 2, (before, pic.index, after)
    assert media_entry(resp, 0)["frame_indices"]["first"] == pic.index


def test_max_pixels_downscales_the_image(chat):
    chat.wait_frames(chat.a, 41)
    budget = 19200      # a quarter of 320x240
    resp, pic = chat.ask_image(chat.a, f"frame_index=40&max_pixels={budget}", source_height=A_H)
    assert pic.index == 40
    assert pic.width * pic.height <= budget
    assert pic.width * pic.height >= budget // 2, "downscaled far more than needed"
    assert abs(pic.width / pic.height - A_W / A_H) < 0.1, "aspect ratio not kept"
    assert media_entry(resp, 0)["frame_indices"]["first"] == 40


def test_max_pixels_never_upscales(chat):
    resp, pic = chat.ask_image(chat.a, "frame_index=40&max_pixels=10000000")
    assert pic.index == 40
    assert (pic.width, pic.height) == (A_W, A_H)


def test_native_backend_also_gets_images_as_jpeg(chat):
    resp, pic = chat.ask_image(chat.a, "frame_index=12", model="stub-native")
    assert pic.index == 12
    assert (pic.width, pic.height) == (A_W, A_H)

"""A camera that goes away and comes back: the stream reconnects by itself, the lifetime index
keeps counting (never reset), frames from before the gap stay addressable, and metrics count
the reconnect."""

import re

import pytest

import barcode
import sources
from test_sources import check_frames_are_consecutive

pytestmark = [pytest.mark.sources, pytest.mark.timeout(180)]


def reconnects_metric(server, sid):
    text = server.api(None).get("/metrics").text
    for line in text.splitlines():
        if re.match(rf'^\w*reconnects\w*\{{[^}}]*stream="{re.escape(sid)}"[^}}]*\}} ', line):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no reconnects metric for {sid}")


@pytest.mark.parametrize("kind", ["rtmp", "ts_http"])
def test_source_restart(server, api, workdir, cleanup, kind):
    src = sources.FfmpegListener(kind, workdir)
    cleanup(src)
    s = api.create_url(src.url, lease=False)
    sid = s["id"]
    st = api.wait_frames(sid, 60, timeout=30)
    before_metric = reconnects_metric(server, sid)

    # Frames seen before the gap, and what they showed.
    marks = {i: api.barcode_at(sid, i) for i in (10, 20, 40)}

    src.kill()
    st = api.wait_stream(sid, lambda x: x["state"] in ("reconnecting", "connecting"), 20,
                         "reconnecting state")
    assert st["last_error"], st
    last_before = api.stream(sid)["last_frame_index"]
    assert last_before >= 59
    # While the source is away, old frames are still served.
    for i, b in marks.items():
        assert api.barcode_at(sid, i) == b

    src.start()
    st = api.wait_stream(sid, lambda x: x["state"] == "active" and
                         x["last_frame_index"] > last_before + 60, 40, "active again")
    assert st["first_available_frame_index"] == 0
    # Indices continued after the gap, were not reset, and old frames are the same frames.
    for i, b in marks.items():
        assert api.barcode_at(sid, i) == b
    # The new connection's frames are numbered 1:1 as well (its barcode restarted at 0, so
    # only differences within it are compared).
    check_frames_are_consecutive(api, sid, last_before + 5, ks=(1, 2, 10, 30, 50))
    first_new = api.frame_ok(sid, f"frame_index={last_before + 1}")
    assert int(first_new.headers["X-Frame-Index"]) == last_before + 1
    assert barcode.read_barcode(first_new.content) < 200   # early frames of the new process
    assert reconnects_metric(server, sid) >= before_metric + 1
    assert server.api(None).get("/healthz").status_code == 200

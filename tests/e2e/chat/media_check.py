"""Reading back what sightline sent upstream: data URLs, JPEG sizes, SPEC §7 barcodes, MP4 frames.

A frame's barcode is its lifetime index (mod 65536) for the `test_pattern` source, so decoding the
images the stub upstream received proves which frames sightline selected.
"""

from __future__ import annotations

import base64
import io
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

FFMPEG = shutil.which("ffmpeg") or "ffmpeg"
_DATA_URL = re.compile(r"^data:([^;,]+)(;base64)?,(.*)$", re.S)
TIME_TEXT = re.compile(r"^t=(\d+(?:\.\d+)?)s$")


def data_url_bytes(url: str, mime: str | None = None) -> bytes:
    m = _DATA_URL.match(url)
    assert m, f"not a data: URL: {url[:60]!r}"
    if mime is not None:
        assert m.group(1) == mime, f"data URL type {m.group(1)!r}, expected {mime!r}"
    assert m.group(2), "data URL is not base64"
    return base64.b64decode(m.group(3), validate=True)


def read_barcode(img: Image.Image) -> int:
    """The SPEC §7 barcode of a picture at any scale: the band is at least H/8 high, so its
    centre line at H/16 is inside it; each of the 16 cells is sampled at its centre."""
    luma = img.convert("L")
    w, h = luma.size
    y = max(0, h // 16)
    value = 0
    for i in range(16):
        x = int((i + 0.5) * w / 16)
        # average a small patch around the cell centre to be robust against codec noise
        xs = range(max(0, x - 1), min(w, x + 2))
        ys = range(max(0, y - 1), min(h, y + 2))
        px = [luma.getpixel((xx, yy)) for xx in xs for yy in ys]
        bit = 1 if sum(px) / len(px) >= 128 else 0
        value = (value << 1) | bit
    return value


@dataclass
class Picture:
    index: int      # barcode value
    width: int
    height: int
    data: bytes     # the encoded bytes as received


def decode_jpeg(data: bytes) -> Picture:
    assert data[:3] == b"\xff\xd8\xff", "not a JPEG"
    img = Image.open(io.BytesIO(data))
    assert img.format == "JPEG", img.format
    img.load()
    return Picture(read_barcode(img), img.width, img.height, data)


def decode_image_url(url: str) -> Picture:
    return decode_jpeg(data_url_bytes(url, "image/jpeg"))


def mp4_frames(data: bytes) -> list[Picture]:
    """Every frame stored in an MP4, in presentation order, without duplicating or dropping any
    (passthrough timing), decoded with the ffmpeg CLI."""
    with tempfile.TemporaryDirectory(prefix="sl-mp4-") as d:
        src = Path(d) / "in.mp4"
        src.write_bytes(data)
        proc = subprocess.run(
            [FFMPEG, "-hide_banner", "-nostdin", "-loglevel", "error", "-i", str(src),
             "-map", "0:v:0", "-fps_mode", "passthrough", "-f", "image2",
             str(Path(d) / "f%05d.png")],
            stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
        assert proc.returncode == 0, f"ffmpeg could not decode the MP4: {proc.stderr.decode()}"
        out = []
        for p in sorted(Path(d).glob("f*.png")):
            with Image.open(p) as img:
                img.load()
                out.append(Picture(read_barcode(img), img.width, img.height, b""))
        return out


def mp4_format_name(data: bytes) -> str:
    """ffprobe's container name for the bytes (e.g. "mov,mp4,m4a,3gp,3g2,mj2")."""
    with tempfile.NamedTemporaryFile(suffix=".mp4") as f:
        f.write(data)
        f.flush()
        proc = subprocess.run(
            [shutil.which("ffprobe") or "ffprobe", "-v", "error", "-show_entries",
             "format=format_name", "-of", "default=nw=1:nk=1", f.name],
            capture_output=True, timeout=30)
        return proc.stdout.decode().strip()


@dataclass
class UpPart:
    """One content part as the upstream saw it, with its picture(s) decoded."""
    type: str
    raw: dict
    picture: Picture | None = None          # image_url with a data: JPEG
    video: list[Picture] | None = None      # video_url with a data: MP4
    time_s: float | None = None             # text part "t=12.5s"


def upstream_parts(content) -> list[UpPart]:
    """Decodes a message's content as received upstream (string content gives [])."""
    if isinstance(content, str) or content is None:
        return []
    out = []
    for part in content:
        t = part.get("type")
        up = UpPart(t, part)
        if t == "image_url":
            url = part["image_url"]["url"]
            if url.startswith("data:image/jpeg"):
                up.picture = decode_image_url(url)
        elif t == "video_url":
            url = part["video_url"]["url"]
            if url.startswith("data:video/mp4"):
                up.video = mp4_frames(data_url_bytes(url, "video/mp4"))
        elif t == "text":
            m = TIME_TEXT.match(part.get("text", ""))
            if m:
                up.time_s = float(m.group(1))
        out.append(up)
    return out


def frames_mode_segment(parts: list[UpPart], start: int, count: int) -> list[UpPart]:
    """`count` frames-mode (time text, image) pairs starting at parts[start]; returns the image
    parts after checking that each is preceded by its "t=...s" text part."""
    images = []
    for k in range(count):
        text, image = parts[start + 2 * k], parts[start + 2 * k + 1]
        assert text.type == "text" and text.time_s is not None, \
            f"part {start + 2 * k} should be a time text like 't=12.5s', got {text.raw}"
        assert image.type == "image_url" and image.picture is not None, \
            f"part {start + 2 * k + 1} should be a JPEG image_url, got {str(image.raw)[:120]}"
        images.append(image)
    return images

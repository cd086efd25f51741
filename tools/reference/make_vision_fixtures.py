#!/usr/bin/env python3
"""Writes the vision preprocessing fixtures under tests/fixtures/engine/vision/ (README.md here).

Small synthetic pictures go through transformers' own SmolVLM processors (the PIL image
processor, and the video processor when torchvision is importable) with scaled-down configs, and
the results are recorded for engine_test:
  * images/<name>.npy            the source picture, uint8 H x W x 3;
  * pixels/<case>.npy            pixel_values of one image, float32 tiles x 3 x tile x tile;
  * vision.json                  per case: the config, rows/cols, and for the layout cases the
                                 processor's input_ids for a prompt holding the image or video;
                                 frame sampling and video prompts.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import transformers
from PIL import Image
from transformers.models.smolvlm.image_processing_pil_smolvlm import SmolVLMImageProcessorPil
from transformers.models.smolvlm.processing_smolvlm import SmolVLMProcessor
from transformers.models.smolvlm.video_processing_smolvlm import SmolVLMVideoProcessor
from transformers.video_utils import VideoMetadata

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "fixtures" / "engine" / "vision"
HUB = ROOT / "tests" / "fixtures" / "engine" / "smolvlm2_hub"


def picture(width: int, height: int, seed: int) -> np.ndarray:
    """Smooth ramps, a hard edge and noise: what makes resampling filters disagree."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    r = 255 * x / max(width - 1, 1)
    g = 255 * y / max(height - 1, 1)
    b = np.where((x // 3 + y // 2) % 2 == 0, 230.0, 20.0)
    img = np.stack([r, g, b], axis=-1) + rng.normal(0, 18, (height, width, 3))
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


IMAGES = {
    "landscape": picture(50, 31, 1),
    "portrait": picture(13, 29, 2),
    "large": picture(120, 70, 3),
    "tiny": picture(9, 7, 4),
    "square": picture(24, 24, 5),
}

BASE = {
    "do_convert_rgb": True,
    "do_image_splitting": True,
    "do_normalize": True,
    "do_pad": True,
    "do_rescale": True,
    "do_resize": True,
    "image_mean": [0.5, 0.5, 0.5],
    "image_std": [0.5, 0.5, 0.5],
    "max_image_size": {"longest_edge": 16},
    "resample": 1,
    "rescale_factor": 1 / 255,
    "size": {"longest_edge": 48},
}

CASES = [
    ("landscape_split", "landscape", {}),
    ("portrait_split", "portrait", {}),
    ("large_split", "large", {}),
    ("tiny_split", "tiny", {}),
    ("square_single", "square", {"size": {"longest_edge": 16}}),
    ("landscape_nosplit", "landscape", {"do_image_splitting": False}),
    ("large_bicubic", "large", {"resample": 3}),
    ("portrait_bilinear_imagenet", "portrait",
     {"resample": 2, "image_mean": [0.485, 0.456, 0.406], "image_std": [0.229, 0.224, 0.225]}),
]


def image_cases() -> list[dict]:
    (OUT / "images").mkdir(parents=True, exist_ok=True)
    (OUT / "pixels").mkdir(parents=True, exist_ok=True)
    for name, img in IMAGES.items():
        np.save(OUT / "images" / f"{name}.npy", img)
    cases = []
    for case, image_name, overrides in CASES:
        config = {**BASE, **overrides}
        processor = SmolVLMImageProcessorPil(**config)
        out = processor(images=[Image.fromarray(IMAGES[image_name])], return_row_col_info=True, return_tensors="np")
        pixels = out["pixel_values"][0].astype(np.float32)  # (tiles, 3, tile, tile)
        np.save(OUT / "pixels" / f"{case}.npy", pixels)
        cases.append(
            {
                "case": case,
                "image": image_name,
                "config": config,
                "rows": int(out["rows"][0][0]),
                "cols": int(out["cols"][0][0]),
                "tiles": int(pixels.shape[0]),
            }
        )
    return cases


def hub_processor() -> SmolVLMProcessor:
    return transformers.AutoProcessor.from_pretrained(str(HUB))


def layout_cases(processor) -> list[dict]:
    """input_ids from the whole processor (hub fixture: size 128, tiles of 32, image_seq_len 4)."""
    cases = []
    for image_name, text in (("landscape", "<image>What is here?"), ("tiny", "A<image>B<image>"), ("large", "<image>")):
        images = [Image.fromarray(IMAGES[image_name])] * text.count("<image>")
        out = processor(text=[text], images=[images], return_tensors="np")
        cases.append({"image": image_name, "text": text, "input_ids": out["input_ids"][0].tolist()})
    return cases


CLIPS = [
    {"total_frames": 30, "fps": 10.0, "duration": 3.0, "max_frames": 16, "target_fps": 1.0},
    {"total_frames": 300, "fps": 30.0, "duration": 10.0, "max_frames": 4, "target_fps": 1.0},
    {"total_frames": 3000, "fps": 25.0, "duration": 120.0, "max_frames": 64, "target_fps": 1.0},
    {"total_frames": 7, "fps": 2.0, "duration": 3.5, "max_frames": 64, "target_fps": 2.0},
    {"total_frames": 1, "fps": 1.0, "duration": 1.0, "max_frames": 8, "target_fps": 1.0},
    {"total_frames": 50, "fps": 5.0, "duration": 10.0, "max_frames": 3, "target_fps": 0.5},
    {"total_frames": 9000, "fps": 30.0, "duration": 300.0, "max_frames": 21, "target_fps": 1.0},
]


def sampling_cases(video_processor) -> list[dict]:
    cases = []
    for clip in CLIPS:
        meta = VideoMetadata(total_num_frames=clip["total_frames"], fps=clip["fps"], duration=clip["duration"])
        indices = video_processor.sample_frames(meta, num_frames=clip["max_frames"], fps=clip["target_fps"])
        cases.append({**clip, "indices": [int(i) for i in indices]})
    return cases


def video_prompt_cases(processor) -> list[dict]:
    cases = []
    for fps, indices, duration in ((10.0, [0, 5, 10, 15, 29], 3.0), (1.0, list(range(0, 130, 7)), 130.7),
                                   (25.0, [12], None), (2.0, list(range(21)), 3725.0)):
        meta = VideoMetadata(total_num_frames=max(indices) + 1, fps=fps, duration=duration, frames_indices=indices)
        inputs = {"pixel_values": np.zeros((1, len(indices), 3, 2, 2)), "video_metadata": [meta]}
        prompt = processor.replace_video_token(inputs, 0)
        cases.append({"timestamps": meta.timestamps, "duration": duration, "prompt": prompt})
    return cases


def video_pixels(processor) -> dict | None:
    """A tiny clip through the processor's video path (needs torchvision)."""
    try:
        import torchvision  # noqa: F401
    except ImportError:
        return None
    frames = np.stack([picture(40, 24, 10 + i) for i in range(3)])  # (T, H, W, 3)
    np.save(OUT / "images" / "clip.npy", frames)
    meta = VideoMetadata(total_num_frames=3, fps=1.0, duration=3.0, frames_indices=[0, 1, 2])
    out = processor.video_processor(videos=[frames], video_metadata=[meta], do_sample_frames=False, return_tensors="np")
    pixels = np.asarray(out["pixel_values"][0], dtype=np.float32)
    np.save(OUT / "pixels" / "clip.npy", pixels)
    vp = processor.video_processor
    return {"frames": 3, "size": dict(vp.size), "max_image_size": dict(vp.max_image_size), "shape": list(pixels.shape)}


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    processor = hub_processor()
    fixtures = {
        "versions": {"transformers": transformers.__version__, "pillow": Image.__version__, "numpy": np.__version__},
        "images": image_cases(),
        "layouts": layout_cases(processor),
        "sampling": sampling_cases(processor.video_processor),
        "video_prompts": video_prompt_cases(processor),
        "numbers": {str(n): __import__("num2words").num2words(n) for n in
                    (0, 1, 8, 13, 20, 21, 45, 99, 100, 101, 115, 342, 999, 1000, 1001, 1100, 1234, 20000, 123456,
                     1000000, 7654321)},
        "video": video_pixels(processor),
    }
    (OUT / "vision.json").write_text(json.dumps(fixtures, ensure_ascii=False, indent=1) + "\n")
    total = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file())
    print(f"wrote {OUT} ({total} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

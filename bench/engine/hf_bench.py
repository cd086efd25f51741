#!/usr/bin/env python3
"""Hugging Face transformers on a checkpoint folder, measured as bench/engine/engine_bench.cpp
measures the engine (same synthetic pictures, prompts, cases and JSON lines; see that file).

PyTorch eager (no torch.compile), the model's default attention implementation unless --attn,
torch.set_num_threads(--threads), on --device (cpu, or cuda: the processor stays on the CPU, its
output is moved to the device). Time to first token covers the chat template, the processor,
the forward pass over the prompt and the argmax; decode is a greedy loop over the KV cache with
the end of turn ignored (what model.generate does, minus its logits processors), synchronised with
the device before the clock stops. transformers has no vision cache, so the moved window costs
what the cold one does: it is measured anyway.

Usage: hf_bench.py CHECKPOINT_DIR [--threads N] [--dtype bf16|f32] [--decode-tokens N] [--device cpu|cuda]
                   [--cases image,video8,window,short] (as engine_bench: default all but short)
Needs the reference venv (tools/reference/requirements.txt, torch and torchvision).
"""
from __future__ import annotations

import argparse
import inspect
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from transformers import AutoProcessor, SmolVLMForConditionalGeneration
from transformers.video_utils import VideoMetadata


def picture(width: int, height: int, k: int) -> np.ndarray:
    """The engine_bench.cpp formula: integers only, so both sides see identical pixels."""
    x = np.arange(width, dtype=np.int64)[None, :]
    y = np.arange(height, dtype=np.int64)[:, None]
    r = np.broadcast_to((x + 4 * k) % 256, (height, width))
    g = np.broadcast_to((y + 2 * k) % 256, (height, width))
    b = ((x ^ y) + 8 * k) % 256
    return np.stack([r, g, b], axis=-1).astype(np.uint8)


def emit(row: dict) -> None:
    print(json.dumps({"engine": "transformers", **row}), flush=True)


def user_message(media: str, question: str) -> list:
    return [{"role": "user", "content": [{"type": media}, {"type": "text", "text": question}]}]


class Bench:
    def __init__(self, folder: Path, dtype: torch.dtype, attn: str | None, device: str):
        self.device = torch.device(device)
        self.processor = AutoProcessor.from_pretrained(str(folder))
        kwargs = {"dtype": dtype}
        if attn:
            kwargs["attn_implementation"] = attn
        self.model = SmolVLMForConditionalGeneration.from_pretrained(str(folder), **kwargs).eval().to(self.device)
        params = inspect.signature(self.model.forward).parameters
        self.cache_arg = "cache" if "cache" in params else "past_key_values"
        self.keep_arg = "logits_to_keep" in params

    def first_token(self, messages: list, images=None, video=None) -> dict:
        t0 = time.perf_counter()
        text = self.processor.apply_chat_template(messages, add_generation_prompt=True)
        if images is not None:
            inputs = self.processor(text=[text], images=[[Image.fromarray(p) for p in images]], return_tensors="pt")
        else:
            frames, step = video
            n = len(frames)
            meta = VideoMetadata(total_num_frames=n, fps=1.0 / step, duration=n * step, frames_indices=list(range(n)))
            # One sample holding one video: transformers 5.17 counts the videos of each sample
            # (a bare [video] reads as one sample of n videos), 5.24 takes either form.
            inputs = self.processor(text=[text], videos=[[np.stack(frames)]], video_metadata=[meta],
                                    do_sample_frames=False, return_tensors="pt")
        inputs = inputs.to(self.device)
        if "pixel_values" in inputs:
            inputs["pixel_values"] = inputs["pixel_values"].to(self.model.dtype)
        extra = {"logits_to_keep": 1} if self.keep_arg else {}
        with torch.no_grad():
            out = self.model(**inputs, use_cache=True, **extra)
        token = int(torch.argmax(out.logits[0, -1]))
        ttft = time.perf_counter() - t0
        return {"ttft_s": ttft, "prompt_tokens": int(inputs["input_ids"].shape[1]), "token": token,
                "cache": out.past_key_values, "mask": inputs["attention_mask"]}

    def decode(self, state: dict, tokens: int) -> float:
        cache, mask = state["cache"], state["mask"]
        nxt = torch.tensor([[state["token"]]], device=self.device)
        t0 = time.perf_counter()
        with torch.no_grad():
            for _ in range(tokens):
                mask = torch.cat([mask, torch.ones_like(nxt)], dim=1)
                out = self.model(input_ids=nxt, attention_mask=mask, use_cache=True, **{self.cache_arg: cache})
                cache = out.past_key_values
                nxt = torch.argmax(out.logits[0, -1]).view(1, 1)
        self.sync()
        return time.perf_counter() - t0

    def sync(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint", type=Path)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--dtype", choices=("bf16", "f32"), default="f32")
    ap.add_argument("--decode-tokens", type=int, default=32)
    ap.add_argument("--attn", default=None, help="attn_implementation (default: the model's default)")
    ap.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    ap.add_argument("--cases", default="image,video8,window",
                    help="comma-separated: image (and decode after it), video8, window, short (one frame, then decode)")
    args = ap.parse_args()
    cases = set(args.cases.split(","))
    torch.set_num_threads(args.threads)
    weights = sum(p.stat().st_size for p in args.checkpoint.glob("*.safetensors"))

    t0 = time.perf_counter()
    b = Bench(args.checkpoint, torch.bfloat16 if args.dtype == "bf16" else torch.float32, args.attn, args.device)
    b.sync()
    emit({"case": "load", "load_s": time.perf_counter() - t0, "threads": torch.get_num_threads(),
          "precision": args.dtype, "attn": b.model.config._attn_implementation, "weights_bytes": weights,
          "device": str(b.device), "torch": torch.__version__})

    b.first_token(user_message("video", "Warm up."), video=([picture(640, 360, 1000)], 1.0))

    if "short" in cases:  # profiling aid: one frame (~150 tokens), then decode
        short = b.first_token(user_message("video", "What happens in this video?"),
                              video=([picture(640, 360, 100)], 1.0))
        emit({"case": "ttft_video1", "ttft_s": short["ttft_s"], "prompt_tokens": short["prompt_tokens"]})
        s = b.decode(short, args.decode_tokens)
        emit({"case": "decode_short", "tokens": args.decode_tokens, "seconds": s,
              "tokens_per_s": args.decode_tokens / s, "context_start": short["prompt_tokens"]})
        del short
    if "image" in cases:
        image = b.first_token(user_message("image", "Describe this picture in detail."), images=[picture(1280, 720, 0)])
        emit({"case": "ttft_image", "ttft_s": image["ttft_s"], "prompt_tokens": image["prompt_tokens"]})
        s = b.decode(image, args.decode_tokens)
        emit({"case": "decode", "tokens": args.decode_tokens, "seconds": s, "tokens_per_s": args.decode_tokens / s,
              "context_start": image["prompt_tokens"]})
        del image

    if "video8" in cases:
        v8 = b.first_token(user_message("video", "What happens in this video?"),
                           video=([picture(640, 360, 200 + i) for i in range(8)], 1.0))
        emit({"case": "ttft_video8", "ttft_s": v8["ttft_s"], "prompt_tokens": v8["prompt_tokens"]})
        del v8

    if "window" in cases:
        question = user_message("video", "Is anyone at the door?")
        cold = b.first_token(question, video=([picture(640, 360, 400 + i) for i in range(10)], 0.5))
        emit({"case": "window_cold", "ttft_s": cold["ttft_s"], "prompt_tokens": cold["prompt_tokens"]})
        moved = b.first_token(question, video=([picture(640, 360, 401 + i) for i in range(10)], 0.5))
        emit({"case": "window_moved", "ttft_s": moved["ttft_s"], "prompt_tokens": moved["prompt_tokens"],
              "ratio_to_cold": moved["ttft_s"] / cold["ttft_s"]})

    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    memory = {"case": "memory", "peak_rss_kib": peak_kib, "weights_bytes": weights,
              "peak_over_weights": peak_kib * 1024 / weights}
    if b.device.type == "cuda":
        memory["cuda_peak_allocated_bytes"] = torch.cuda.max_memory_allocated(b.device)
    emit(memory)
    return 0


if __name__ == "__main__":
    sys.exit(main())

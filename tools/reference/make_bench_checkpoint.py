#!/usr/bin/env python3
"""Writes a full-size random-weight SmolVLM2 checkpoint for the engine benchmark (bench/engine/).

The config keeps the structure of the tiny fixture (tests/fixtures/engine/smolvlm2_hub/config.json)
with the published sizes of HuggingFaceTB/SmolVLM2-256M-Video-Instruct or -500M-Video-Instruct
(values below; see "unconfirmed" for those that could not be checked against the Hub from here).
The tokenizer, tokenizer config and chat template are the tiny fixture's (600 tokens): the model's
embedding and lm_head still have the full 49280 rows, and the config's image_token_id is the tiny
tokenizer's <image> id so that the processor and the model agree. Text prompts therefore tokenize
differently from the real tokenizer's; the picture tokens, which dominate the prompts benchmarked,
are the same count. Weights are transformers' own random init, saved by save_pretrained in bf16
(the Hub checkpoints' dtype). Never commit the output: write it outside the repository.

Usage: make_bench_checkpoint.py OUT_DIR [--size 256m|500m] [--dtype bf16|f32] [--seed N]
Needs torch (requirements.txt).
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

import torch
from transformers import SmolVLMConfig, SmolVLMForConditionalGeneration

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "tests" / "fixtures" / "engine" / "smolvlm2_hub"

# SigLIP base-patch16-512 (both sizes use the same vision tower).
VISION = {
    "hidden_size": 768,
    "intermediate_size": 3072,
    "num_attention_heads": 12,
    "num_hidden_layers": 12,
    "patch_size": 16,
    "image_size": 512,
    "max_image_size": {"longest_edge": 512},
    "size": {"longest_edge": 2048},
}
# The decoders: SmolLM2-135M and -360M shapes.
TEXT = {
    "256m": {"hidden_size": 576, "intermediate_size": 1536, "num_hidden_layers": 30, "num_attention_heads": 9,
             "num_key_value_heads": 3, "head_dim": 64},
    "500m": {"hidden_size": 960, "intermediate_size": 2560, "num_hidden_layers": 32, "num_attention_heads": 15,
             "num_key_value_heads": 5, "head_dim": 64},
}
TEXT_COMMON = {
    "vocab_size": 49280,
    "max_position_embeddings": 8192,  # unconfirmed (SmolVLM2 Video uses an 8k context)
    "rope_theta": 100000,             # unconfirmed
    "rms_norm_eps": 1e-05,
    "pixel_shuffle_factor": 4,
}
SCALE_FACTOR = 4
IMAGE_SEQ_LEN = (VISION["image_size"] // VISION["patch_size"]) ** 2 // SCALE_FACTOR**2  # 64


def make_config(size: str) -> dict:
    config = json.loads((SOURCE / "config.json").read_text())
    config["scale_factor"] = SCALE_FACTOR
    config["vocab_size"] = TEXT_COMMON["vocab_size"]
    config["tie_word_embeddings"] = False  # 256M: untied lm_head (that is what makes 256M)
    config["text_config"].update(TEXT[size])
    config["text_config"].update(TEXT_COMMON)
    config["vision_config"].update(VISION)
    return config


def write(out: Path, size: str, dtype: torch.dtype, seed: int) -> None:
    config = SmolVLMConfig.from_dict(make_config(size))
    torch.manual_seed(seed)
    model = SmolVLMForConditionalGeneration(config).eval().to(dtype)
    if out.exists():
        shutil.rmtree(out)
    model.save_pretrained(str(out))
    (out / "generation_config.json").unlink(missing_ok=True)
    for name in ("tokenizer.json", "tokenizer_config.json", "chat_template.json"):
        shutil.copy(SOURCE / name, out / name)
    pre = json.loads((SOURCE / "preprocessor_config.json").read_text())
    pre["size"] = dict(VISION["size"])
    pre["max_image_size"] = dict(VISION["max_image_size"])
    pre["video_sampling"] = {"fps": 1, "max_frames": 64, "video_size": {"longest_edge": 512}}
    (out / "preprocessor_config.json").write_text(json.dumps(pre, indent=2) + "\n")
    (out / "processor_config.json").write_text(
        json.dumps({"image_seq_len": IMAGE_SEQ_LEN, "processor_class": "SmolVLMProcessor"}, indent=2) + "\n")
    params = sum(p.numel() for p in model.parameters())
    weights = sum(p.stat().st_size for p in out.glob("*.safetensors"))
    print(json.dumps({"out": str(out), "size": size, "dtype": str(dtype), "parameters": params,
                      "weights_bytes": weights}))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("--size", choices=sorted(TEXT), default="256m")
    ap.add_argument("--dtype", choices=("bf16", "f32"), default="bf16")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    write(args.out, args.size, torch.bfloat16 if args.dtype == "bf16" else torch.float32, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())

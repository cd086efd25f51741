#!/usr/bin/env python3
"""Writes tiny random-weight SmolVLM2 checkpoints and their reference outputs (README.md here).

The checkpoints take the scaled-down SmolVLM2 config, tokenizer and chat template of
tests/fixtures/engine/smolvlm2_hub, get fresh random weights, and are saved by transformers
itself (save_pretrained) in float32 (`tiny_f32`) and bfloat16 (`tiny_bf16`). For each, a chat
prompt with one picture and a text-only prompt go through transformers' processor and model
(PyTorch eager on the CPU), and `model_reference.json` records: the processor's input_ids,
the logits after the prompt (prefill) and after each of the first greedy decode steps, and the
greedy continuation from model.generate. The picture's pixel values are saved as
`pixels.npy` so the C++ side can check the model alone from the same input; the source
picture is `vision/images/landscape.npy` (so preprocessing is checked end to end too).

Needs torch (see requirements.txt).
"""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import torch
import transformers
from PIL import Image
from transformers import AutoProcessor, SmolVLMConfig, SmolVLMForConditionalGeneration

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "engine"
SOURCE = FIXTURES / "smolvlm2_hub"
DECODE_STEPS = 3
NEW_TOKENS = 12

PROMPTS = {
    "image": [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "What is in the image?"}]}],
    "text": [{"role": "user", "content": [{"type": "text", "text": "Describe the street, please."}]}],
}


def make_checkpoint(folder: Path, dtype: torch.dtype, seed: int) -> SmolVLMForConditionalGeneration:
    config = SmolVLMConfig.from_dict(json.loads((SOURCE / "config.json").read_text()))
    torch.manual_seed(seed)
    model = SmolVLMForConditionalGeneration(config).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            # Larger than the usual init so logits are far apart and greedy choices robust.
            p.normal_(0.0, 0.4 if p.dim() > 1 else 0.2)
            if "norm" in name and name.endswith("weight"):
                p.add_(1.0)
    model = model.to(dtype)
    if folder.exists():
        shutil.rmtree(folder)
    model.save_pretrained(str(folder))
    for name in ("tokenizer.json", "tokenizer_config.json", "chat_template.json", "processor_config.json"):
        shutil.copy(SOURCE / name, folder / name)
    pre = json.loads((SOURCE / "preprocessor_config.json").read_text())
    pre["size"] = {"longest_edge": 64}  # 2 x 2 tiles of 32 plus the global view
    (folder / "preprocessor_config.json").write_text(json.dumps(pre, indent=2) + "\n")
    for extra in ("generation_config.json",):
        (folder / extra).unlink(missing_ok=True)
    return model


def margin(logits: torch.Tensor) -> float:
    top = torch.topk(logits.float(), 2).values
    return float(top[0] - top[1])


def record(model, processor, name: str, picture: np.ndarray) -> dict:
    text = processor.apply_chat_template(PROMPTS[name], add_generation_prompt=True)
    if name == "image":
        inputs = processor(text=[text], images=[[Image.fromarray(picture)]], return_tensors="pt")
    else:
        inputs = processor(text=[text], return_tensors="pt")
    with torch.no_grad():
        out = model(**inputs, use_cache=True)
        logits = out.logits[0, -1]
        steps = [logits.float().tolist()]
        margins = [margin(logits)]
        cache = out.past_key_values  # noqa: the output keeps the old name
        ids = inputs["input_ids"]
        mask = inputs["attention_mask"]
        for _ in range(DECODE_STEPS):
            nxt = torch.argmax(logits).view(1, 1)
            ids = torch.cat([ids, nxt], dim=1)
            mask = torch.cat([mask, torch.ones_like(nxt)], dim=1)
            out = model(input_ids=nxt, attention_mask=mask, cache=cache, use_cache=True)
            cache = out.past_key_values  # noqa: the output keeps the old name
            logits = out.logits[0, -1]
            steps.append(logits.float().tolist())
            margins.append(margin(logits))
        generated = model.generate(**inputs, do_sample=False, max_new_tokens=NEW_TOKENS, eos_token_id=None,
                                   pad_token_id=None)
    case = {
        "prompt": name,
        "text": text,
        "input_ids": inputs["input_ids"][0].tolist(),
        "logits": steps,
        "top_margins": margins,
        "greedy": generated[0, inputs["input_ids"].shape[1]:].tolist(),
    }
    if name == "image":
        case["pixel_values_shape"] = list(inputs["pixel_values"].shape)
        case["pixels"] = inputs["pixel_values"][0].float().numpy()
    return case


def main() -> int:
    picture = np.load(FIXTURES / "vision" / "images" / "landscape.npy")
    reference = {"versions": {"transformers": transformers.__version__, "torch": torch.__version__}, "models": {}}
    for folder_name, dtype, seed in (("tiny_f32", torch.float32, 7), ("tiny_bf16", torch.bfloat16, 7)):
        folder = FIXTURES / folder_name
        model = make_checkpoint(folder, dtype, seed)
        processor = AutoProcessor.from_pretrained(str(folder))
        cases = []
        for name in PROMPTS:
            case = record(model, processor, name, picture)
            if "pixels" in case:
                np.save(folder / "pixels.npy", case.pop("pixels").astype(np.float32))
            cases.append(case)
            print(folder_name, name, "min top-2 margin", min(case["top_margins"]), "greedy", case["greedy"])
        reference["models"][folder_name] = {"dtype": str(dtype), "cases": cases}
    (FIXTURES / "model_reference.json").write_text(json.dumps(reference) + "\n")
    total = sum(p.stat().st_size for f in ("tiny_f32", "tiny_bf16") for p in (FIXTURES / f).rglob("*") if p.is_file())
    total += (FIXTURES / "model_reference.json").stat().st_size
    print(f"wrote model fixtures ({total} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

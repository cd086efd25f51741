#!/usr/bin/env python3
"""Prints the ratios issue 9 targets from engine_bench's and hf_bench.py's JSON lines.

Usage: ratios.py ENGINE_JSONL HF_JSONL
"""
import json
import sys


def rows(path: str) -> dict:
    return {r["case"]: r for r in map(json.loads, open(path))}


def line(name: str, value: float, target: str, ok: bool) -> None:
    print(f"{name:<44} {value:8.3f}   target {target:<8} {'met' if ok else 'MISSED'}")


def main() -> int:
    e, h = rows(sys.argv[1]), rows(sys.argv[2])
    device = e["load"].get("device", "cpu")
    print(f"# ratios (sightline engine / transformers unless said), {e['load']['precision']} on {device}")
    for case in ("ttft_image", "ttft_video8", "window_cold"):
        r = e[case]["ttft_s"] / h[case]["ttft_s"]
        line(f"time to first token, {case}", r, "<= 0.7", r <= 0.7)
    r = e["decode"]["tokens_per_s"] / h["decode"]["tokens_per_s"]
    line("decode tokens/s", r, ">= 1.5", r >= 1.5)
    r = e["memory"]["peak_over_weights"]
    line("engine peak RSS / weights on disk", r, "<= 1.3", r <= 1.3)
    print(f"{'  (transformers peak RSS / weights)':<44} {h['memory']['peak_over_weights']:8.3f}")
    if "cuda_peak_allocated_bytes" in h["memory"]:  # on a GPU, RSS leaves the weights out
        r = h["memory"]["cuda_peak_allocated_bytes"] / h["memory"]["weights_bytes"]
        print(f"{'  (transformers peak CUDA allocated / weights)':<44} {r:8.3f}   (the engine's is not measured)")
    r = e["window_moved"]["ratio_to_cold"]
    line("engine moved window / cold window", r, "<= 0.3", r <= 0.3)
    print(f"{'  (transformers moved / cold)':<44} {h['window_moved']['ratio_to_cold']:8.3f}")
    for case in ("ttft_image", "ttft_video8", "window_cold"):
        if e[case]["prompt_tokens"] != h[case]["prompt_tokens"]:
            print(f"WARNING: {case}: prompt tokens differ (engine {e[case]['prompt_tokens']}, "
                  f"transformers {h[case]['prompt_tokens']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

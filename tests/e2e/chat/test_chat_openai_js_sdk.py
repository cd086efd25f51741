"""The official `openai` npm SDK, unmodified, against sightline (tests/e2e/js/chat_sdk_check.mjs):
the API reference example, an ovs:// image, streaming, an error and the model list."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from chat.chat_helpers import A_H, A_W, expect_media
from chat.chat_media import upstream_parts

pytestmark = pytest.mark.chat

JS_DIR = Path(__file__).resolve().parents[1] / "js"
SCRIPT = JS_DIR / "chat_sdk_check.mjs"


def run_node_check(env_extra: dict) -> dict:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    if not (JS_DIR / "node_modules" / "openai" / "package.json").is_file():
        pytest.skip(f"the openai npm package is not installed in {JS_DIR} (run scripts/setup.sh)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env.update(env_extra)
    p = subprocess.run([node, str(SCRIPT)], cwd=JS_DIR, env=env, capture_output=True,
                       text=True, timeout=90)
    assert p.stdout.strip(), f"node printed nothing (exit {p.returncode}):\n{p.stderr[-3000:]}"
    out = json.loads(p.stdout.strip().splitlines()[-1])
    assert p.returncode == 0 and "fatal" not in out, \
        f"node exit {p.returncode}: {out.get('fatal')}\n{p.stderr[-3000:]}"
    return out


def test_openai_node_sdk(chat):
    chat.wait_frames(chat.a, 51)
    url = chat.ovs(chat.a, "frame_index=50")
    out = run_node_check({"OPENAI_BASE_URL": chat.base, "OPENAI_API_KEY": chat.key,
                          "OVS_MODEL": "stub-frames", "OVS_IMAGE_URL": url})

    # the API reference example
    docs = out["docs_example"]
    assert docs["object"] == "chat.completion"
    assert docs["model"] == "gpt-4o"
    assert docs["choices"][0]["message"]["content"] == chat.stub.text
    reqs = chat.stub.chat_requests()
    first = reqs[0].body
    assert first["model"] == "gpt-4o"
    assert first["messages"][0]["content"] == "You are a helpful assistant."
    assert first["messages"][0]["role"] in ("developer", "system")
    assert reqs[0].headers.get("authorization") != f"Bearer {chat.key}"

    # the ovs:// image: the upstream got frame 50, the SDK kept ovs_media
    ovs = out["ovs_image"]
    assert ovs["choices"][0]["message"]["content"] == chat.stub.text
    expect_media(ovs["ovs_media"][0], url, chat.a, 50, 50, 1)
    pic = upstream_parts(reqs[1].body["messages"][0]["content"])[1].picture
    assert (pic.index, pic.width, pic.height) == (50, A_W, A_H)

    # streaming with usage
    st = out["streaming"]
    assert st["text"] == chat.stub.text
    last = st["chunks"][-1]
    assert last["choices"] == [] and last["usage"]["total_tokens"] >= 0
    assert reqs[2].body["stream"] is True

    # an error maps to the SDK's typed error
    err = out["unknown_model"]
    assert err["is_not_found"] and err["status"] == 404 and err["code"] == "model_not_found"

    assert sorted(out["models"]) == sorted(chat.models)

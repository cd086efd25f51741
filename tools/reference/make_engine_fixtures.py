#!/usr/bin/env python3
"""Writes the engine's parity fixtures under tests/fixtures/engine/ (see README.md here).

What it makes, all small and deterministic:
  * two byte-level BPE tokenizers trained on a built-in text: `smolvlm2` with SmolVLM2's
    pipeline (SmolLM2's: no normalizer, Digits(individual) + ByteLevel(regex), ByteLevel
    decoder, SmolVLM2's added tokens) and `variant`, which exercises the other pieces the
    engine implements (NFC/Replace/Prepend normalizers, a Llama-3 style Split regex, a
    template post-processor, lstrip/rstrip and non-special added tokens, ignore_merges);
  * token ids, decodes and streaming-decode steps for a test corpus with both;
  * chat prompts rendered by transformers' own chat-template code (jinja2 with its settings);
  * two tiny checkpoint folders with a scaled-down SmolVLM2 config and random weights:
    `smolvlm2_hub` (the layout on the Hub today: one f32 model.safetensors,
    preprocessor_config.json, processor_config.json, chat_template.json) and `smolvlm2_v5`
    (the layout transformers 5 writes: sharded bf16/f16 safetensors with an index,
    processor_config.json with nested processors, chat_template.jinja).
"""
from __future__ import annotations

import json
import struct
import sys
from pathlib import Path

import numpy as np
import safetensors.numpy
import tokenizers
import transformers
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers
from tokenizers import processors, trainers
from transformers.utils.chat_template_utils import render_jinja_template

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "fixtures" / "engine"

# The chat template of HuggingFaceTB/SmolVLM2-*-Video-Instruct (chat_template.json on the Hub;
# transformers keeps the same text as DEFAULT_CHAT_TEMPLATE in processing_smolvlm.py).
SMOLVLM2_TEMPLATE = (
    "<|im_start|>{% for message in messages %}{{message['role'] | capitalize}}"
    "{% if message['content'][0]['type'] == 'image' %}{{':'}}{% else %}{{': '}}{% endif %}"
    "{% for line in message['content'] %}{% if line['type'] == 'text' %}{{line['text']}}"
    "{% elif line['type'] == 'image' %}{{ '<image>' }}{% elif line['type'] == 'video' %}{{ '<video>' }}"
    "{% endif %}{% endfor %}<end_of_utterance>\n{% endfor %}"
    "{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}"
)

# SmolLM2-Instruct's template: the ChatML shape many text models use.
CHATML_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}"
    "{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

# Exercises the Jinja subset the engine implements beyond SmolVLM2's template: whitespace
# control, trim_blocks/lstrip_blocks, set/namespace, loop variables, filters, tests, methods,
# slices, literals, inline if, loop else, comments.
FEATURES_TEMPLATE = """{#- a comment -#}
{%- set ns = namespace(system='', turns=0) -%}
{%- if messages[0]['role'] == 'system' -%}
    {%- set ns.system = messages[0]['content'] | trim -%}
    {%- set rest = messages[1:] -%}
{%- else -%}
    {%- set rest = messages -%}
{%- endif -%}
{{ bos_token }}{% if ns.system %}[SYS {{ ns.system | length }}] {{ ns.system }}
{% endif %}
{% for m in rest %}
    {% set ns.turns = ns.turns + 1 %}
    {% if m.role == 'user' %}
<u{{ loop.index }}/{{ loop.length }}{{ '*' if loop.first else '' }}{{ '$' if loop.last }}> {% if m.content is string %}{{ m.content.strip() }}{% else %}{% for c in m.content %}{{ c.type | upper }}{% if c.text is defined %}={{ c.text }}{% endif %}{{ ',' if not loop.last }}{% endfor %}{% endif %}

    {% elif m.role == 'assistant' %}
<a {{ loop.index0 }}>{{ m.content | replace('\\n', ' ') }}{% if m.tool_calls is defined and m.tool_calls %} calls={{ m.tool_calls | tojson }}{% endif %}

    {% else %}
{{ raise_exception('unknown role: ' ~ m.role) }}
    {% endif %}
{% else %}
(no messages)
{% endfor %}
{%- if tools is not none and tools %}
tools: {{ tools | map(attribute='name') | join(', ') }} {{ tools | tojson }}
{% endif %}
{{- 'turns=' ~ ns.turns ~ ' ' ~ [1, 2, 3][-1] ~ ' ' ~ 'abc'[::-1] ~ ' ' ~ (7 // 2) ~ ' ' ~ (7 % 4) ~ ' ' ~ {'k': 'v'}['k'] }}
{%- if add_generation_prompt %}
<a>
{%- endif %}"""

TRAIN_TEXT = """
The quick brown fox jumps over the lazy dog. A camera watches the street; a person walks by at 10:42.
What is happening in this video? Describe the scene in detail, please. There are two cars and one bicycle.
The assistant answers questions about images and videos. User: what do you see? Assistant: I see a red door.
Le café est très bon à Paris. Les élèves étudient la géographie et l'histoire. Ça va très bien, merci!
Der Bär läuft über die Straße. Grüße aus München. Schöne Größe, süße Äpfel.
東京の天気は晴れです。カメラが道路を見ています。今日はいい日ですね。
北京欢迎你。这是一个测试。摄像头正在拍摄街道。
Привет, как дела? Камера снимает улицу.
Numbers: 0 1 2 3 4 5 6 7 8 9 10 100 1000 3.14159 2024-05-17 12,345,678
Code: def frame(index): return store[index] if index >= 0 else None  # newest frame
Emoji 😀 👍🏽 🚗 🚲 ❤️ are common in chats. Tabs\tand\nnewlines   and   spaces.
It's, don't, we're, they've, I'm, you'll, he'd. IT'S DON'T.
"""

CORPUS = [
    "",
    "Hello world",
    "Hello, world! How are you today?",
    "  leading and trailing spaces  ",
    "multiple   internal    spaces and a tab\there",
    "line one\nline two\r\nline three\n\n\nend",
    "It's what they'll say; don't you think? I'M SURE WE'VE SEEN IT.",
    "Café naïve résumé façade Ångström",
    "e\u0301 combining accents: cafe\u0301 and A\u030a",
    "東京の天気は晴れです。",
    "这是一个测试，摄像头。",
    "Привет, как дела?",
    "Emoji: 😀👍🏽🇺🇸 and ❤️ ✨",
    "Numbers 12345 and 3.14159 and 1,000,000 ٣٤٥ ½",
    "def foo(x):\n    return x ** 2  # comment",
    "<|im_start|>User:<image>What is in the image?<end_of_utterance>\nAssistant:",
    "<fake_token_around_image><row_1_col_1><image><image><fake_token_around_image><global-img>",
    "text<end_of_utterance>more<|im_end|> after",
    "no\u00a0break\u3000ideographic\u2003em space",
    "<|tool|>  padded   <|tool|>x",
    "A<image>B <image> C",
    "ÿ\u0080\u00ad\u200b\ufeff control-ish",
    "😀😀😀 🚗🚗",
    "   ",
    "\n",
]

SMOLVLM2_ADDED = (
    ["<global-img>"]
    + [f"<row_{r}_col_{c}>" for r in range(1, 7) for c in range(1, 7)]
    + ["<fake_token_around_image>", "<image>", "<|reserved_special_token_0|>", "<end_of_utterance>"]
)


def train(tok: Tokenizer, merges: int, specials: list[str]) -> None:
    alphabet = pre_tokenizers.ByteLevel.alphabet()
    trainer = trainers.BpeTrainer(
        vocab_size=len(alphabet) + len(specials) + merges,
        special_tokens=specials,
        initial_alphabet=alphabet,
        show_progress=False,
    )
    lines = [line for line in TRAIN_TEXT.split("\n") if line]
    tok.train_from_iterator(lines * 3, trainer=trainer)


def smolvlm2_tokenizer() -> Tokenizer:
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)]
    )
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    train(tok, 300, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"])
    tok.add_tokens([AddedToken(t, special=True, normalized=False) for t in SMOLVLM2_ADDED])
    return tok


LLAMA3_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)


def variant_tokenizer() -> Tokenizer:
    tok = Tokenizer(models.BPE(ignore_merges=True))
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.NFC(),
            normalizers.Replace("\t", "    "),
            normalizers.Replace(Regex(r" {5,}"), "     "),
            normalizers.Prepend(" "),
        ]
    )
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(LLAMA3_SPLIT), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    train(tok, 250, ["<|begin|>", "<|end|>"])
    tok.add_special_tokens([AddedToken("<image>", special=True, normalized=False)])
    tok.add_tokens(
        [
            AddedToken("<|tool|>", special=False, lstrip=True, rstrip=True, normalized=False),
            AddedToken("ville", special=False, normalized=True),
        ]
    )
    begin = tok.token_to_id("<|begin|>")
    end = tok.token_to_id("<|end|>")
    tok.post_processor = processors.TemplateProcessing(
        single="<|begin|> $A", pair="<|begin|> $A <|end|> $B:1", special_tokens=[("<|begin|>", begin), ("<|end|>", end)]
    )
    return tok


def stream_steps(tok: Tokenizer, ids: list[int], skip: bool) -> list[str | None]:
    stream = decoders.DecodeStream(skip_special_tokens=skip)
    return [stream.step(tok, i) for i in ids]


def tokenizer_cases(tok: Tokenizer) -> list[dict]:
    cases = []
    for text in CORPUS:
        with_special = tok.encode(text, add_special_tokens=True).ids
        ids = tok.encode(text, add_special_tokens=False).ids
        cases.append(
            {
                "text": text,
                "ids": ids,
                "ids_with_special": with_special,
                "decode": tok.decode(with_special, skip_special_tokens=False),
                "decode_skip_special": tok.decode(with_special, skip_special_tokens=True),
                "stream": stream_steps(tok, with_special, False),
                "stream_skip_special": stream_steps(tok, with_special, True),
            }
        )
    # Ids that split a multi-byte character, and a lone continuation byte.
    vocab = tok.get_vocab()
    broken = [vocab[ch] for ch in ("ð", "Ł", "ĺ") if ch in vocab] + [vocab["a"]]
    cases.append(
        {
            "text": None,
            "ids": broken,
            "ids_with_special": broken,
            "decode": tok.decode(broken, skip_special_tokens=False),
            "decode_skip_special": tok.decode(broken, skip_special_tokens=True),
            "stream": stream_steps(tok, broken, False),
            "stream_skip_special": stream_steps(tok, broken, True),
        }
    )
    return cases


CONVERSATIONS = {
    "text": [{"role": "user", "content": [{"type": "text", "text": "What is in the picture?"}]}],
    "image": [
        {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "Describe this image."}]}
    ],
    "text_then_image": [
        {"role": "user", "content": [{"type": "text", "text": "Compare:"}, {"type": "image"}, {"type": "image"}]}
    ],
    "video": [
        {
            "role": "user",
            "content": [{"type": "video", "path": "clip.mp4"}, {"type": "text", "text": "What happens here?"}],
        }
    ],
    "system_multi_turn": [
        {"role": "system", "content": [{"type": "text", "text": "  You watch cameras.  "}]},
        {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "Is the door open?"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "Yes, it is open.\nA person stands there."}]},
        {"role": "user", "content": [{"type": "text", "text": "Who is it?  "}]},
    ],
    "string_content": [
        {"role": "system", "content": "You are brief."},
        {"role": "user", "content": "  Hi there  "},
    ],
    "assistant_tool_calls": [
        {"role": "user", "content": "Weather?"},
        {
            "role": "assistant",
            "content": "Calling\ntool",
            "tool_calls": [{"name": "weather", "arguments": {"city": "Zürich", "days": 2, "ok": True, "x": None}}],
        },
    ],
    "empty": [],
    "bad_role": [{"role": "robot", "content": "beep"}],
}

TEMPLATE_CASES = [
    ("smolvlm2", ["text", "image", "text_then_image", "video", "system_multi_turn", "string_content"]),
    ("chatml", ["string_content", "assistant_tool_calls"]),
    ("features", ["system_multi_turn", "string_content", "assistant_tool_calls", "empty", "bad_role"]),
]
TEMPLATES = {"smolvlm2": SMOLVLM2_TEMPLATE, "chatml": CHATML_TEMPLATE, "features": FEATURES_TEMPLATE}
TOOLS = [{"name": "weather", "description": "Weather for a city", "parameters": {"type": "object"}}]


def template_cases() -> list[dict]:
    cases = []
    for template_name, conversation_names in TEMPLATE_CASES:
        for name in conversation_names:
            for gen in (False, True):
                for tools in (None, TOOLS) if template_name == "features" else (None,):
                    case = {
                        "template": template_name,
                        "conversation": name,
                        "add_generation_prompt": gen,
                        "tools": tools,
                        "bos_token": "<|im_start|>",
                        "eos_token": "<end_of_utterance>",
                    }
                    try:
                        rendered, _ = render_jinja_template(
                            conversations=[CONVERSATIONS[name]],
                            tools=tools,
                            chat_template=TEMPLATES[template_name],
                            add_generation_prompt=gen,
                            bos_token=case["bos_token"],
                            eos_token=case["eos_token"],
                        )
                        case["rendered"] = rendered[0]
                    except Exception as error:  # noqa: BLE001 - the error is the expected output
                        case["error"] = str(error)
                    cases.append(case)
    return cases


# Scaled-down SmolVLM2-256M-Video-Instruct config: same keys and shape rules, tiny sizes.
def smolvlm2_config(vocab_size: int, image_token_id: int) -> dict:
    return {
        "architectures": ["SmolVLMForConditionalGeneration"],
        "image_token_id": image_token_id,
        "model_type": "smolvlm",
        "scale_factor": 2,
        "text_config": {
            "architectures": ["VLlama3ForCausalLM"],
            "attention_bias": False,
            "head_dim": 8,
            "hidden_act": "silu",
            "hidden_size": 16,
            "intermediate_size": 40,
            "is_llama_config": True,
            "max_position_embeddings": 512,
            "mlp_bias": False,
            "model_type": "llama",
            "num_attention_heads": 2,
            "num_hidden_layers": 2,
            "num_key_value_heads": 1,
            "pad_token_id": 2,
            "pixel_shuffle_factor": 2,
            "rms_norm_eps": 1e-05,
            "rope_interleaved": False,
            "rope_theta": 100000,
            "torch_dtype": "bfloat16",
            "use_resampler": False,
            "vocab_size": vocab_size,
        },
        "tie_word_embeddings": False,
        "torch_dtype": "float32",
        "transformers_version": "4.50.0.dev0",
        "use_cache": True,
        "vision_config": {
            "hidden_size": 24,
            "image_size": 32,
            "intermediate_size": 48,
            "max_image_size": {"longest_edge": 32},
            "model_type": "smolvlm_vision",
            "num_attention_heads": 2,
            "num_hidden_layers": 1,
            "patch_size": 8,
            "size": {"longest_edge": 128},
            "tie_word_embeddings": False,
            "use_base_siglip": False,
        },
        "vocab_size": vocab_size,
    }


def smolvlm2_shapes(cfg: dict) -> dict[str, list[int]]:
    v, t = cfg["vision_config"], cfg["text_config"]
    vh, vi, p = v["hidden_size"], v["intermediate_size"], v["patch_size"]
    th, ti, hd = t["hidden_size"], t["intermediate_size"], t["head_dim"]
    q, kv = t["num_attention_heads"] * hd, t["num_key_value_heads"] * hd
    shapes = {
        "model.vision_model.embeddings.patch_embedding.weight": [vh, 3, p, p],
        "model.vision_model.embeddings.patch_embedding.bias": [vh],
        "model.vision_model.embeddings.position_embedding.weight": [(v["image_size"] // p) ** 2, vh],
        "model.vision_model.post_layernorm.weight": [vh],
        "model.vision_model.post_layernorm.bias": [vh],
    }
    for i in range(v["num_hidden_layers"]):
        pre = f"model.vision_model.encoder.layers.{i}."
        for proj in ("q_proj", "k_proj", "v_proj", "out_proj"):
            shapes[pre + f"self_attn.{proj}.weight"] = [vh, vh]
            shapes[pre + f"self_attn.{proj}.bias"] = [vh]
        for norm in ("layer_norm1", "layer_norm2"):
            shapes[pre + f"{norm}.weight"] = [vh]
            shapes[pre + f"{norm}.bias"] = [vh]
        shapes[pre + "mlp.fc1.weight"] = [vi, vh]
        shapes[pre + "mlp.fc1.bias"] = [vi]
        shapes[pre + "mlp.fc2.weight"] = [vh, vi]
        shapes[pre + "mlp.fc2.bias"] = [vh]
    shapes["model.connector.modality_projection.proj.weight"] = [th, vh * cfg["scale_factor"] ** 2]
    shapes["model.text_model.embed_tokens.weight"] = [t["vocab_size"], th]
    for i in range(t["num_hidden_layers"]):
        pre = f"model.text_model.layers.{i}."
        shapes[pre + "self_attn.q_proj.weight"] = [q, th]
        shapes[pre + "self_attn.k_proj.weight"] = [kv, th]
        shapes[pre + "self_attn.v_proj.weight"] = [kv, th]
        shapes[pre + "self_attn.o_proj.weight"] = [th, q]
        shapes[pre + "mlp.gate_proj.weight"] = [ti, th]
        shapes[pre + "mlp.up_proj.weight"] = [ti, th]
        shapes[pre + "mlp.down_proj.weight"] = [th, ti]
        shapes[pre + "input_layernorm.weight"] = [th]
        shapes[pre + "post_attention_layernorm.weight"] = [th]
    shapes["model.text_model.norm.weight"] = [th]
    shapes["lm_head.weight"] = [t["vocab_size"], th]
    return shapes


def to_bf16_bits(values: np.ndarray) -> np.ndarray:
    """Round-to-nearest-even f32 -> bf16, as torch does (values here are finite)."""
    bits = values.astype(np.float32).view(np.uint32)
    rounding = ((bits >> 16) & 1) + 0x7FFF
    return ((bits + rounding) >> 16).astype(np.uint16)


def write_safetensors_by_hand(path: Path, tensors: dict[str, tuple[str, list[int], bytes]]) -> None:
    """The safetensors layout (8-byte little-endian header size, JSON header, data); used for
    bf16, which numpy cannot hold. The header is padded with spaces to 8 bytes as the library does."""
    header: dict = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, (dtype, shape, data) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for _, (_, _, data) in tensors.items():
            f.write(data)


def tokenizer_config(tok: Tokenizer) -> dict:
    return {
        "additional_special_tokens": ["<fake_token_around_image>", "<image>", "<end_of_utterance>"],
        "bos_token": "<|im_start|>",
        "clean_up_tokenization_spaces": False,
        "eos_token": "<end_of_utterance>",
        "extra_special_tokens": {
            "end_of_utterance_token": "<end_of_utterance>",
            "fake_image_token": "<fake_token_around_image>",
            "global_image_token": "<global-img>",
            "image_token": "<image>",
        },
        "model_max_length": 8192,
        "pad_token": "<|im_end|>",
        "processor_class": "SmolVLMProcessor",
        "tokenizer_class": "GPT2Tokenizer",
        "unk_token": "<|endoftext|>",
    }


IMAGE_PROCESSOR = {
    "do_convert_rgb": True,
    "do_image_splitting": True,
    "do_normalize": True,
    "do_pad": True,
    "do_rescale": True,
    "do_resize": True,
    "image_mean": [0.5, 0.5, 0.5],
    "image_processor_type": "SmolVLMImageProcessor",
    "image_std": [0.5, 0.5, 0.5],
    "max_image_size": {"longest_edge": 32},
    "processor_class": "SmolVLMProcessor",
    "resample": 1,
    "rescale_factor": 0.00392156862745098,
    "size": {"longest_edge": 128},
    "video_sampling": {"fps": 1, "max_frames": 16, "video_size": {"longest_edge": 32}},
}

VIDEO_PROCESSOR = {
    "do_convert_rgb": True,
    "do_image_splitting": False,
    "do_normalize": True,
    "do_pad": True,
    "do_rescale": True,
    "do_resize": True,
    "do_sample_frames": False,
    "fps": 1,
    "image_mean": [0.5, 0.5, 0.5],
    "image_std": [0.5, 0.5, 0.5],
    "max_image_size": {"longest_edge": 32},
    "num_frames": 16,
    "resample": 1,
    "rescale_factor": 0.00392156862745098,
    "size": {"longest_edge": 32},
    "video_processor_type": "SmolVLMVideoProcessor",
}


def write_checkpoints(tok: Tokenizer, tensor_facts: list) -> None:
    cfg = smolvlm2_config(tok.get_vocab_size(), tok.token_to_id("<image>"))
    shapes = smolvlm2_shapes(cfg)
    rng = np.random.default_rng(1234)
    values = {name: (rng.standard_normal(shape) * 0.5).astype(np.float32) for name, shape in shapes.items()}
    tokenizer_json = tok.to_str(pretty=False)

    hub = OUT / "smolvlm2_hub"
    hub.mkdir(parents=True, exist_ok=True)
    (hub / "config.json").write_text(json.dumps(cfg, indent=2) + "\n")
    safetensors.numpy.save_file(values, str(hub / "model.safetensors"), metadata={"format": "pt"})
    (hub / "tokenizer.json").write_text(tokenizer_json)
    (hub / "tokenizer_config.json").write_text(json.dumps(tokenizer_config(tok), indent=2) + "\n")
    (hub / "chat_template.json").write_text(json.dumps({"chat_template": SMOLVLM2_TEMPLATE}, indent=2) + "\n")
    (hub / "preprocessor_config.json").write_text(json.dumps(IMAGE_PROCESSOR, indent=2) + "\n")
    (hub / "processor_config.json").write_text(
        json.dumps({"image_seq_len": 4, "processor_class": "SmolVLMProcessor"}, indent=2) + "\n"
    )

    v5 = OUT / "smolvlm2_v5"
    v5.mkdir(parents=True, exist_ok=True)
    cfg5 = json.loads(json.dumps(cfg))
    cfg5["dtype"] = "bfloat16"
    del cfg5["torch_dtype"]
    cfg5["transformers_version"] = transformers.__version__
    (v5 / "config.json").write_text(json.dumps(cfg5, indent=2) + "\n")
    names = list(shapes)
    vision = [n for n in names if n.startswith("model.vision_model.") or n.startswith("model.connector.")]
    text = [n for n in names if n not in vision]
    shard1, shard2 = "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"
    # Shard 1 in bf16 (written by hand), shard 2 in f16 (written by the library).
    write_safetensors_by_hand(
        v5 / shard1, {n: ("BF16", shapes[n], to_bf16_bits(values[n]).tobytes()) for n in vision}
    )
    safetensors.numpy.save_file(
        {n: values[n].astype(np.float16) for n in text}, str(v5 / shard2), metadata={"format": "pt"}
    )
    total = sum(2 * int(np.prod(shapes[n])) for n in names)
    index = {
        "metadata": {"total_size": total},
        "weight_map": {n: (shard1 if n in vision else shard2) for n in sorted(names)},
    }
    (v5 / "model.safetensors.index.json").write_text(json.dumps(index, indent=2) + "\n")
    (v5 / "tokenizer.json").write_text(tokenizer_json)
    (v5 / "tokenizer_config.json").write_text(json.dumps(tokenizer_config(tok), indent=2) + "\n")
    (v5 / "chat_template.jinja").write_text(SMOLVLM2_TEMPLATE)
    image5 = {k: v for k, v in IMAGE_PROCESSOR.items() if k != "processor_class"}
    (v5 / "processor_config.json").write_text(
        json.dumps(
            {
                "image_processor": image5,
                "image_seq_len": 4,
                "processor_class": "SmolVLMProcessor",
                "video_processor": VIDEO_PROCESSOR,
            },
            indent=2,
        )
        + "\n"
    )

    # What the C++ side must read back: dtype, shape and the first values as f32.
    probe = [names[0], "model.connector.modality_projection.proj.weight", "model.text_model.norm.weight", names[-1]]
    for folder, dtype_of in (("smolvlm2_hub", lambda n: "F32"), ("smolvlm2_v5", lambda n: "BF16" if n in vision else "F16")):
        for n in probe:
            v = values[n].reshape(-1)[:6]
            if dtype_of(n) == "BF16":
                v = (to_bf16_bits(v).astype(np.uint32) << 16).view(np.float32)
            elif dtype_of(n) == "F16":
                v = v.astype(np.float16).astype(np.float32)
            tensor_facts.append(
                {"folder": folder, "name": n, "dtype": dtype_of(n), "shape": shapes[n], "first": [float(x) for x in v]}
            )


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    smol = smolvlm2_tokenizer()
    variant = variant_tokenizer()
    (OUT / "tokenizer_variant.json").write_text(variant.to_str(pretty=False))
    tensor_facts: list = []
    write_checkpoints(smol, tensor_facts)
    fixtures = {
        "versions": {
            "tokenizers": tokenizers.__version__,
            "transformers": transformers.__version__,
            "python": sys.version.split()[0],
        },
        "tokenizers": {"smolvlm2": tokenizer_cases(smol), "variant": tokenizer_cases(variant)},
        "templates": TEMPLATES,
        "conversations": CONVERSATIONS,
        "template_cases": template_cases(),
        "tensors": tensor_facts,
    }
    (OUT / "reference.json").write_text(json.dumps(fixtures, ensure_ascii=False, indent=1) + "\n")
    total = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file())
    print(f"wrote {OUT} ({total} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

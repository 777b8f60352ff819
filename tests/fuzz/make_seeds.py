#!/usr/bin/env python3
"""Seed corpora for the fuzz targets, built from the repository's real files (models/fixture-a,
examples/policies) cut down to a few kilobytes, so nothing large is kept in git.

Usage: make_seeds.py OUTDIR SOURCE_DIR [MOBIQ_EXE]
Writes OUTDIR/<target>/* for every target in tests/fuzz/CMakeLists.txt. With MOBIQ_EXE, also a tiny
.mbq model (mobiq quantize of a tiny checkpoint made here) for mbq_open.
"""
import json
import os
import random
import struct
import subprocess
import sys
import tempfile

out_dir, source_dir = sys.argv[1], sys.argv[2]
mobiq = sys.argv[3] if len(sys.argv) > 3 else None
fixture = os.path.join(source_dir, "models", "fixture-a")
rng = random.Random(7)


def write(target, name, data):
    os.makedirs(os.path.join(out_dir, target), exist_ok=True)
    with open(os.path.join(out_dir, target, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


# tokenizer.json: fixture-a's, vocabulary cut to its first ids (specials and byte fallbacks included)
# and the merges among them.
VOCAB = 320
tok = json.load(open(os.path.join(fixture, "tokenizer.json")))
vocab = {k: v for k, v in tok["model"]["vocab"].items() if v < VOCAB}
merges = []
for m in tok["model"]["merges"]:
    a, b = m.split(" ", 1) if isinstance(m, str) else m
    if a in vocab and b in vocab and a + b in vocab:
        merges.append(m)
tok["model"]["vocab"] = vocab
tok["model"]["merges"] = merges
tok["added_tokens"] = [t for t in tok["added_tokens"] if t["id"] < VOCAB]
small_tokenizer = json.dumps(tok, ensure_ascii=False)
tok_config = open(os.path.join(fixture, "tokenizer_config.json")).read()
write("tokenizer_json", "fixture-a-small.json", small_tokenizer)
write("tokenizer_json", "fixture-a-small-with-config.json", small_tokenizer + "\0" + tok_config)

# config.json: fixture-a's, and the tiny model's below.
config = json.load(open(os.path.join(fixture, "config.json")))
write("config_json", "fixture-a.json", json.dumps(config, indent=2))
tiny = dict(config, vocab_size=VOCAB, hidden_size=128, intermediate_size=256, num_hidden_layers=1,
            num_attention_heads=4, num_key_value_heads=2, head_dim=32)
write("config_json", "tiny.json", json.dumps(tiny))

# Budget policies: the built-in default as shipped, and one with every optional part.
write("budget_policy", "default.json", open(os.path.join(source_dir, "examples", "policies", "default.json")).read())
write("budget_policy", "full.json", json.dumps({
    "version": 1, "min_dwell_tokens": 4, "cap": {"bits": 6.0, "resident_planes": 3},
    "floor": {"bits": 2.5, "resident_planes": 2},
    "rules": [{"when": "battery_percent", "below": 20, "bits": 4.0, "resident_planes": 2, "unless_charging": True},
              {"when": "temperature_c", "above": 80, "bits": 3.0, "release_margin": 5},
              {"when": "available_memory_fraction", "below": 0.1, "resident_planes": 2},
              {"when": "available_memory_bytes", "below": 268435456, "resident_planes": 1}],
    "speed_target": {"tokens_per_second": 20, "step_bits": 0.5, "raise_above": 1.5}}))

# Chat templates: the markers of the three formats as real templates write them, and none.
write("chat_template", "llama2.jinja", "{% for m in messages %}{% if m['role'] == 'user' %}{{ bos_token + '[INST] ' + m['content'] + ' [/INST]' }}{% else %}{{ ' ' + m['content'] + ' ' + eos_token }}{% endif %}{% endfor %}")
write("chat_template", "llama3.jinja", "{% for m in messages %}{{ '<|start_header_id|>' + m['role'] + '<|end_header_id|>\\n\\n' + m['content'] + '<|eot_id|>' }}{% endfor %}")
write("chat_template", "chatml.jinja", "{% for m in messages %}{{'<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n'}}{% endfor %}")
write("chat_template", "none.jinja", "{{ messages }}")


# GGUF metadata: a llama (SentencePiece) vocabulary of fixture-a's first tokens.
def gguf_string(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def gguf_kv(key, type_id, payload):
    return gguf_string(key) + struct.pack("<I", type_id) + payload


tokens = sorted(vocab.items(), key=lambda kv: kv[1])[:64]
kvs = [
    gguf_kv("general.architecture", 8, gguf_string("llama")),
    gguf_kv("tokenizer.ggml.model", 8, gguf_string("llama")),
    gguf_kv("tokenizer.ggml.tokens", 9, struct.pack("<IQ", 8, len(tokens)) + b"".join(gguf_string(t) for t, _ in tokens)),
    gguf_kv("tokenizer.ggml.scores", 9, struct.pack("<IQ", 6, len(tokens)) + b"".join(struct.pack("<f", -i) for i in range(len(tokens)))),
    gguf_kv("tokenizer.ggml.token_type", 9, struct.pack("<IQ", 5, len(tokens)) + b"".join(
        struct.pack("<i", 3 if i < 3 else (6 if t.startswith("<0x") else 1)) for i, (t, _) in enumerate(tokens))),
    gguf_kv("tokenizer.ggml.bos_token_id", 4, struct.pack("<I", 1)),
    gguf_kv("tokenizer.ggml.eos_token_id", 4, struct.pack("<I", 2)),
]
write("gguf_metadata", "llama-spm-small.gguf", b"GGUF" + struct.pack("<IQQ", 3, 0, len(kvs)) + b"".join(kvs))


# Safetensors: small tensors from fixture-a's first shard (real header fields, real bytes), with the
# data at an aligned and at an odd offset.
def safetensors(tensors, odd):
    header, data = {"__metadata__": {"format": "pt"}}, b""
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header).encode()
    while (len(text) + 8) % 8 != (1 if odd else 0):
        text += b" "
    return struct.pack("<Q", len(text)) + text + data


shard = os.path.join(fixture, "model-00001-of-00002.safetensors")
with open(shard, "rb") as f:
    (n,) = struct.unpack("<Q", f.read(8))
    header = json.loads(f.read(n))
    picked = []
    for name, entry in header.items():
        if name == "__metadata__" or len(entry["shape"]) != 1:
            continue
        f.seek(8 + n + entry["data_offsets"][0])
        raw = f.read(64)  # the first 32 bf16 values
        picked.append((name, entry["dtype"], [len(raw) // 2], raw))
        if len(picked) == 3:
            break
picked.append(("matrix", "F32", [2, 3], struct.pack("<6f", 1, 2, 3, 4, 5, 6)))
write("safetensors_header", "aligned.safetensors", safetensors(picked, False))
write("safetensors_header", "odd-offset.safetensors", safetensors(picked, True))

# .mbq: `mobiq quantize` of a tiny checkpoint (the tiny config, random bf16 weights, the small
# tokenizer); the first byte of a mbq_open input picks checksum verification (1: on).
if mobiq:
    def bf16s(count):
        return b"".join(struct.pack("<H", (struct.unpack("<I", struct.pack("<f", rng.gauss(0, 0.05)))[0] >> 16)) for _ in range(count))

    h, i, v, kv = tiny["hidden_size"], tiny["intermediate_size"], VOCAB, tiny["num_key_value_heads"] * tiny["head_dim"]
    weights = [("model.embed_tokens.weight", [v, h]), ("model.norm.weight", [h]),
               ("model.layers.0.input_layernorm.weight", [h]), ("model.layers.0.post_attention_layernorm.weight", [h]),
               ("model.layers.0.self_attn.q_proj.weight", [h, h]), ("model.layers.0.self_attn.k_proj.weight", [kv, h]),
               ("model.layers.0.self_attn.v_proj.weight", [kv, h]), ("model.layers.0.self_attn.o_proj.weight", [h, h]),
               ("model.layers.0.mlp.gate_proj.weight", [i, h]), ("model.layers.0.mlp.up_proj.weight", [i, h]),
               ("model.layers.0.mlp.down_proj.weight", [h, i])]
    with tempfile.TemporaryDirectory() as d:
        tensors = [(name, "BF16", shape, bf16s(shape[0] * (shape[1] if len(shape) > 1 else 1))) for name, shape in weights]
        open(os.path.join(d, "model.safetensors"), "wb").write(safetensors(tensors, False))
        open(os.path.join(d, "config.json"), "w").write(json.dumps(tiny))
        open(os.path.join(d, "tokenizer.json"), "w").write(small_tokenizer)
        open(os.path.join(d, "tokenizer_config.json"), "w").write(tok_config)
        model = os.path.join(d, "tiny.mbq")
        subprocess.run([mobiq, "quantize", "--hf", d, "-o", model], check=True, stdout=subprocess.DEVNULL)
        data = open(model, "rb").read()
    write("mbq_open", "tiny-verified.mbq", b"\x01" + data)
    write("mbq_open", "tiny-unverified.mbq", b"\x00" + data)
print("seeds in", out_dir)

#!/usr/bin/env python3
"""Writes a GGUF file shaped like Llama-3-8B in Q4_K_M, with random weights, for speed benchmarks.

The tensor types follow llama.cpp's Q4_K_M recipe (Q4_K everywhere, Q6_K for the output, and for
attn_v and ffn_down in the layers it gives more bits); quants are random bytes and every block's
f16 scales small valid numbers, so no NaN or infinity reaches the kernels. Generated at bench time,
never committed (about 4.9 GB at full size). A minimal SPM vocabulary makes llama.cpp load it.

Usage: make_synthetic_gguf.py OUT.gguf [--layers 32] [--embd 4096] [--ff 14336] [--vocab 128256]
                              [--heads 32] [--kv-heads 8] [--seed 0]
"""
import argparse
import struct

import numpy as np

ALIGNMENT = 32
F32, F16, Q4_K, Q6_K = 0, 1, 12, 14
BLOCK = {Q4_K: (256, 144), Q6_K: (256, 210), F32: (1, 4)}
# Byte offsets of each block's f16 scale fields.
SCALE_FIELDS = {Q4_K: (0, 2), Q6_K: (208,)}
FILE_TYPE_Q4_K_M = 15
GGUF_UINT32, GGUF_FLOAT32, GGUF_STRING, GGUF_ARRAY, GGUF_INT32 = 4, 6, 8, 9, 5


def gguf_string(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def kv(key, vtype, value):
    out = gguf_string(key) + struct.pack("<I", vtype)
    if vtype == GGUF_UINT32:
        return out + struct.pack("<I", value)
    if vtype == GGUF_INT32:
        return out + struct.pack("<i", value)
    if vtype == GGUF_FLOAT32:
        return out + struct.pack("<f", value)
    if vtype == GGUF_STRING:
        return out + gguf_string(value)
    raise ValueError(vtype)


def kv_array(key, elem_type, values):
    out = gguf_string(key) + struct.pack("<IIQ", GGUF_ARRAY, elem_type, len(values))
    if elem_type == GGUF_STRING:
        return out + b"".join(gguf_string(v) for v in values)
    fmt = {GGUF_FLOAT32: "f", GGUF_INT32: "i"}[elem_type]
    return out + np.asarray(values, dtype="<" + fmt).tobytes()


def more_bits(layer, n_layer):
    # llama.cpp's use_more_bits: the first and last eighth of the layers, and every third between.
    return layer < n_layer // 8 or layer >= 7 * n_layer // 8 or (layer - n_layer // 8) % 3 == 2


def tensor_bytes(ttype, ne):
    elements, nbytes = BLOCK[ttype]
    count = 1
    for n in ne:
        count *= n
    return count // elements * nbytes


def random_tensor(rng, ttype, ne):
    if ttype == F32:
        return (1.0 + 0.1 * rng.standard_normal(int(np.prod(ne)))).astype("<f4").tobytes()
    _, block_bytes = BLOCK[ttype]
    data = rng.integers(0, 256, size=tensor_bytes(ttype, ne), dtype=np.uint8)
    blocks = data.reshape(-1, block_bytes)
    for offset in SCALE_FIELDS[ttype]:
        scales = rng.uniform(0.0005, 0.004, size=blocks.shape[0]).astype("<f2")
        blocks[:, offset:offset + 2] = scales.view(np.uint8).reshape(-1, 2)
    return data.tobytes()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("out")
    p.add_argument("--layers", type=int, default=32)
    p.add_argument("--embd", type=int, default=4096)
    p.add_argument("--ff", type=int, default=14336)
    p.add_argument("--vocab", type=int, default=128256)
    p.add_argument("--heads", type=int, default=32)
    p.add_argument("--kv-heads", type=int, default=8)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    head_dim = a.embd // a.heads
    kv_dim = head_dim * a.kv_heads

    tensors = [("token_embd.weight", Q4_K, [a.embd, a.vocab]),
               ("output_norm.weight", F32, [a.embd]),
               ("output.weight", Q6_K, [a.embd, a.vocab])]
    for i in range(a.layers):
        wide = Q6_K if more_bits(i, a.layers) else Q4_K
        tensors += [(f"blk.{i}.attn_norm.weight", F32, [a.embd]),
                    (f"blk.{i}.attn_q.weight", Q4_K, [a.embd, a.embd]),
                    (f"blk.{i}.attn_k.weight", Q4_K, [a.embd, kv_dim]),
                    (f"blk.{i}.attn_v.weight", wide, [a.embd, kv_dim]),
                    (f"blk.{i}.attn_output.weight", Q4_K, [a.embd, a.embd]),
                    (f"blk.{i}.ffn_norm.weight", F32, [a.embd]),
                    (f"blk.{i}.ffn_gate.weight", Q4_K, [a.embd, a.ff]),
                    (f"blk.{i}.ffn_up.weight", Q4_K, [a.embd, a.ff]),
                    (f"blk.{i}.ffn_down.weight", wide, [a.ff, a.embd])]

    # SPM vocabulary: <unk>, <s>, </s>, the 256 byte tokens, then plain pieces.
    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)]
    tokens += [f"t{i}" for i in range(a.vocab - len(tokens))]
    token_types = [2, 3, 3] + [6] * 256 + [1] * (a.vocab - 259)
    metadata = [
        kv("general.architecture", GGUF_STRING, "llama"),
        kv("general.name", GGUF_STRING, "synthetic-llama-3-8b-q4_k_m"),
        kv("general.file_type", GGUF_UINT32, FILE_TYPE_Q4_K_M),
        kv("llama.context_length", GGUF_UINT32, 8192),
        kv("llama.embedding_length", GGUF_UINT32, a.embd),
        kv("llama.block_count", GGUF_UINT32, a.layers),
        kv("llama.feed_forward_length", GGUF_UINT32, a.ff),
        kv("llama.rope.dimension_count", GGUF_UINT32, head_dim),
        kv("llama.attention.head_count", GGUF_UINT32, a.heads),
        kv("llama.attention.head_count_kv", GGUF_UINT32, a.kv_heads),
        kv("llama.attention.layer_norm_rms_epsilon", GGUF_FLOAT32, 1e-5),
        kv("llama.rope.freq_base", GGUF_FLOAT32, 500000.0),
        kv("llama.vocab_size", GGUF_UINT32, a.vocab),
        kv("tokenizer.ggml.model", GGUF_STRING, "llama"),
        kv_array("tokenizer.ggml.tokens", GGUF_STRING, tokens),
        kv_array("tokenizer.ggml.scores", GGUF_FLOAT32, [0.0] * a.vocab),
        kv_array("tokenizer.ggml.token_type", GGUF_INT32, token_types),
        kv("tokenizer.ggml.bos_token_id", GGUF_UINT32, 1),
        kv("tokenizer.ggml.eos_token_id", GGUF_UINT32, 2),
        kv("tokenizer.ggml.unknown_token_id", GGUF_UINT32, 0),
    ]

    infos, offset = [], 0
    for name, ttype, ne in tensors:
        infos.append(gguf_string(name) + struct.pack("<I", len(ne)) +
                     b"".join(struct.pack("<Q", n) for n in ne) + struct.pack("<IQ", ttype, offset))
        offset += (tensor_bytes(ttype, ne) + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT

    rng = np.random.default_rng(a.seed)
    with open(a.out, "wb") as f:
        f.write(b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(metadata)))
        for item in metadata + infos:
            f.write(item)
        f.write(b"\0" * (-f.tell() % ALIGNMENT))
        for name, ttype, ne in tensors:
            data = random_tensor(rng, ttype, ne)
            f.write(data)
            f.write(b"\0" * (-len(data) % ALIGNMENT))
    print(f"{a.out}: {len(tensors)} tensors, {offset / 1e9:.2f} GB of weights")


if __name__ == "__main__":
    main()

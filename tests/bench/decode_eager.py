#!/usr/bin/python3
"""PyTorch-eager yardstick of `lts-search eval ARCH --generate`: the same GPT-2 architecture
(plain tied embedding, per-layer n_head and d_inner), generating greedily with a key/value cache
allocated for prompt + new tokens up front, timed the way core/profiler.cpp times it (warm-up
runs, then runs until the prefill's and each run's decode median are known within 2%, at most 10).

    /usr/bin/python3 tests/bench/decode_eager.py ARCH.json [PROMPT] [NEW_TOKENS] [THREADS]
    (defaults: 128 prompt tokens, 64 new tokens, 1 thread)

Prints one compact JSON line: prefill_ms, decode_ms_per_token, runs, total_params. The model is
written as a PyTorch user would write it (nn.Module, matmul/softmax attention, no torch.compile
or TorchScript); weights are random, as in the measurer.
"""
import json
import os
import statistics
import sys

if len(sys.argv) < 2:
    sys.stderr.write("usage: decode_eager.py ARCH.json [PROMPT] [NEW_TOKENS] [THREADS]\n")
    sys.exit(2)
ARCH = json.load(open(sys.argv[1]))
PROMPT = int(sys.argv[2]) if len(sys.argv) > 2 else 128
NEW = int(sys.argv[3]) if len(sys.argv) > 3 else 64
THREADS = int(sys.argv[4]) if len(sys.argv) > 4 else 1
# LTS Studio's binding: OpenBLAS gets the threads, torch's intra-op pool one (set before import).
os.environ["OPENBLAS_NUM_THREADS"] = str(THREADS)
os.environ["OMP_NUM_THREADS"] = "1"

import time  # noqa: E402

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.set_num_threads(1)
if ARCH.get("backbone", "gpt2") != "gpt2" or ARCH.get("div_val", 1) != 1 or ARCH.get("cutoffs"):
    sys.stderr.write("decode_eager.py: GPT-2 with a plain embedding only\n")
    sys.exit(2)
L = ARCH["n_layer"]
D = ARCH["d_model"]


def per_layer(key):
    v = ARCH[key]
    return v if isinstance(v, list) else [v] * L


HEADS, INNER = per_layer("n_head"), per_layer("d_inner")
VOCAB, POSITIONS = ARCH["vocab_size"], ARCH["seq_len"]


class Block(nn.Module):
    def __init__(self, heads, inner):
        super().__init__()
        self.heads = heads
        self.ln1, self.ln2 = nn.LayerNorm(D), nn.LayerNorm(D)
        self.qkv, self.proj = nn.Linear(D, 3 * D), nn.Linear(D, D)
        self.fc, self.out = nn.Linear(D, inner), nn.Linear(inner, D)

    def start(self, positions):
        self.k = torch.empty(1, self.heads, positions, D // self.heads)
        self.v = torch.empty_like(self.k)

    def forward(self, x, past):
        b, t, _ = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(D, dim=2)
        shape = (b, t, self.heads, D // self.heads)
        q, k, v = (y.view(shape).transpose(1, 2) for y in (q, k, v))
        self.k[:, :, past:past + t] = k
        self.v[:, :, past:past + t] = v
        keys, values = self.k[:, :, :past + t], self.v[:, :, :past + t]
        att = q @ keys.transpose(-1, -2) / (D // self.heads) ** 0.5
        if t > 1:  # the prompt: causal within it
            mask = torch.ones(t, past + t, dtype=torch.bool).triu(past + 1)
            att = att.masked_fill(mask, float("-inf"))
        y = (att.softmax(-1) @ values).transpose(1, 2).reshape(b, t, D)
        x = x + self.proj(y)
        return x + self.out(F.gelu(self.fc(self.ln2(x))))


class Gpt2(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(VOCAB, D), nn.Embedding(POSITIONS, D)
        self.blocks = nn.ModuleList(Block(h, i) for h, i in zip(HEADS, INNER))
        self.ln = nn.LayerNorm(D)

    def start(self, positions):
        self.past = 0
        for b in self.blocks:
            b.start(positions)

    def decode(self, ids):
        t = ids.shape[1]
        x = self.wte(ids) + self.wpe(torch.arange(self.past, self.past + t))
        for b in self.blocks:
            x = b(x, self.past)
        self.past += t
        return F.log_softmax(self.ln(x[:, -1]) @ self.wte.weight.t(), -1)  # the last position only


def known(samples, minimum=3, tolerance=0.02):
    if len(samples) < minimum:
        return False
    q = statistics.quantiles(samples, n=4, method="inclusive")
    return (q[2] - q[0]) / 2 <= tolerance * statistics.median(samples)


model = Gpt2().eval()
prompt = torch.randint(VOCAB, (1, PROMPT), generator=torch.Generator().manual_seed(42))
with torch.inference_mode():

    def run():
        model.start(PROMPT + NEW)
        t0 = time.perf_counter()
        nxt = model.decode(prompt).argmax(-1, keepdim=True)
        prefill = (time.perf_counter() - t0) * 1e3
        steps = []
        for _ in range(NEW - 1):
            t0 = time.perf_counter()
            nxt = model.decode(nxt).argmax(-1, keepdim=True)
            steps.append((time.perf_counter() - t0) * 1e3)
        return prefill, steps

    run()  # warm-up, as the measurer's default
    run()  # the measurer's peak run
    prefills, medians, decodes = [], [], []
    while len(prefills) < 10 and not (known(prefills) and known(medians)):
        p, s = run()
        prefills.append(p)
        medians.append(statistics.median(s))
        decodes += s
print(json.dumps({"impl": "pytorch-eager", "torch": torch.__version__, "threads": THREADS,
                  "prefill_ms": statistics.median(prefills), "decode_ms_per_token": statistics.median(decodes),
                  "runs": len(prefills), "total_params": sum(p.numel() for p in model.parameters())}))

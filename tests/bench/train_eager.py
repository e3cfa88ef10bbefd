#!/usr/bin/python3
"""PyTorch-eager twin of the proxy audit's trainer (core/trainer.cpp), used only as a yardstick:
it trains the same byte-level model, with the same optimiser, schedule, clipping, batch, context
and kind of data order, and reports training throughput the way bench_train does.

    /usr/bin/python3 tests/bench/train_eager.py ARCH.json TEXT [TOKENS] [THREADS] [BATCH] [CONTEXT]
    (defaults: 65536 tokens, 1 thread, batch 8, the architecture's seq_len)

Prints one compact JSON line with bench_train's keys (impl "pytorch-eager"). The model is written
as a PyTorch user would write it (nn.Module, matmul/softmax attention with a causal mask, no
torch.compile or TorchScript). The random windows and stream offsets come from Python's RNG, so
the exact windows differ from LibTorch's run; their kind, count and size are the same.
"""
import json
import math
import os
import sys


def usage():
    sys.stderr.write("usage: train_eager.py ARCH.json TEXT [TOKENS] [THREADS] [BATCH] [CONTEXT]\n")
    sys.exit(2)


if len(sys.argv) < 3:
    usage()
ARCH_PATH, TEXT_PATH = sys.argv[1], sys.argv[2]
try:
    TOKENS = int(sys.argv[3]) if len(sys.argv) > 3 else 65536
    THREADS = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    BATCH = int(sys.argv[5]) if len(sys.argv) > 5 else 8
    CONTEXT = int(sys.argv[6]) if len(sys.argv) > 6 else 0
except ValueError:
    usage()
if TOKENS < 1 or THREADS < 1 or BATCH < 1 or CONTEXT < 0:
    usage()

# The BLAS and OpenMP pools read these when the libraries load: set them before importing torch.
# By default both pools get THREADS, as a PyTorch user's script does; EAGER_INTRA_OP=1 gives
# torch's intra-op pool one thread, the binding LTS Studio uses (OpenBLAS owns the cores).
INTRA_OP = int(os.environ.get("EAGER_INTRA_OP", THREADS))
os.environ["OPENBLAS_NUM_THREADS"] = str(THREADS)
os.environ["OMP_NUM_THREADS"] = str(INTRA_OP)

import random  # noqa: E402
import time  # noqa: E402

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

BYTE_VOCAB = 256
SEED = 1
LR = 1e-3
MIN_LR_RATIO = 0.1
WARMUP_FRACTION = 0.05
WEIGHT_DECAY = 0.01
CLIP_NORM = 1.0
VALID_FRACTION = 0.1
INIT_STD = 0.02


def fail(message, code=2):
    sys.stderr.write("train_eager: %s\n" % message)
    sys.exit(code)


# ---------------------------------------------------------------------------------------------
# Architecture JSON: the project's own format, Hugging Face GPT2Config and Archai's configs.
# Only the decoder fields matter here: the byte-level model has a plain tied 256-entry embedding.


def per_layer(value, field, n_layer, truncate=False):
    if value is None:
        fail("%s is required" % field)
    if not isinstance(value, list):
        return [int(value)] * n_layer
    out = [int(v) for v in value]
    if truncate:
        out = out[:n_layer]
    if len(out) != n_layer:
        fail("%s needs one value per layer (%d), got %d" % (field, n_layer, len(out)))
    return out


def load_arch(path):
    with open(path, encoding="utf-8") as f:
        o = json.load(f)
    if "arch_type" in o:  # Archai
        kind = o["arch_type"]
        if "gpt2" in kind:
            backbone = "gpt2"
        elif "mem_transformer" in kind or "transfo_xl" in kind:
            backbone = "transformer-xl"
        else:
            fail('arch_type must name gpt2 or mem_transformer, got "%s"' % kind)
        n = int(o["n_layer"])
        a = {
            "backbone": backbone,
            "n_layer": n,
            "d_model": int(o["d_model"]),
            "n_head": per_layer(o.get("n_head"), "n_head", n, True),
            "d_inner": per_layer(o.get("d_inner"), "d_inner", n, True),
            "seq_len": int(o.get("tgt_len", o.get("n_positions", 192))),
            "mem_len": int(o.get("mem_len", 192)) if backbone == "transformer-xl" else 0,
        }
    elif "n_embd" in o or o.get("model_type") in ("gpt2", "gpt2-flex"):  # Hugging Face GPT-2
        n = int(o.get("n_layer", 12))
        d = int(o.get("n_embd", 768))
        inner = o.get("n_inner")
        a = {
            "backbone": "gpt2",
            "n_layer": n,
            "d_model": d,
            "n_head": per_layer(o.get("n_head", 12), "n_head", n),
            "d_inner": per_layer(4 * d if inner is None else inner, "n_inner", n),
            "seq_len": int(o.get("n_positions", 1024)),
            "mem_len": 0,
        }
    else:  # the project's format
        backbone = o.get("backbone", "gpt2")
        if backbone == "mem_transformer":
            backbone = "transformer-xl"
        if backbone not in ("gpt2", "transformer-xl"):
            fail('backbone must be "gpt2" or "transformer-xl", not "%s"' % backbone)
        n = int(o["n_layer"])
        a = {
            "backbone": backbone,
            "n_layer": n,
            "d_model": int(o["d_model"]),
            "n_head": per_layer(o.get("n_head"), "n_head", n),
            "d_inner": per_layer(o.get("d_inner"), "d_inner", n),
            "seq_len": int(o["seq_len"]),
            "mem_len": int(o.get("mem_len", 0)) if backbone == "transformer-xl" else 0,
        }
    for i, h in enumerate(a["n_head"]):
        if h < 1 or a["d_model"] % h:
            fail("n_head[%d]: d_model (%d) must be divisible by n_head (%d)" % (i, a["d_model"], h))
    return a


# ---------------------------------------------------------------------------------------------
# GPT-2 (pre-LayerNorm blocks, final LayerNorm, learned positions, head tied to the embedding).


class GPT2Block(nn.Module):
    def __init__(self, d_model, n_head, d_inner):
        super().__init__()
        self.n_head = n_head
        self.ln_1 = nn.LayerNorm(d_model)
        self.c_attn = nn.Linear(d_model, 3 * d_model)
        self.c_proj = nn.Linear(d_model, d_model)
        self.ln_2 = nn.LayerNorm(d_model)
        self.c_fc = nn.Linear(d_model, d_inner)
        self.mlp_proj = nn.Linear(d_inner, d_model)

    def attention(self, x, causal):
        b, t, d = x.shape
        d_head = d // self.n_head
        q, k, v = self.c_attn(self.ln_1(x)).split(d, dim=-1)
        q = q.view(b, t, self.n_head, d_head).transpose(1, 2)
        k = k.view(b, t, self.n_head, d_head).transpose(1, 2)
        v = v.view(b, t, self.n_head, d_head).transpose(1, 2)
        scores = torch.matmul(q, k.transpose(-2, -1)) / math.sqrt(d_head)
        scores = scores.masked_fill(causal[:t, :t], float("-inf"))
        y = torch.matmul(F.softmax(scores, dim=-1), v)
        return self.c_proj(y.transpose(1, 2).reshape(b, t, d))

    def forward(self, x, causal):
        x = x + self.attention(x, causal)
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class GPT2LM(nn.Module):
    def __init__(self, a):
        super().__init__()
        d = a["d_model"]
        self.wte = nn.Embedding(BYTE_VOCAB, d)
        self.wpe = nn.Embedding(a["seq_len"], d)
        self.blocks = nn.ModuleList(
            GPT2Block(d, a["n_head"][i], a["d_inner"][i]) for i in range(a["n_layer"])
        )
        self.ln_f = nn.LayerNorm(d)
        self.lm_head = nn.Linear(d, BYTE_VOCAB, bias=False)
        self.lm_head.weight = self.wte.weight  # tied, as GPT-2
        causal = torch.ones(a["seq_len"], a["seq_len"], dtype=torch.bool).triu(1)
        self.register_buffer("causal", causal, persistent=False)
        self.init_weights(a["n_layer"])

    def init_weights(self, n_layer):
        # Hugging Face GPT-2: N(0, 0.02) matrices and tables, the projections into the residual
        # stream N(0, 0.02 / sqrt(2 n_layer)), zero biases, unit LayerNorm gains.
        residual_std = INIT_STD / math.sqrt(2.0 * n_layer)
        with torch.no_grad():
            for name, p in self.named_parameters():
                if ".ln_" in name or name.startswith("ln_"):
                    p.fill_(1.0) if name.endswith("weight") else p.zero_()
                elif name.endswith(".bias"):
                    p.zero_()
                elif name.endswith("c_proj.weight") or name.endswith("mlp_proj.weight"):
                    p.normal_(0.0, residual_std)
                else:
                    p.normal_(0.0, INIT_STD)

    def decoder_params(self):
        return sum(p.numel() for p in self.blocks.parameters()) + sum(p.numel() for p in self.ln_f.parameters())

    def reset_memory(self):
        pass

    def forward(self, ids):  # ids [B, T] -> logits [B*T, vocab]
        pos = torch.arange(ids.shape[1], device=ids.device)
        h = self.wte(ids) + self.wpe(pos)
        for block in self.blocks:
            h = block(h, self.causal)
        h = self.ln_f(h)
        return self.lm_head(h.reshape(-1, h.shape[-1]))


# ---------------------------------------------------------------------------------------------
# Transformer-XL (post-LayerNorm layers, relative sinusoidal positions, per-layer content and
# position biases, segment memory), byte-level: plain tied embedding, no projection.


class RelMultiHeadAttention(nn.Module):
    def __init__(self, d_model, n_head):
        super().__init__()
        self.n_head = n_head
        self.d_head = d_model // n_head
        self.qkv_net = nn.Linear(d_model, 3 * d_model, bias=False)
        self.r_net = nn.Linear(d_model, d_model, bias=False)
        self.o_net = nn.Linear(d_model, d_model, bias=False)
        self.layer_norm = nn.LayerNorm(d_model)
        self.r_w_bias = nn.Parameter(torch.zeros(n_head, self.d_head))
        self.r_r_bias = nn.Parameter(torch.zeros(n_head, self.d_head))

    @staticmethod
    def rel_shift(x):  # x [qlen, klen, B, H]: row i shifted so column j is relative distance
        qlen, klen = x.shape[0], x.shape[1]
        pad = x.new_zeros(qlen, 1, *x.shape[2:])
        shifted = torch.cat([pad, x], dim=1).view(klen + 1, qlen, *x.shape[2:])
        return shifted[1:].view_as(x)

    def forward(self, w, r, mem, mask):  # w [qlen, B, d], r [klen, d], mem [mlen, B, d] or None
        qlen, bsz = w.shape[0], w.shape[1]
        h = torch.cat([mem, w], 0) if mem is not None and mem.shape[0] > 0 else w
        klen = h.shape[0]
        q, k, v = self.qkv_net(h).chunk(3, dim=-1)
        q = q[-qlen:].view(qlen, bsz, self.n_head, self.d_head)
        k = k.view(klen, bsz, self.n_head, self.d_head)
        v = v.view(klen, bsz, self.n_head, self.d_head)
        rk = self.r_net(r).view(r.shape[0], self.n_head, self.d_head)
        content = torch.einsum("ibnd,jbnd->ijbn", q + self.r_w_bias, k)
        position = self.rel_shift(torch.einsum("ibnd,jnd->ijbn", q + self.r_r_bias, rk))
        scores = (content + position) * (1.0 / math.sqrt(self.d_head))
        scores = scores.masked_fill(mask[:, :, None, None], float("-inf"))
        prob = F.softmax(scores, dim=1)
        out = torch.einsum("ijbn,jbnd->ibnd", prob, v).reshape(qlen, bsz, self.n_head * self.d_head)
        return self.layer_norm(w + self.o_net(out))


class XLLayer(nn.Module):
    def __init__(self, d_model, n_head, d_inner):
        super().__init__()
        self.attn = RelMultiHeadAttention(d_model, n_head)
        self.ff1 = nn.Linear(d_model, d_inner)
        self.ff2 = nn.Linear(d_inner, d_model)
        self.ff_norm = nn.LayerNorm(d_model)

    def forward(self, w, r, mem, mask):
        h = self.attn(w, r, mem, mask)
        return self.ff_norm(h + self.ff2(F.relu(self.ff1(h))))


class TransformerXLLM(nn.Module):
    def __init__(self, a):
        super().__init__()
        d = a["d_model"]
        self.d_model = d
        self.mem_len = a["mem_len"]
        self.word_emb = nn.Embedding(BYTE_VOCAB, d)
        self.layers = nn.ModuleList(XLLayer(d, a["n_head"][i], a["d_inner"][i]) for i in range(a["n_layer"]))
        self.out = nn.Linear(d, BYTE_VOCAB, bias=False)
        self.out.weight = self.word_emb.weight  # tied
        inv_freq = 1.0 / (10000.0 ** (torch.arange(0.0, d, 2.0) / d))
        self.register_buffer("inv_freq", inv_freq, persistent=False)
        self.mems = None
        self.init_weights()

    def init_weights(self):
        # Transformer-XL's init_weight: N(0, 0.02) matrices, tables and per-head biases,
        # LayerNorm gains N(1, 0.02), zero biases.
        with torch.no_grad():
            for name, p in self.named_parameters():
                if "layer_norm" in name or "ff_norm" in name:
                    p.normal_(1.0, INIT_STD) if name.endswith("weight") else p.zero_()
                elif name.endswith(".bias"):
                    p.zero_()
                else:
                    p.normal_(0.0, INIT_STD)

    def decoder_params(self):
        return sum(p.numel() for p in self.layers.parameters())

    def reset_memory(self):
        self.mems = None

    def forward(self, ids):  # ids [B, T] -> logits [B*T, vocab]
        x = self.word_emb(ids.t())  # [qlen, B, d]
        qlen = x.shape[0]
        mlen = 0 if self.mems is None else self.mems[0].shape[0]
        klen = mlen + qlen
        pos = torch.arange(klen - 1, -1, -1.0, dtype=x.dtype, device=x.device)
        sinusoid = torch.outer(pos, self.inv_freq)
        r = torch.cat([sinusoid.sin(), sinusoid.cos()], dim=-1)
        mask = torch.ones(qlen, klen, dtype=torch.bool, device=x.device).triu(1 + mlen)
        hids = []
        for i, layer in enumerate(self.layers):
            hids.append(x)
            x = layer(x, r, None if self.mems is None else self.mems[i], mask)
        if self.mem_len > 0:
            with torch.no_grad():
                new = []
                for i, h in enumerate(hids):
                    cat = h if self.mems is None else torch.cat([self.mems[i], h], 0)
                    new.append(cat[-self.mem_len:].detach())
                self.mems = new
        return self.out(x.reshape(-1, self.d_model))


# ---------------------------------------------------------------------------------------------
# Training


class DataOrder:
    """GPT-2: windows drawn uniformly at random. Transformer-XL: `batch` contiguous streams read
    segment after segment from a random offset, restarting (and clearing memory) at the end."""

    def __init__(self, streams, size, batch, context, seed):
        self.rng = random.Random(seed)
        self.size, self.batch, self.context = size, batch, context
        self.stream_len = size // batch
        self.streams = streams and self.stream_len >= context + 1
        self.offset = self.rng.randint(0, self.stream_len - context - 1) if self.streams else 0

    def next(self):  # (starts, restarted)
        if not self.streams:
            return [self.rng.randint(0, self.size - self.context - 1) for _ in range(self.batch)], False
        restarted = False
        if self.offset + self.context + 1 > self.stream_len:
            self.offset, restarted = 0, True
        starts = [b * self.stream_len + self.offset for b in range(self.batch)]
        self.offset += self.context
        return starts, restarted


def learning_rate(step, steps):
    warmup = max(1, int(math.floor(WARMUP_FRACTION * steps + 0.5)))
    if step < warmup:
        return LR * (step + 1) / warmup
    progress = (step - warmup) / (steps - warmup) if steps > warmup else 1.0
    floor = LR * MIN_LR_RATIO
    return floor + (LR - floor) * 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


def main():
    torch.set_num_threads(INTRA_OP)
    torch.set_flush_denormal(True)  # as the C++ trainer does
    a = load_arch(ARCH_PATH)
    xl = a["backbone"] == "transformer-xl"
    context = CONTEXT if CONTEXT > 0 else a["seq_len"]
    if not xl and context > a["seq_len"]:
        fail("context must be at most the architecture's seq_len (%d)" % a["seq_len"])

    with open(TEXT_PATH, "rb") as f:
        data = f.read()
    if not data:
        fail('"%s" is empty' % TEXT_PATH)
    split = len(data) - int(len(data) * VALID_FRACTION)
    train = torch.frombuffer(bytearray(data[:split]), dtype=torch.uint8)
    if train.numel() < 8 * BATCH * (context + 1) or len(data) - split < context + 1:
        fail('"%s" is too short for a context of %d and batches of %d' % (TEXT_PATH, context, BATCH))

    torch.manual_seed(SEED)
    model = TransformerXLLM(a) if xl else GPT2LM(a)
    decoder_params = model.decoder_params()
    total_params = sum(p.numel() for p in model.parameters())  # tied weight counted once

    decay, no_decay = [], []
    for name, p in model.named_parameters():
        per_head = name.endswith("r_w_bias") or name.endswith("r_r_bias")
        (decay if p.dim() >= 2 and not per_head else no_decay).append(p)
    groups = [{"params": decay, "weight_decay": WEIGHT_DECAY}]
    if no_decay:
        groups.append({"params": no_decay, "weight_decay": 0.0})
    optimizer = torch.optim.AdamW(groups, lr=LR, betas=(0.9, 0.95))

    order = DataOrder(xl, train.numel(), BATCH, context, SEED)
    offsets = torch.arange(context + 1)
    tokens_per_step = BATCH * context
    steps = max(1, -(-TOKENS // tokens_per_step))
    losses = []

    t0 = time.perf_counter()
    for i in range(steps):
        starts, restarted = order.next()
        w = train[torch.tensor(starts)[:, None] + offsets].long()
        if restarted:
            model.reset_memory()
        model.train()
        logits = model(w[:, :-1])
        loss = F.cross_entropy(logits, w[:, 1:].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP_NORM)
        lr = learning_rate(i, steps)
        for g in optimizer.param_groups:
            g["lr"] = lr
        optimizer.step()
        losses.append(loss.item())
    train_s = time.perf_counter() - t0

    tail = max(1, len(losses) // 10)
    tokens = steps * tokens_per_step
    result = {
        "decoder_params": decoder_params,
        "final_train_loss": sum(losses[-tail:]) / tail,
        "impl": "pytorch-eager",
        "steps": steps,
        "tokens": tokens,
        "tokens_per_s": tokens / max(1e-9, train_s),
        "total_params": total_params,
        "train_s": train_s,
    }
    print(json.dumps(result, separators=(",", ":")))


if __name__ == "__main__":
    main()

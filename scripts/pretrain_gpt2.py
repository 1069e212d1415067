"""Pretrain the embedded byte-level GPT-2 (public/models/gpt2-moby/) on Moby Dick.

Run from the repository root with Debian's PyTorch (tested with 1.13, CPU only):

    node scripts/export_texts.mjs
    /usr/bin/python3 scripts/pretrain_gpt2.py

The model code below is written for this project, and its parameter names and layouts are those of
Hugging Face GPT2LMHeadModel: Conv1D weights are stored as (in, out) and the LM head is tied to
transformer.wte. No `transformers` package is needed. Outputs:

- public/models/gpt2-moby/model.safetensors, config.json, tokenizer.json
- tests/fixtures/gpt2-moby-reference.json (float32 losses and logits for two SOTU windows)
- tmp/pretrain/summary.json (losses and wall time, copied by hand into TRAINING.md)

Dimension letters: B batch, T time, C channels, V vocabulary, NH heads, HS head size.
"""

import argparse
import json
import math
import os
import struct
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
MODEL_DIR = os.path.join(REPO_ROOT, "public", "models", "gpt2-moby")
SOTU_DIR = os.path.join(REPO_ROOT, "public", "datasets", "sotu")
FIXTURE_PATH = os.path.join(REPO_ROOT, "tests", "fixtures", "gpt2-moby-reference.json")

# Byte 0 (NUL) never occurs in the text, so it serves as both BOS and EOS.
BOS_EOS_TOKEN_ID = 0


class Gpt2Config:
    vocab_size = 256
    n_positions = 128
    n_embd = 128
    n_layer = 4
    n_head = 4
    layer_norm_epsilon = 1e-5


def matmul_onednn(x, weight):
    """Return x @ weight for x (..., IN) and weight (IN, OUT), computed as a 1x1 convolution.

    Debian's PyTorch 1.13 links the reference BLAS, measured at about 5 GFLOP/s on 2 cores, while
    its convolutions run on oneDNN at about 50 GFLOP/s on the same cores.
    """
    rows = x.reshape(-1, x.shape[-1])  # (N, IN)
    out = F.conv2d(rows.T[None, :, :, None], weight.T[:, :, None, None])  # (1, OUT, N, 1)
    return out[0, :, :, 0].T.reshape(*x.shape[:-1], weight.shape[1])


class Conv1D(nn.Module):
    """Affine map whose weight is stored (in, out), as in Hugging Face GPT-2."""

    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_in, n_out))
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x):
        return matmul_onednn(x, self.weight) + self.bias


class Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.n_head = cfg.n_head
        self.c_attn = Conv1D(cfg.n_embd, 3 * cfg.n_embd)
        self.c_proj = Conv1D(cfg.n_embd, cfg.n_embd)
        causal = torch.tril(torch.ones(cfg.n_positions, cfg.n_positions, dtype=torch.bool))
        # Not a parameter, so it is left out of state_dict and of the exported file.
        self.register_buffer("causal", causal, persistent=False)

    def forward(self, x):
        # x: (B, T, C) -> (B, T, C)
        B, T, C = x.shape
        HS = C // self.n_head
        q, k, v = self.c_attn(x).split(C, dim=2)
        q = q.view(B, T, self.n_head, HS).transpose(1, 2)  # (B, NH, T, HS)
        k = k.view(B, T, self.n_head, HS).transpose(1, 2)
        v = v.view(B, T, self.n_head, HS).transpose(1, 2)

        scores = (q @ k.transpose(-2, -1)) / math.sqrt(HS)  # (B, NH, T, T)
        scores = scores.masked_fill(~self.causal[:T, :T], float("-inf"))
        weights = torch.softmax(scores, dim=-1)

        y = (weights @ v).transpose(1, 2).reshape(B, T, C)
        return self.c_proj(y)


class Mlp(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.c_fc = Conv1D(cfg.n_embd, 4 * cfg.n_embd)
        self.c_proj = Conv1D(4 * cfg.n_embd, cfg.n_embd)

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.ln_1 = nn.LayerNorm(cfg.n_embd, eps=cfg.layer_norm_epsilon)
        self.attn = Attention(cfg)
        self.ln_2 = nn.LayerNorm(cfg.n_embd, eps=cfg.layer_norm_epsilon)
        self.mlp = Mlp(cfg)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class Transformer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.wte = nn.Embedding(cfg.vocab_size, cfg.n_embd)
        self.wpe = nn.Embedding(cfg.n_positions, cfg.n_embd)
        self.h = nn.ModuleList([Block(cfg) for _ in range(cfg.n_layer)])
        self.ln_f = nn.LayerNorm(cfg.n_embd, eps=cfg.layer_norm_epsilon)


class Gpt2LMHead(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.transformer = Transformer(cfg)
        self._init_weights(cfg)

    def _init_weights(self, cfg):
        # GPT-2 initialisation: N(0, 0.02), residual projections scaled by 1/sqrt(2 * n_layer).
        for name, param in self.named_parameters():
            if name.endswith("ln_1.weight") or name.endswith("ln_2.weight") or name.endswith("ln_f.weight"):
                nn.init.ones_(param)
            elif name.endswith(".bias"):
                nn.init.zeros_(param)
            elif name.endswith("c_proj.weight"):
                nn.init.normal_(param, std=0.02 / math.sqrt(2 * cfg.n_layer))
            else:
                nn.init.normal_(param, std=0.02)

    def forward(self, ids):
        # ids: (B, T) int64 -> logits (B, T, V)
        t = self.transformer
        positions = torch.arange(ids.shape[1], device=ids.device)
        x = t.wte(ids) + t.wpe(positions)
        for block in t.h:
            x = block(x)
        x = t.ln_f(x)
        return matmul_onednn(x, t.wte.weight.T)  # tied LM head


def read_bytes(path):
    with open(path, "rb") as f:
        return torch.tensor(list(f.read()), dtype=torch.long)


def sample_batch(data, batch, context, generator):
    starts = torch.randint(0, data.numel() - context - 1, (batch,), generator=generator)
    offsets = starts[:, None] + torch.arange(context + 1)[None, :]
    windows = data[offsets]
    return windows[:, :-1], windows[:, 1:]


@torch.no_grad()
def windowed_loss(model, data, context, batch=64):
    """Mean cross-entropy over all non-overlapping windows tokens[k*T : k*T+T] from the start."""
    count = (data.numel() - 1) // context
    total = 0.0
    for first in range(0, count, batch):
        rows = torch.arange(first, min(first + batch, count))
        offsets = rows[:, None] * context + torch.arange(context + 1)[None, :]
        windows = data[offsets]
        logits = model(windows[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), windows[:, 1:].reshape(-1), reduction="sum")
        total += loss.item()
    return total / (count * context)


def learning_rate(step, steps, peak, warmup):
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = (step - warmup) / max(1, steps - warmup)
    return 0.1 * peak + 0.9 * peak * 0.5 * (1 + math.cos(math.pi * progress))


def write_safetensors(path, tensors):
    """Write float32 tensors in the safetensors format: u64 LE header size, JSON header, data."""
    header = {"__metadata__": {"format": "pt"}}
    blobs = []
    offset = 0
    for name, tensor in tensors.items():
        data = tensor.detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensor.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header_bytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    header_bytes += b" " * ((8 - len(header_bytes) % 8) % 8)  # data starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header_bytes)))
        f.write(header_bytes)
        for blob in blobs:
            f.write(blob)


def gpt2_byte_to_unicode():
    """GPT-2's map from each byte to a printable Unicode character, as ByteLevel uses it."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1)) + list(range(0xAE, 0xFF + 1))
    mapping = {}
    extra = 0
    for byte in range(256):
        if byte in printable:
            mapping[byte] = chr(byte)
        else:
            mapping[byte] = chr(256 + extra)
            extra += 1
    return mapping


def tokenizer_json():
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": True}
    vocab = {char: byte for byte, char in gpt2_byte_to_unicode().items()}
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [],
        "normalizer": None,
        "pre_tokenizer": byte_level,
        "post_processor": None,
        "decoder": byte_level,
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": None,
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": False,
            "byte_fallback": False,
            "vocab": vocab,
            "merges": [],
        },
    }


def config_json(cfg):
    return {
        "model_type": "gpt2",
        "architectures": ["GPT2LMHeadModel"],
        "vocab_size": cfg.vocab_size,
        "n_positions": cfg.n_positions,
        "n_ctx": cfg.n_positions,
        "n_embd": cfg.n_embd,
        "n_layer": cfg.n_layer,
        "n_head": cfg.n_head,
        "n_inner": None,
        "activation_function": "gelu_new",
        "layer_norm_epsilon": cfg.layer_norm_epsilon,
        "resid_pdrop": 0.0,
        "embd_pdrop": 0.0,
        "attn_pdrop": 0.0,
        "initializer_range": 0.02,
        "tie_word_embeddings": True,
        "bos_token_id": BOS_EOS_TOKEN_ID,
        "eos_token_id": BOS_EOS_TOKEN_ID,
        "torch_dtype": "float32",
    }


@torch.no_grad()
def reference_fixture(model, sotu_eval, offsets, length):
    sequences = []
    for offset in offsets:
        window = sotu_eval[offset : offset + length + 1]
        inputs, targets = window[:-1], window[1:]
        logits = model(inputs[None, :])[0]  # (T, V)
        losses = F.cross_entropy(logits, targets, reduction="none")
        sequences.append(
            {
                "offset": offset,
                "inputIds": inputs.tolist(),
                "targetIds": targets.tolist(),
                "losses": losses.tolist(),
                "meanLoss": losses.mean().item(),
                "lastLogitsFirst8": logits[-1, :8].tolist(),
            }
        )
    return {
        "model": "public/models/gpt2-moby",
        "text": "public/datasets/sotu/eval.txt",
        "note": "Windows of the eval text's UTF-8 bytes at the given byte offsets; float32 PyTorch forward.",
        "sequenceLength": length,
        "sequences": sequences,
        "meanLoss": sum(s["meanLoss"] for s in sequences) / len(sequences),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=1200, help="optimizer steps")
    parser.add_argument("--batch", type=int, default=16, help="sequences per step")
    parser.add_argument("--lr", type=float, default=2e-3, help="peak AdamW learning rate")
    parser.add_argument("--warmup", type=int, default=60, help="linear warmup steps")
    parser.add_argument("--weight-decay", type=float, default=0.01, help="AdamW weight decay on 2-D weights (matrices and embeddings)")
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--pretrain-dir", default=os.path.join(REPO_ROOT, "tmp", "pretrain"))
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    cfg = Gpt2Config()

    train = read_bytes(os.path.join(args.pretrain_dir, "moby-dick-train.txt"))
    val = read_bytes(os.path.join(args.pretrain_dir, "moby-dick-val.txt"))
    sotu_eval = read_bytes(os.path.join(SOTU_DIR, "eval.txt"))
    print(f"train {train.numel()} bytes, validation {val.numel()} bytes, SOTU eval {sotu_eval.numel()} bytes")

    model = Gpt2LMHead(cfg)
    decay = [p for n, p in model.named_parameters() if p.dim() == 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() != 2]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": args.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=args.lr,
        betas=(0.9, 0.95),
    )
    print(f"parameters: {sum(p.numel() for p in model.parameters())}")

    generator = torch.Generator().manual_seed(args.seed)
    started = time.time()
    recent = []
    for step in range(args.steps):
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, args.steps, args.lr, args.warmup)
        inputs, targets = sample_batch(train, args.batch, cfg.n_positions, generator)
        logits = model(inputs)
        loss = F.cross_entropy(logits.reshape(-1, cfg.vocab_size), targets.reshape(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()

        recent = (recent + [loss.item()])[-100:]
        if step % 100 == 0 or step == args.steps - 1:
            print(f"step {step:5d}  train loss (last 100) {sum(recent) / len(recent):.4f}  {time.time() - started:.0f} s", flush=True)
    train_seconds = time.time() - started

    model.eval()
    summary = {
        "steps": args.steps,
        "batch": args.batch,
        "context": cfg.n_positions,
        "peak_lr": args.lr,
        "warmup": args.warmup,
        "weight_decay": args.weight_decay,
        "seed": args.seed,
        "threads": args.threads,
        "train_seconds": round(train_seconds, 1),
        "train_loss_last100": sum(recent) / len(recent),
        # The first 200 kB of the training text, to compare with validation on equal terms.
        "train_loss_windows_200kB": windowed_loss(model, train[:200_000], cfg.n_positions),
        "val_loss": windowed_loss(model, val, cfg.n_positions),
        "sotu_eval_loss": windowed_loss(model, sotu_eval, cfg.n_positions),
    }
    print(json.dumps(summary, indent=2))

    os.makedirs(MODEL_DIR, exist_ok=True)
    state = {name: tensor for name, tensor in model.state_dict().items()}
    write_safetensors(os.path.join(MODEL_DIR, "model.safetensors"), state)
    with open(os.path.join(MODEL_DIR, "config.json"), "w") as f:
        json.dump(config_json(cfg), f, indent=2)
        f.write("\n")
    with open(os.path.join(MODEL_DIR, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer_json(), f, indent=2, ensure_ascii=False)
        f.write("\n")

    os.makedirs(os.path.dirname(FIXTURE_PATH), exist_ok=True)
    with open(FIXTURE_PATH, "w") as f:
        json.dump(reference_fixture(model, sotu_eval, offsets=[0, 1000], length=32), f, indent=2)
        f.write("\n")
    with open(os.path.join(args.pretrain_dir, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
        f.write("\n")
    print(f"wrote {MODEL_DIR} and {FIXTURE_PATH}")


if __name__ == "__main__":
    main()

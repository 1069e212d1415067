"""Measure how much a zeroth-order step can lower the held-out loss of the embedded model.

Run from the repository root with Debian's PyTorch (CPU):

    /usr/bin/python3 scripts/probe_zo_signal.py probe
    /usr/bin/python3 scripts/probe_zo_signal.py mezo LR STEPS [FROZEN_GROUPS]

`probe` prints, per parameter group (wte, wpe, LayerNorm and bias vectors, other matrices):
- |gB|^2: mean squared norm of single-batch gradients (batch 16 x 128 bytes of SOTU train),
- |gbar|^2: squared norm of the mean of 24 such gradients,
- gbar.ge: its dot product with the gradient of the held-out loss (8 batches spread over SOTU eval),
- trH: a Hutchinson estimate of the Hessian trace (4 Gaussian probes, double backprop).
A two-sided Gaussian zeroth-order step with rate eta changes the held-out loss by about
    -eta * gbar.ge + eta^2 / 2 * |gB|^2 * trH,
so the best rate is gbar.ge / (|gB|^2 * trH) and the best gain per step (gbar.ge)^2 / (2 |gB|^2 trH).

`mezo` runs that many MeZO steps in PyTorch (own generator, not the playground's) with the listed
groups frozen (comma-separated: wte, wpe, vectors, matrices) and prints the held-out loss every 25
steps, to check the prediction.
"""
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pretrain_gpt2 as pretrain  # noqa: E402  (the model definition of the embedded model)

BATCH = 16
CONTEXT = 128
EVAL_BATCHES = 8
GRADIENT_BATCHES = 24
HUTCHINSON_PROBES = 4
EPSILON = 1e-3


def load_safetensors(model, path):
    with open(path, "rb") as f:
        header_size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(header_size))
        data = f.read()
    params = dict(model.named_parameters())
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        values = np.frombuffer(data[start:end], dtype="<f4").copy()
        params[name].data.copy_(torch.from_numpy(values).reshape(entry["shape"]))


def group_of(name):
    if "wte" in name:
        return "wte"
    if "wpe" in name:
        return "wpe"
    if "ln_" in name or name.endswith("bias"):
        return "vectors"
    return "matrices"


def main():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = pretrain.Gpt2LMHead(pretrain.Gpt2Config())
    load_safetensors(model, os.path.join(pretrain.MODEL_DIR, "model.safetensors"))
    train = pretrain.read_bytes(os.path.join(pretrain.SOTU_DIR, "train.txt"))
    held_out = pretrain.read_bytes(os.path.join(pretrain.SOTU_DIR, "eval.txt"))
    generator = torch.Generator().manual_seed(1)
    params = dict(model.named_parameters())
    groups = sorted({group_of(name) for name in params})

    windows = (held_out.numel() - 1) // CONTEXT
    starts = torch.linspace(0, windows - 1, EVAL_BATCHES * BATCH).long() * CONTEXT
    eval_x = torch.stack([held_out[s:s + CONTEXT] for s in starts])
    eval_y = torch.stack([held_out[s + 1:s + CONTEXT + 1] for s in starts])

    def loss_of(x, y):
        return F.cross_entropy(model(x).reshape(-1, 256), y.reshape(-1))

    def eval_loss():
        with torch.no_grad():
            return sum(loss_of(eval_x[i:i + BATCH], eval_y[i:i + BATCH]).item() for i in range(0, len(eval_x), BATCH)) / EVAL_BATCHES

    def gradient(x, y):
        model.zero_grad()
        loss_of(x, y).backward()
        return {name: p.grad.detach().clone() for name, p in params.items()}

    if sys.argv[1:2] == ["probe"]:
        held_grad = {name: torch.zeros_like(p) for name, p in params.items()}
        for i in range(0, len(eval_x), BATCH):
            for name, g in gradient(eval_x[i:i + BATCH], eval_y[i:i + BATCH]).items():
                held_grad[name] += g / EVAL_BATCHES
        mean_grad = {name: torch.zeros_like(p) for name, p in params.items()}
        batch_norm = dict.fromkeys(groups, 0.0)
        for _ in range(GRADIENT_BATCHES):
            for name, g in gradient(*pretrain.sample_batch(train, BATCH, CONTEXT, generator)).items():
                mean_grad[name] += g / GRADIENT_BATCHES
                batch_norm[group_of(name)] += (g ** 2).sum().item() / GRADIENT_BATCHES
        trace = dict.fromkeys(groups, 0.0)
        for _ in range(HUTCHINSON_PROBES):
            model.zero_grad()
            grads = torch.autograd.grad(loss_of(*pretrain.sample_batch(train, BATCH, CONTEXT, generator)), list(params.values()), create_graph=True)
            probes = [torch.randn_like(p) for p in params.values()]
            hessian_probes = torch.autograd.grad(sum((g * v).sum() for g, v in zip(grads, probes)), list(params.values()))
            for name, v, hv in zip(params, probes, hessian_probes):
                trace[group_of(name)] += (v * hv).sum().item() / HUTCHINSON_PROBES
        print(f"held-out loss {eval_loss():.4f}")
        print(f"{'group':9s} {'params':>8s} {'|gB|^2':>9s} {'|gbar|^2':>9s} {'gbar.ge':>9s} {'trH':>9s} {'best eta':>9s} {'gain/step':>9s}")
        for group in groups:
            names = [name for name in params if group_of(name) == group]
            signal = sum((mean_grad[n] * held_grad[n]).sum().item() for n in names)
            noise = batch_norm[group] * trace[group]
            count = sum(params[n].numel() for n in names)
            mean_norm = sum((mean_grad[n] ** 2).sum().item() for n in names)
            print(f"{group:9s} {count:8d} {batch_norm[group]:9.4g} {mean_norm:9.4g} {signal:9.4g} {trace[group]:9.4g} {signal / noise:9.3g} {signal ** 2 / (2 * noise):9.3g}")
        return

    if sys.argv[1:2] != ["mezo"] or len(sys.argv) < 4:
        sys.exit(__doc__)
    rate, steps = float(sys.argv[2]), int(sys.argv[3])
    frozen = set(sys.argv[4].split(",")) if len(sys.argv) > 4 and sys.argv[4] else set()
    trained = [name for name in params if group_of(name) not in frozen]
    print(f"step 0 held-out loss {eval_loss():.4f}, {sum(params[n].numel() for n in trained)} trained values", flush=True)
    for step in range(steps):
        x, y = pretrain.sample_batch(train, BATCH, CONTEXT, generator)

        def perturb(scale, seed=1000 + step):
            directions = torch.Generator().manual_seed(seed)
            for name in trained:
                params[name].data.add_(torch.randn(params[name].shape, generator=directions), alpha=scale)

        with torch.no_grad():
            perturb(EPSILON)
            plus = loss_of(x, y).item()
            perturb(-2 * EPSILON)
            minus = loss_of(x, y).item()
            perturb(EPSILON)
            perturb(-rate * (plus - minus) / (2 * EPSILON))
        if (step + 1) % 25 == 0:
            print(f"step {step + 1} held-out loss {eval_loss():.4f}", flush=True)


if __name__ == "__main__":
    main()

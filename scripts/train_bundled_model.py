#!/usr/bin/env python3
"""Trains Tern's bundled model: a small byte-level MatMul-free LM (HGRNBit, ternary BitLinear
layers, MLGRU token mixer, GLU channel mixer) on the King James Bible, on one CPU core in
about ten minutes, and exports it to models/tiny-mmfree/.

Data: the King James Version (1611) text shipped by Debian's `bible-kjv-text` package,
printed with its `bible` program (package `bible-kjv`; scripts/setup.sh installs both).
The translation was published in 1611, so its copyright has long expired, as the package's
copyright file says; it is in the public domain in the US and nearly everywhere else (the
UK's Crown letters patent on printing it are a printing privilege, not copyright, and do not
restrict this use).  Verse numbers and chapter headings are dropped: one verse per line.

Tokenizer: bytes (token id = one byte of UTF-8 text, vocab 256; the KJV text is ASCII).

    .venv/bin/python scripts/train_bundled_model.py            # ~10 min, 1 thread
    .venv/bin/python scripts/train_bundled_model.py --minutes 1 --out /tmp/m   # smoke run

Writes to --out (default models/tiny-mmfree): model.onnx (decode step, standard ONNX ops,
int8 ternary weights), model.tern.onnx (the same with Tern's custom-domain ops),
config.json, tokenizer.json, reference_generations.json (PyTorch greedy continuations the
tests compare against), TRAINING.md (settings, losses, samples); and the trained
checkpoint in the released MMfreeLM format (config.json + model.safetensors, float32) to
--checkpoint (default build/tiny-mmfree-checkpoint, not committed).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from tern import export as E  # noqa: E402
from tern import torch as T  # noqa: E402

KJV_RANGE = "Genesis 1:1 - Revelation 22:21"


def kjv_text() -> str:
    """The whole KJV from Debian's bible-kjv, one verse per line, no numbers or headings."""
    try:
        raw = subprocess.run(["bible", "-l", "100000", KJV_RANGE], check=True,
                             capture_output=True, text=True).stdout
    except FileNotFoundError:
        sys.exit("train: the `bible` program is missing: apt-get install bible-kjv "
                 "(scripts/setup.sh installs it)")
    verses = []
    for line in raw.splitlines():
        m = re.match(r"^\s+\d+ (.*)$", line)
        if m:
            verses.append(m.group(1).strip())
    if len(verses) < 30000:
        sys.exit(f"train: expected ~31102 verses from `bible`, got {len(verses)}")
    return "\n".join(verses) + "\n"


def encode(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8).astype(np.int64)


def decode(ids) -> str:
    return bytes(int(i) for i in ids).decode("utf-8", errors="replace")


REFERENCE_PROMPTS = ["In the beginning", "And the LORD said unto Moses", "Blessed are the"]


def export_bundle(model: T.HGRNBitForCausalLM, out: str) -> None:
    """model.onnx, model.tern.onnx, config.json, tokenizer.json."""
    os.makedirs(out, exist_ok=True)
    E.export_step(model, os.path.join(out, "model.onnx"), ops="standard",
                  weights="ternary", batch=1, tokenizer="bytes")
    E.export_step(model, os.path.join(out, "model.tern.onnx"), ops="custom",
                  weights="ternary", batch=1, tokenizer="bytes")
    model.config.save(os.path.join(out, "config.json"))
    with open(os.path.join(out, "tokenizer.json"), "w") as fh:
        json.dump({"type": "bytes", "vocab_size": 256,
                   "description": "token id = one byte of the UTF-8 text (0..255); no special "
                                  "tokens; lines end with byte 10 (newline)"}, fh, indent=2)
        fh.write("\n")


def write_reference_generations(model: T.HGRNBitForCausalLM, out: str, n: int = 120) -> None:
    """PyTorch's greedy continuations of a few prompts (token ids), which the tests require
    the compiled model and onnxruntime to reproduce token for token."""
    cases = [{"prompt": p, "max_new_tokens": n,
              "greedy_ids": T.generate(model, encode(p), n)} for p in REFERENCE_PROMPTS]
    for c in cases:
        c["greedy_text"] = decode(c["greedy_ids"])
    with open(os.path.join(out, "reference_generations.json"), "w") as fh:
        json.dump({"generator": "tern.torch.generate (PyTorch, eval mode), greedy",
                   "cases": cases}, fh, indent=1)
        fh.write("\n")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "models", "tiny-mmfree"))
    ap.add_argument("--checkpoint", default=os.path.join(ROOT, "build", "tiny-mmfree-checkpoint"))
    ap.add_argument("--text", help="train on this UTF-8 file instead of the KJV")
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--layers", type=int, default=3)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--warmup", type=int, default=40)
    ap.add_argument("--steps", type=int, default=3000, help="upper bound on steps")
    ap.add_argument("--minutes", type=float, default=9.5,
                    help="training time budget; the LR schedule runs over it")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--export-only", action="store_true",
                    help="no training: export --checkpoint again and rewrite the reference "
                         "generations (TRAINING.md is left as it is)")
    args = ap.parse_args()
    if args.export_only:
        model = T.HGRNBitForCausalLM.from_pretrained(args.checkpoint)
        export_bundle(model, args.out)
        write_reference_generations(model, args.out)
        return 0

    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    text = open(args.text, encoding="utf-8").read() if args.text else kjv_text()
    data = encode(text)
    n_val = max(len(data) // 50, args.seq + 2)
    train, val = data[:-n_val], data[-n_val:]
    print(f"train: {len(train)} bytes, validation {len(val)} bytes", flush=True)

    cfg = T.HGRNBitConfig(vocab_size=256, hidden_size=args.hidden,
                          num_hidden_layers=args.layers, max_position_embeddings=args.seq,
                          bos_token_id=None, eos_token_id=None,
                          # One eps for every RMSNorm (mmfreelm's BitLinear uses 1e-8): the
                          # tern.mlgru op has a single eps for its BitLinear norms and g_norm.
                          bitlinear_eps=1e-6)
    model = T.HGRNBitForCausalLM(cfg)
    model.reset_parameters(seed=args.seed)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"model: d={cfg.hidden_size} L={cfg.num_hidden_layers} "
          f"I={cfg.mlp_intermediate} V=256, {n_params / 1e6:.2f}M parameters", flush=True)
    decay = [p for n, p in model.named_parameters() if p.dim() == 2 and "lower_bounds" not in n]
    other = [p for n, p in model.named_parameters() if not (p.dim() == 2 and
                                                            "lower_bounds" not in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01},
                             {"params": other, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95))

    def batch(src: np.ndarray, n: int) -> torch.Tensor:
        starts = rng.integers(0, len(src) - args.seq - 1, size=n)
        return torch.from_numpy(np.stack([src[s:s + args.seq + 1] for s in starts]))

    val_rng = np.random.default_rng(1234)
    val_batches = [torch.from_numpy(np.stack([val[s:s + args.seq + 1] for s in
                                              val_rng.integers(0, len(val) - args.seq - 1,
                                                               size=args.batch)]))
                   for _ in range(4)]

    def val_loss() -> float:
        model.eval()
        with torch.no_grad():
            v = float(np.mean([float(model.loss(b)) for b in val_batches]))
        model.train()
        return v

    budget = args.minutes * 60.0
    start = time.time()
    log = []
    step = 0
    model.train()
    while step < args.steps:
        elapsed = time.time() - start
        progress = max(step / args.steps, elapsed / budget)
        if progress >= 1.0:
            break
        lr = args.lr * min(1.0, (step + 1) / args.warmup) * \
            (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))
        for g in opt.param_groups:
            g["lr"] = lr
        loss = model.loss(batch(train, args.batch))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        if step % 25 == 0 or step == 1:
            line = f"step {step:5d}  {elapsed:6.0f}s  lr {lr:.2e}  loss {float(loss):.3f}"
            if step % 100 == 0:
                line += f"  val {val_loss():.3f}"
            print(line, flush=True)
            log.append(line)
    train_s = time.time() - start
    final_val = val_loss()
    tokens = step * args.batch * args.seq
    print(f"trained {step} steps ({tokens} tokens) in {train_s:.0f}s; validation loss "
          f"{final_val:.3f} nats/byte ({final_val / math.log(2):.2f} bits/byte)", flush=True)

    model.eval()
    model.save_pretrained(args.checkpoint)
    export_bundle(model, args.out)
    write_reference_generations(model, args.out)

    prompts = REFERENCE_PROMPTS
    samples = []
    for p in prompts:
        g = T.generate(model, encode(p), 160)
        samples.append(("greedy", p, decode(g)))
    for p in prompts[:2]:
        g = T.generate(model, encode(p), 160, temperature=0.8, top_k=40, seed=0)
        samples.append(("temperature 0.8, top-k 40, seed 0", p, decode(g)))
    for kind, p, s in samples:
        print(f"--- {kind}: {p!r}\n{p}{s}", flush=True)

    cfg = model.config
    sizes = {f: os.path.getsize(os.path.join(args.out, f))
             for f in ("model.onnx", "model.tern.onnx")}
    with open(os.path.join(args.out, "TRAINING.md"), "w") as fh:
        fh.write("# tiny-mmfree: how it was trained\n\n")
        fh.write("Written by `scripts/train_bundled_model.py`.\n\n")
        fh.write(f"- data: King James Bible (1611, public domain) from Debian's `bible-kjv-text`, "
                 f"one verse per line, {len(train)} training bytes, last {len(val)} bytes "
                 f"(end of Revelation) held out\n")
        fh.write(f"- model: HGRNBit d={cfg.hidden_size}, {cfg.num_hidden_layers} layers, "
                 f"GLU width {cfg.mlp_intermediate}, byte vocabulary (256), "
                 f"{n_params / 1e6:.2f}M parameters, ternary BitLinear layers\n")
        fh.write(f"- training: AdamW (lr {args.lr}, betas 0.9/0.95, weight decay 0.01, "
                 f"{args.warmup} warmup steps, cosine to 10% over a {args.minutes:g}-minute "
                 f"budget), batch {args.batch} x {args.seq} bytes, seed {args.seed}, one "
                 f"thread: {step} steps, {tokens} tokens, {train_s:.0f} s\n")
        fh.write(f"- validation loss: {final_val:.3f} nats/byte "
                 f"({final_val / math.log(2):.2f} bits/byte)\n")
        fh.write(f"- files: model.onnx ({sizes['model.onnx'] / 1e6:.1f} MB, standard ops, "
                 f"int8 ternary weights), model.tern.onnx ({sizes['model.tern.onnx'] / 1e6:.1f}"
                 f" MB, `tern` custom ops); both: tokens int64 [1] + state f32 "
                 f"[{cfg.num_hidden_layers}, 1, {cfg.hidden_size}] -> logits [1, 256] + "
                 f"state_out\n\n")
        fh.write("## Loss log\n\n```\n" + "\n".join(log) + "\n```\n\n## Samples (PyTorch)\n\n")
        for kind, p, s in samples:
            fh.write(f"{kind}, prompt `{p}`:\n\n```\n{p}{s}\n```\n\n")
    print(f"wrote {args.out} ({', '.join(f'{k} {v / 1e6:.1f} MB' for k, v in sizes.items())}) "
          f"and checkpoint {args.checkpoint}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

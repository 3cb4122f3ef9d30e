"""``python -m tern``: generation and perplexity from a checkpoint directory or a model.

    python -m tern generate CKPT_DIR --prompt "In the beginning" -n 100
    python -m tern perplexity CKPT_DIR --file held_out.txt
    python -m tern version

MODEL is a checkpoint directory (config.json + model.safetensors + tokenizer.model or
tokenizer.json: exported, compiled and cached on the first run), a compiled ``.so`` or an
``.onnx``/``.mlir`` decode step (the tokenizer beside it is used).
"""

from __future__ import annotations

import argparse
import sys
from typing import Optional, Sequence


def _common(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("model", nargs="?", default=None,
                    help="checkpoint directory, model.so, or .onnx/.mlir (default: the "
                         "bundled model)")
    ap.add_argument("--tokenizer", default=None,
                    help="tokenizer.model, tokenizer.json or 'bytes' (default: the one "
                         "beside the model)")
    ap.add_argument("--target", choices=("cpu", "cuda"), default="cpu")
    ap.add_argument("-q", "--quiet", action="store_true", help="no progress or timing")


def _load(args):
    from .api import TernError
    from .checkpoint import load
    from .generation import bundled_model_path
    path = args.model or bundled_model_path()
    try:
        return load(path, tokenizer=args.tokenizer, target=args.target,
                    progress=None if not args.quiet else False)
    except (TernError, FileNotFoundError, ValueError, OSError, ImportError) as e:
        print(f"tern: error: {e}", file=sys.stderr)
        return None


def _generate(args) -> int:
    from .generation import check_sampling, generate
    try:
        check_sampling(args.temperature, args.top_k, args.top_p, args.repetition_penalty)
        if args.max_new_tokens < 0:
            raise ValueError(f"-n must be >= 0, got {args.max_new_tokens}")
    except ValueError as e:
        print(f"tern generate: error: {e}", file=sys.stderr)
        return 2
    cm = _load(args)
    if cm is None:
        return 1
    stats: dict = {}
    sys.stdout.write(args.prompt)
    sys.stdout.flush()

    def sink(piece: str) -> None:
        sys.stdout.write(piece)
        sys.stdout.flush()

    try:
        generate(cm, args.prompt, args.max_new_tokens, temperature=args.temperature,
                 top_k=args.top_k, top_p=args.top_p, repetition_penalty=args.repetition_penalty,
                 seed=args.seed, stream=sink, stats=stats)
    except (ValueError, RuntimeError) as e:
        print(f"\ntern generate: error: {e}", file=sys.stderr)
        return 1
    sys.stdout.write("\n")
    sys.stdout.flush()
    if not args.quiet:
        print(f"[tern generate] prompt {stats['prompt_tokens']} tokens; {stats['new_tokens']} "
              f"tokens in {stats['seconds']:.3f} s ({stats['tokens_per_s']:.1f} tokens/s)"
              f"{'; stopped at EOS' if stats['stopped_at_eos'] else ''}", file=sys.stderr)
    return 0


def _perplexity(args) -> int:
    from .generation import perplexity
    try:
        with open(args.file, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as e:
        print(f"tern perplexity: error: {e}", file=sys.stderr)
        return 1
    cm = _load(args)
    if cm is None:
        return 1
    stats: dict = {}
    try:
        ppl = perplexity(cm, text, stats=stats)
    except ValueError as e:
        print(f"tern perplexity: error: {e}", file=sys.stderr)
        return 1
    print(f"perplexity {ppl:.4f} over {stats['tokens']} tokens "
          f"({stats['nll']:.4f} nats/token)")
    return 0


def _version(_args) -> int:
    import subprocess
    from . import __version__
    from .api import TernError, find_ternc
    print(f"tern (Python) {__version__}")
    try:
        ternc = find_ternc()
        out = subprocess.run([ternc, "--version"], capture_output=True, text=True).stdout
        print(f"{ternc}:\n{out.rstrip()}")
    except (TernError, OSError) as e:
        print(f"ternc: {e}")
    return 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tern", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    g = sub.add_parser("generate", help="generate text")
    _common(g)
    g.add_argument("--prompt", default="In the beginning")
    g.add_argument("-n", "--max-new-tokens", type=int, default=100)
    g.add_argument("--temperature", type=float, default=0.0, help="0 (default): greedy")
    g.add_argument("--top-k", type=int, default=0, help="sample among the K most likely")
    g.add_argument("--top-p", type=float, default=1.0, help="nucleus sampling, (0, 1]")
    g.add_argument("--repetition-penalty", type=float, default=1.0,
                   help="CTRL repetition penalty (> 0; 1: none)")
    g.add_argument("--seed", type=int, default=None)
    g.set_defaults(func=_generate)
    p = sub.add_parser("perplexity", help="perplexity of a text file")
    _common(p)
    p.add_argument("--file", required=True, help="UTF-8 text")
    p.set_defaults(func=_perplexity)
    v = sub.add_parser("version", help="versions of the package and of ternc")
    v.set_defaults(func=_version)
    args = ap.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())

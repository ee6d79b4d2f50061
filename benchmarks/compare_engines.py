"""Compare the fast engine's default 1000-step run with the scalar engine's and the reference's.

    python benchmarks/compare_engines.py [NAMES_TXT] [--scalar-log PATH | --run-scalar]

Trains the default model with the fast engine on names.txt (by default the copy in
../shared/datasets/ beside the repo) and prints the largest per-step loss difference
against:

- the reference microgpt's own run, tests/data/reference_run.json (its 1000 losses and 20
  samples), or --reference PATH: that format, or the reference's stdout with lines
  "LOSS step loss" and "sample NN: name";
- the scalar engine: a JSON-lines log of a full scalar run with one {"step", "loss"} object
  per line (--scalar-log, as `microgpt-tui --headless --engine scalar --log-jsonl PATH`
  writes), or a scalar run made here (--run-scalar, about 2-3 minutes).

It also says whether the 20 samples (temperature 0.5) are the same. The default test suite
already checks fast against the reference (tests/test_engine_reference_run.py); this script
adds the scalar engine and prints the figures.
"""

import argparse
import json
import sys
import time
from pathlib import Path

from microgpt_tui.engine.config import ModelConfig, TrainConfig
from microgpt_tui.engine.sampling import generate
from microgpt_tui.engine.trainer import Trainer

REPO = Path(__file__).resolve().parents[1]
DEFAULT_NAMES = REPO.parent / "shared" / "datasets" / "names.txt"
DEFAULT_REFERENCE = REPO / "tests" / "data" / "reference_run.json"


def read_reference(path: Path) -> tuple[list[float], list[str]]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        run = json.loads(text)
        return run["loss_at_step"], run["samples"]
    losses, samples = [], []
    for line in text.splitlines():
        if line.startswith("LOSS "):
            _, step, loss = line.split()
            assert int(step) == len(losses) + 1, f"{path}: step {step} out of order"
            losses.append(float(loss))
        elif line.startswith("sample "):
            samples.append(line.split(":", 1)[1].strip())
    return losses, samples


def read_log(path: Path) -> list[float]:
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert [r["step"] for r in records] == list(range(1, len(records) + 1)), f"{path}: steps missing or out of order"
    return [r["loss"] for r in records]


def run(docs: list[str], engine: str) -> tuple[list[float], list[str], float]:
    trainer = Trainer(docs, ModelConfig(vocab_size=len(set("".join(docs))) + 1), TrainConfig(), engine)
    start = time.perf_counter()
    losses = [trainer.step().loss for _ in range(trainer.train.steps)]
    seconds = time.perf_counter() - start
    weights = trainer.weights()
    samples = [generate(trainer.config, weights, trainer.tokenizer, trainer.rng, 0.5) for _ in range(20)]
    return losses, samples, seconds


def largest_difference(a: list[float], b: list[float]) -> tuple[float, int]:
    diffs = [abs(x - y) for x, y in zip(a, b)]
    worst = max(range(len(diffs)), key=diffs.__getitem__)
    return diffs[worst], worst + 1


def report(name: str, fast: list[float], other: list[float]) -> bool:
    steps = min(len(fast), len(other))
    diff, step = largest_difference(fast[:steps], other[:steps])
    same = sum(x == y for x, y in zip(fast, other))
    ok = diff <= 1e-12 and steps == len(fast)
    print(f"fast vs {name}: {steps} steps, max |loss diff| {diff:.3g} (step {step}), bit-identical at {same} of {steps}"
          f" -> {'within 1e-12' if ok else 'NOT within 1e-12 at every step'}")
    return ok


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="?", type=Path, default=DEFAULT_NAMES, help="names.txt (default: %(default)s)")
    parser.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE, help="the reference's run (default: %(default)s)")
    scalar = parser.add_mutually_exclusive_group()
    scalar.add_argument("--scalar-log", type=Path, help="JSONL log of a full scalar-engine run")
    scalar.add_argument("--run-scalar", action="store_true", help="train the scalar engine here too (minutes)")
    args = parser.parse_args(argv)
    if not args.names.is_file():
        print(f"skipped: {args.names} not found; pass the path to names.txt", file=sys.stderr)
        return 0
    docs = [line.strip() for line in args.names.read_text(encoding="utf-8").splitlines() if line.strip()]

    fast_losses, fast_samples, seconds = run(docs, "fast")
    print(f"fast engine: {len(fast_losses)} steps in {seconds:.1f} s")
    ok = True
    ref_losses, ref_samples = read_reference(args.reference)
    ok &= report(f"reference ({args.reference.name})", fast_losses, ref_losses)
    if ref_samples:
        same = fast_samples == ref_samples
        ok &= same
        print(f"samples: {'identical to' if same else 'DIFFERENT from'} the reference's {len(ref_samples)}")
    if args.scalar_log:
        ok &= report(f"scalar ({args.scalar_log})", fast_losses, read_log(args.scalar_log))
    elif args.run_scalar:
        scalar_losses, scalar_samples, scalar_seconds = run(docs, "scalar")
        print(f"scalar engine: {len(scalar_losses)} steps in {scalar_seconds:.1f} s")
        ok &= report("scalar (run here)", fast_losses, scalar_losses)
        same = fast_samples == scalar_samples
        ok &= same
        print(f"samples: {'identical to' if same else 'DIFFERENT from'} the scalar engine's")
    print("fast samples: " + " ".join(fast_samples))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

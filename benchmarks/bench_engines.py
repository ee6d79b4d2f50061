"""Benchmark: the scalar and fast engines on the same documents, and sampling speed.

    python benchmarks/bench_engines.py [NAMES_TXT] [--scalar-steps N] [--repeats N]
    python benchmarks/bench_engines.py [NAMES_TXT] --memory

Trains the default model (the reference's settings) on names.txt, by default the copy in
../shared/datasets/ beside the repo. It reports, per engine, the wall time per step of
Trainer.step() (forward, backward, Adam and the trainer's own bookkeeping):

- scalar on the first --scalar-steps steps of the default run (it takes ~0.1 s a step);
- fast on the same first steps, so the ratio compares like with like, and on the whole
  1000-step run. The fast runs are repeated (--repeats) and the best and median reported,
  because other processes on a shared machine add noise;
- the time to sample 20 names at temperature 0.5 from the fast run's final weights.

--memory instead trains the fast engine for 20,000 steps (the documents wrap around) and
reports the resident set size at step 1,000 and at the end; they should differ by < 10 MB.
This is a benchmark to run by hand, not a test: the figures depend on the machine.
"""

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

from microgpt_tui.engine.config import ModelConfig, TrainConfig
from microgpt_tui.engine.sampling import generate
from microgpt_tui.engine.trainer import Trainer

DEFAULT_NAMES = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "names.txt"


def read_docs(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def new_trainer(docs: list[str], engine: str, steps: int = 1000) -> Trainer:
    vocab_size = len(set("".join(docs))) + 1
    return Trainer(docs, ModelConfig(vocab_size=vocab_size), TrainConfig(steps=steps), engine)


def ms_per_step(trainer: Trainer, steps: int) -> float:
    start = time.perf_counter()
    for _ in range(steps):
        trainer.step()
    return (time.perf_counter() - start) / steps * 1000 if steps else 0.0


def sample_ms(trainer: Trainer, count: int = 20, repeats: int = 5) -> tuple[float, list[str]]:
    """Best time of `repeats` to sample `count` names, each from the same generator state."""
    weights = trainer.weights()
    state = trainer.rng.getstate()
    best, names = float("inf"), []
    for _ in range(repeats):
        rng = random.Random()
        rng.setstate(state)
        start = time.perf_counter()
        names = [generate(trainer.config, weights, trainer.tokenizer, rng, 0.5) for _ in range(count)]
        best = min(best, time.perf_counter() - start)
    return best * 1000, names


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def speed(docs: list[str], scalar_steps: int, repeats: int) -> None:
    print(f"default model, {len(docs):,} documents; ms per Trainer.step(), wall clock")
    scalar = ms_per_step(new_trainer(docs, "scalar"), scalar_steps)
    print(f"scalar  steps 1-{scalar_steps}: {scalar:8.2f} ms/step")

    first, full = [], []
    for _ in range(repeats):
        trainer = new_trainer(docs, "fast")
        first.append(ms_per_step(trainer, scalar_steps))
        rest = ms_per_step(trainer, 1000 - scalar_steps)
        full.append((first[-1] * scalar_steps + rest * (1000 - scalar_steps)) / 1000)
    print(f"fast    steps 1-{scalar_steps}: {min(first):8.3f} ms/step best, {statistics.median(first):.3f} median of {repeats}")
    print(f"fast    steps 1-1000: {min(full):8.3f} ms/step best, {statistics.median(full):.3f} median of {repeats}")
    print(f"ratio   steps 1-{scalar_steps}: {scalar / min(first):6.1f}x (fast best), {scalar / statistics.median(first):.1f}x (fast median)")

    ms, names = sample_ms(trainer)
    print(f"sample  20 names, temperature 0.5: {ms:.2f} ms (best of 5)")
    print("        " + " ".join(names))


def memory(docs: list[str], steps: int = 20_000) -> None:
    trainer = new_trainer(docs, "fast", steps)
    start = time.perf_counter()
    at_1000 = None
    while not trainer.done:
        trainer.step()
        if trainer.step_count == 1000:
            at_1000 = rss_mb()
    end = rss_mb()
    print(f"fast engine, {steps:,} steps in {time.perf_counter() - start:.0f} s")
    print(f"RSS at step 1,000: {at_1000:.1f} MB; at step {steps:,}: {end:.1f} MB; difference {end - at_1000:+.1f} MB")
    print("flat (within 10 MB)" if abs(end - at_1000) < 10 else "NOT flat: grew by 10 MB or more")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="?", type=Path, default=DEFAULT_NAMES, help="names.txt (default: %(default)s)")
    parser.add_argument("--scalar-steps", type=int, default=100, help="steps to time the scalar engine on (default: 100)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of the fast engine (default: 3)")
    parser.add_argument("--memory", action="store_true", help="train the fast engine 20,000 steps and report RSS")
    args = parser.parse_args(argv)
    if not args.names.is_file():
        print(f"skipped: {args.names} not found; pass the path to names.txt", file=sys.stderr)
        return 0
    if not 1 <= args.scalar_steps <= 1000:
        parser.error("--scalar-steps must be between 1 and 1000")
    docs = read_docs(args.names)
    if args.memory:
        memory(docs)
    else:
        speed(docs, args.scalar_steps, max(1, args.repeats))
    return 0


if __name__ == "__main__":
    sys.exit(main())

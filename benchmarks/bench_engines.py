"""Benchmark: the scalar and fast engines on the same documents, and sampling speed.

    python benchmarks/bench_engines.py [NAMES_TXT] [--scalar-steps N] [--rounds N]
    python benchmarks/bench_engines.py [NAMES_TXT] --memory
    python benchmarks/bench_engines.py [NAMES_TXT] --phases

Trains the default model (the reference's settings) on names.txt, by default the copy in
../shared/datasets/ beside the repo, and times Trainer.step(): forward, backward, Adam and
the trainer's bookkeeping. Each round:

- runs a scalar trainer and a fast one from the same seed, taking turns ten steps each,
  over the first --scalar-steps steps of the default run (--scalar-steps 1000 is the
  whole run; the scalar engine takes ~0.15 s a step, so that is ~2.5 minutes a round).
  Taking turns lets both engines see the same machine: a shared machine's speed changes
  from one minute to the next, and timing one engine after the other would let that
  change into their ratio. It prints each engine's ms/step and the ratio.
- then times a fresh fast run of all 1000 steps alone, as a user runs it (see TURN).

After the rounds it times sampling 20 names at temperature 0.5 from the last run's weights.

--memory instead trains the fast engine for 20,000 steps (the documents wrap around) and
reports the resident set size at step 1,000 and at the end; they should differ by < 10 MB.
--phases instead times one fast run of the default 1000 steps phase by phase: cutting the
weights into matrices, the forward pass, the backward pass, and flattening the gradients
plus Adam, each as ms/step averaged over the run.

This is a benchmark to run by hand, not a test: the figures depend on the machine.
"""

import argparse
import gc
import random
import statistics
import sys
import time
from pathlib import Path

from microgpt_tui.engine import fast
from microgpt_tui.engine.config import ModelConfig, TrainConfig
from microgpt_tui.engine.optim import learning_rate_at
from microgpt_tui.engine.sampling import generate
from microgpt_tui.engine.trainer import Trainer

DEFAULT_NAMES = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "names.txt"
# Steps each engine takes before the other takes its turn; a turn lasts ~1.5 s, shorter
# than the minutes over which a shared machine's speed drifts. Taking turns costs the fast
# engine something all the same: after the scalar engine has built and freed ~58,000
# Values, the fast one runs ~30 % slower for a step, and still ~5 % slower over a turn of
# ten (its objects land in the memory the Values left behind). So each round also times a
# fresh fast run alone, as a user runs it.
TURN = 10


def read_docs(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def new_trainer(docs: list[str], engine: str, steps: int = 1000) -> Trainer:
    vocab_size = len(set("".join(docs))) + 1
    return Trainer(docs, ModelConfig(vocab_size=vocab_size), TrainConfig(steps=steps), engine)


def ms_per_step(trainer: Trainer, steps: int) -> float:
    # start with no garbage left over from the run before
    gc.collect()
    start = time.perf_counter()
    for _ in range(steps):
        trainer.step()
    return (time.perf_counter() - start) / steps * 1000 if steps else 0.0


def taking_turns(scalar: Trainer, fast: Trainer, steps: int, turn: int = TURN) -> tuple[float, float]:
    """ms/step of each trainer over the same `steps` steps, `turn` steps at a time each."""
    gc.collect()
    clock = time.perf_counter
    scalar_seconds = fast_seconds = 0.0
    for first in range(0, steps, turn):
        count = min(turn, steps - first)
        start = clock()
        for _ in range(count):
            scalar.step()
        middle = clock()
        for _ in range(count):
            fast.step()
        end = clock()
        scalar_seconds += middle - start
        fast_seconds += end - middle
    return scalar_seconds / steps * 1000, fast_seconds / steps * 1000


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


def speed(docs: list[str], scalar_steps: int, rounds: int) -> None:
    print(f"default model, {len(docs):,} documents; wall-clock ms per Trainer.step()")
    # The fast engine compiles each kernel the first time a run needs it (about 80 of them,
    # some 40 ms in all); an untimed whole run first compiles them, so rounds time training.
    warm_up = ms_per_step(new_trainer(docs, "fast"), 1000)
    print(f"warm-up: a first fast run, compiling its kernels, {warm_up:.3f} ms/step (not counted below)")
    print(f"       taking turns over steps 1-{scalar_steps}    whole run, alone")
    print("round      scalar      fast   ratio       fast")
    ratios, alones = [], []
    for round_number in range(1, rounds + 1):
        scalar, fast = taking_turns(new_trainer(docs, "scalar"), new_trainer(docs, "fast"), scalar_steps)
        trainer = new_trainer(docs, "fast")
        alone = ms_per_step(trainer, 1000)
        ratios.append(scalar / fast)
        alones.append(alone)
        print(f"{round_number:5d}  {scalar:10.2f}  {fast:8.3f}  {ratios[-1]:5.1f}x  {alone:9.3f}")
    if rounds > 1:
        print(f"median {statistics.median(ratios):.1f}x (lowest {min(ratios):.1f}x); "
              f"fast whole run alone: median {statistics.median(alones):.3f} ms/step")

    ms, names = sample_ms(trainer)
    print(f"sampling 20 names at temperature 0.5 (fast run's final weights): {ms:.2f} ms, best of 5")
    print("  " + " ".join(names))


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


def phases(docs: list[str]) -> None:
    """Trainer.step() taken apart, so each phase has its own clock."""
    ms_per_step(new_trainer(docs, "fast"), 1000)  # compiles the kernels, as in speed()
    trainer = new_trainer(docs, "fast")
    config, train = trainer.config, trainer.train
    clock = time.perf_counter
    totals = dict.fromkeys(["weights", "forward", "backward", "flatten + Adam"], 0.0)
    gc.collect()
    start = clock()
    for step in range(train.steps):
        t0 = clock()
        weights = trainer.weights()
        tokens = trainer.tokenizer.encode_document(trainer.train_docs[step % len(trainer.train_docs)])
        t1 = clock()
        _, tape = fast.forward(config, weights, tokens, min(config.block_size, len(tokens) - 1))
        t2 = clock()
        grads = fast.backward(config, weights, tokens, tape)
        t3 = clock()
        lr = learning_rate_at(train.learning_rate, step, train.steps)
        trainer.params = trainer.engine.adam_update(
            trainer.params, trainer.layout.flatten(grads), trainer.adam, step + 1, lr, train.beta1, train.beta2, train.eps
        )
        t4 = clock()
        for phase, seconds in zip(totals, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
            totals[phase] += seconds
    whole = (clock() - start) / train.steps * 1000
    print(f"fast engine, default run, {whole:.3f} ms/step in all:")
    for phase, seconds in totals.items():
        print(f"  {phase:15} {seconds / train.steps * 1000:6.3f} ms/step")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="?", type=Path, default=DEFAULT_NAMES, help="names.txt (default: %(default)s)")
    parser.add_argument("--scalar-steps", type=int, default=100, help="steps to time the scalar engine on (default: 100)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, each a new pair of runs (default: 3)")
    parser.add_argument("--memory", action="store_true", help="train the fast engine 20,000 steps and report RSS")
    parser.add_argument("--phases", action="store_true", help="time one fast run's forward, backward and Adam apart")
    args = parser.parse_args(argv)
    if not args.names.is_file():
        print(f"skipped: {args.names} not found; pass the path to names.txt", file=sys.stderr)
        return 0
    if not 1 <= args.scalar_steps <= 1000:
        parser.error("--scalar-steps must be between 1 and 1000")
    docs = read_docs(args.names)
    if args.memory:
        memory(docs)
    elif args.phases:
        phases(docs)
    else:
        speed(docs, args.scalar_steps, max(1, args.rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())

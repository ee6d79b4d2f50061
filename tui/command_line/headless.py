"""Training without the app: the reference's output on stdout, notes on stderr."""

import argparse
import json
import signal
import sys

from ...engine import checkpoint
from ...engine.sampling import generate
from ...engine.trainer import TrainingDiverged
from ..training.settings import RunSpec
from .errors import EXIT_DIVERGED, EXIT_INTERRUPTED, PROG, UsageError


def open_new_log(path: str):
    """Open a log file that must not exist yet: a finished run's log is never overwritten."""
    try:
        return open(path, "x", encoding="utf-8")
    except FileExistsError:
        raise UsageError(f"--log-jsonl {path} already exists; choose a new path or remove the old file") from None
    except OSError as err:
        raise UsageError(f"cannot create --log-jsonl {path}: {err.strerror.lower()}") from None


def note(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class StopRequest:
    """Ctrl+C asks the loop to stop at the next step boundary instead of tearing a step in half."""

    def __init__(self):
        self.requested = False

    def __enter__(self):
        self._previous = signal.signal(signal.SIGINT, self._request)
        return self

    def _request(self, signum, frame):
        self.requested = True

    def __exit__(self, *exc):
        signal.signal(signal.SIGINT, self._previous)


def run_headless(args: argparse.Namespace, spec: RunSpec) -> int:
    trainer = spec.make_trainer()
    config, steps = trainer.config, trainer.train.steps
    started = f"resuming {args.resume} at step {trainer.step_count}" if spec.resume else "training"
    note(f"{started} on {spec.dataset.description}: {config.vocab_size} tokens, "
         f"{trainer.num_params:,} parameters, {spec.engine} engine, {steps} steps")
    long_docs = spec.dataset.count_longer_than(config.block_size)
    if long_docs:
        note(f"note: {long_docs:,} documents are longer than the block size; each trains on its first {config.block_size} positions")

    def save() -> str:
        """Save if --checkpoint was given; the words to add to a closing message."""
        if not args.checkpoint:
            return ""
        checkpoint.save(trainer.checkpoint(spec.dataset.name, spec.dataset.sha256), args.checkpoint)
        return f"; saved step {trainer.step_count} to {args.checkpoint}"

    log = open_new_log(args.log_jsonl) if args.log_jsonl else None
    try:
        with StopRequest() as stop:
            while not trainer.done and not stop.requested:
                try:
                    record = trainer.step()
                except TrainingDiverged as err:
                    saved = save()
                    note(f"{PROG}: {err}{saved}; try a lower --lr (this run used {trainer.train.learning_rate})")
                    return EXIT_DIVERGED
                print(f"step {record.step:4d} / {steps:4d} | loss {record.loss:.4f}", flush=True)
                if log:
                    log.write(json.dumps({"step": record.step, "loss": record.loss, "lr": record.lr, "seconds": record.seconds}) + "\n")
                    log.flush()
                if args.checkpoint_every and record.step % args.checkpoint_every == 0 and not trainer.done:
                    save()
        if stop.requested:
            saved = save()
            how = f"; continue with --resume {args.checkpoint}" if saved else ""
            note(f"{PROG}: interrupted at step {trainer.step_count} of {steps}{saved}{how}")
            return EXIT_INTERRUPTED
    finally:
        if log:
            log.close()
    save()
    if args.num_samples:
        print("--- inference (new, hallucinated names) ---")
        weights = trainer.weights()
        for i in range(args.num_samples):
            name = generate(config, weights, trainer.tokenizer, trainer.rng, args.temperature)
            print(f"sample {i + 1:2d}: {name}")
    return 0


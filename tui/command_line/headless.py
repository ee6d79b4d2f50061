"""Training without the app: the reference's output on stdout, notes on stderr.

Nothing is lost on the way out:
- Ctrl+C, SIGTERM and SIGHUP stop at the next step boundary and save (signals.py);
- a log or an output that cannot be written stops the run, which saves what it has;
- a checkpoint that cannot be written leaves the last good one whole (checkpoint.save
  writes a new file and renames it over the old), and the closing line says what it holds.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from ...datasets import Dataset, printable
from ...engine import checkpoint
from ...engine.baselines import baselines
from ...engine.sampling import generate
from ...engine.trainer import Trainer, TrainingDiverged
from ..training.outputs import open_new_log, same_file, why
from ..training.settings import RunSpec
from .errors import EXIT_DIVERGED, EXIT_WRITE_FAILED, PROG, note
from .signals import StopRequest, exit_status, signals_held, what_happened


class CheckpointSaver:
    """Saves the run to --checkpoint, if given, and knows which step the file there holds."""

    def __init__(self, path: str | None, trainer: Trainer, dataset: Dataset, step_on_disk: int | None):
        self.path = path
        self.trainer = trainer
        self.dataset = dataset
        self.step_on_disk = step_on_disk  # None: no checkpoint of this run is on disk yet

    def save(self) -> None:
        """Write the current step, unless the file holds it already; OSError if it cannot be written."""
        if not self.path or self.step_on_disk == self.trainer.step_count:
            return
        state = self.trainer.checkpoint(self.dataset.name, self.dataset.sha256)
        with signals_held():  # a second Ctrl+C waits for the file, instead of abandoning it half-written
            checkpoint.save(state, self.path)
        self.step_on_disk = self.trainer.step_count

    def kept(self) -> str:
        """Where the work is, after a save failed."""
        if self.step_on_disk is None:
            return "nothing was saved"
        return f"{self.path} still holds step {self.step_on_disk}; continue with --resume {self.path}"

    def closing(self, what: str, status: int, advice: str = "") -> int:
        """Save what there is, then say in one line what happened and where the work is."""
        try:
            self.save()
        except OSError as err:
            note(f"{PROG}: {what}; cannot save step {self.trainer.step_count} to {self.path} ({why(err)}): {self.kept()}")
            return EXIT_WRITE_FAILED
        if self.path:
            what += f"; saved step {self.step_on_disk} to {self.path}"
            advice = advice or f"continue with --resume {self.path}"
        note(f"{PROG}: {what}" + (f"; {advice}" if advice else ""))
        return status


def run_headless(args: argparse.Namespace, spec: RunSpec) -> int:
    with StopRequest() as stop:
        trainer = spec.make_trainer()
        in_place = bool(args.checkpoint and args.resume and same_file(args.checkpoint, args.resume))
        saver = CheckpointSaver(args.checkpoint, trainer, spec.dataset, trainer.step_count if in_place else None)
        announce(args, spec, trainer)
        log = open_new_log(args.log_jsonl) if args.log_jsonl else None
        try:
            status = train(args, trainer, saver, log, stop)
        finally:
            if log:
                try:
                    log.close()
                except OSError:
                    pass  # its failure was already reported
        if status is not None:
            return status
        return print_samples(args, trainer, stop)


def announce(args: argparse.Namespace, spec: RunSpec, trainer: Trainer) -> None:
    config = trainer.config
    started = f"resuming {args.resume} at step {trainer.step_count}" if spec.resume else "training"
    note(f"{started} on {spec.dataset.description}: {config.vocab_size} tokens, "
         f"{trainer.num_params:,} parameters, {spec.engine} engine, {trainer.train.steps} steps")
    long_docs = spec.dataset.count_longer_than(config.block_size)
    if long_docs:
        note(f"note: {long_docs:,} documents are longer than the block size; each trains on its first {config.block_size} positions")
    counting = baselines(trainer.train_docs, trainer.val_docs, trainer.tokenizer, config.block_size)
    if counting:
        note(f"baselines on the {counting.held_out:,} held-out names: uniform {counting.uniform:.4f} · "
             f"unigram {counting.unigram:.4f} · bigram {counting.bigram:.4f}")


def train(args, trainer: Trainer, saver: CheckpointSaver, log, stop: StopRequest) -> int | None:
    """Train to the end and save; None when done, else the exit status after the closing line."""
    steps = trainer.train.steps
    while not trainer.done and not stop.requested:
        try:
            record = trainer.step()
        except TrainingDiverged as err:
            return saver.closing(str(err), EXIT_DIVERGED, f"try a lower --lr (this run used {trainer.train.learning_rate})")
        try:
            print(f"step {record.step:4d} / {steps:4d} | loss {record.loss:.4f}", flush=True)
        except OSError as err:
            if stop.requested:  # SIGHUP: the terminal is gone; the stop below says so
                break
            return output_failed(err, saver)
        if log:
            try:
                log.write(json.dumps({"step": record.step, "loss": record.loss, "lr": record.lr, "seconds": record.seconds}) + "\n")
                log.flush()
            except OSError as err:
                return saver.closing(f"stopped at step {record.step} of {steps}: cannot write --log-jsonl "
                                     f"{args.log_jsonl} ({why(err)})", EXIT_WRITE_FAILED)
        if args.checkpoint_every and record.step % args.checkpoint_every == 0 and not trainer.done:
            try:
                saver.save()
            except OSError as err:
                note(f"{PROG}: stopped at step {record.step} of {steps}: cannot save to {args.checkpoint} "
                     f"({why(err)}); {saver.kept()}")
                return EXIT_WRITE_FAILED
    if stop.requested:
        return saver.closing(f"{what_happened(stop.signum)} at step {trainer.step_count} of {steps}", exit_status(stop.signum))
    try:
        saver.save()
    except OSError as err:
        note(f"{PROG}: trained all {steps} steps, but cannot save to {args.checkpoint} ({why(err)}); {saver.kept()}")
        return EXIT_WRITE_FAILED
    return None


def output_failed(err: OSError, saver: CheckpointSaver) -> int:
    """Standard output cannot be written: a closed pipe (`| head`) ends quietly, anything else says so."""
    # Point stdout at nothing, or Python's own flush at exit prints a second error.
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    if isinstance(err, BrokenPipeError):  # the reader went away: stop quietly, as command-line tools do
        try:
            saver.save()
            return 0
        except OSError:
            pass  # then say so, below
    step = saver.trainer.step_count
    return saver.closing(f"stopped at step {step}: cannot write the output ({why(err)})", EXIT_WRITE_FAILED)


def print_samples(args: argparse.Namespace, trainer: Trainer, stop: StopRequest) -> int:
    if not args.num_samples:
        return 0
    try:
        print("--- inference (new, hallucinated names) ---")
        weights = trainer.weights()
        for i in range(args.num_samples):
            if stop.requested:
                saved = f"; the run is saved in {args.checkpoint}" if args.checkpoint else ""
                note(f"{PROG}: {what_happened(stop.signum)} while sampling{saved}")
                return exit_status(stop.signum)
            name = generate(trainer.config, weights, trainer.tokenizer, trainer.rng, args.temperature)
            print(f"sample {i + 1:2d}: {printable(name)}", flush=True)
    except OSError as err:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        if isinstance(err, BrokenPipeError):
            return 0
        note(f"{PROG}: cannot write the output ({why(err)})")
        return EXIT_WRITE_FAILED
    return 0

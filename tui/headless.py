"""Training without the app: the reference's output on stdout, notes on stderr."""

import argparse
import json
import sys

from microgpt_tui import datasets
from microgpt_tui.engine.sampling import generate
from microgpt_tui.engine.trainer import Trainer
from microgpt_tui.tui.cli import UsageError


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


def run_headless(args: argparse.Namespace, settings) -> int:
    dataset = datasets.resolve_dataset(args.data, args.dataset)
    config = settings.model_config(len(dataset.chars) + 1)
    trainer = Trainer(dataset.docs, config, settings.train, settings.engine)
    note(
        f"training on {dataset.description}: {config.vocab_size} tokens, "
        f"{trainer.num_params:,} parameters, {settings.engine} engine, {settings.train.steps} steps"
    )
    long_docs = dataset.count_longer_than(config.block_size)
    if long_docs:
        note(f"note: {long_docs:,} documents are longer than the block size; each trains on its first {config.block_size} positions")
    log = open_new_log(args.log_jsonl) if args.log_jsonl else None
    try:
        steps = settings.train.steps
        while not trainer.done:
            record = trainer.step()
            print(f"step {record.step:4d} / {steps:4d} | loss {record.loss:.4f}", flush=True)
            if log:
                log.write(json.dumps({"step": record.step, "loss": record.loss, "lr": record.lr, "seconds": record.seconds}) + "\n")
                log.flush()
    finally:
        if log:
            log.close()
    if args.num_samples:
        print("--- inference (new, hallucinated names) ---")
        weights = trainer.weights()
        for i in range(args.num_samples):
            name = generate(config, weights, trainer.tokenizer, trainer.rng, args.temperature)
            print(f"sample {i + 1:2d}: {name}")
    return 0

"""Opening the Textual app: everything that can fail does so here, before the screen changes."""

from __future__ import annotations

import argparse
import contextlib

from microgpt_tui import datasets
from microgpt_tui.tui.cli import UsageError


def run_app(args: argparse.Namespace, settings) -> int:
    # Loading may download the data set on first use, with a progress bar on the
    # terminal; that has to happen before the app takes the screen over.
    dataset = datasets.resolve_dataset(args.data, args.dataset)
    config = settings.model_config(len(dataset.chars) + 1)
    settings.train.validate()
    if not 0 <= args.temperature <= 2:
        raise UsageError(f"--temperature {args.temperature} is outside the app's slider (0 to 2)")

    # Imported late: the --headless path and error messages never pay for Textual.
    from microgpt_tui.tui.app import MicroGPTApp
    from microgpt_tui.tui.headless import open_new_log
    from microgpt_tui.tui.training import RunSpec

    spec = RunSpec(dataset.docs, config, settings.train, settings.engine, start_paused=args.paused)
    with contextlib.ExitStack() as cleanup:
        log = cleanup.enter_context(open_new_log(args.log_jsonl)) if args.log_jsonl else None
        app = MicroGPTApp(spec, dataset.description, temperature=args.temperature, step_log=log)
        # Whatever way the app ends, the training process must not outlive it.
        cleanup.callback(app.connection.close)
        app.run()
    return app.return_code or 0

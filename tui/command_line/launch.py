"""Opening the Textual app: everything that can fail does so here, before the screen changes."""

from __future__ import annotations

import argparse
import contextlib

from ..training.outputs import open_new_log
from ..training.settings import RunSpec
from .errors import UsageError
from .signals import signals_as_before


def run_app(args: argparse.Namespace, spec: RunSpec) -> int:
    # The data set (downloaded on first use, with a progress bar on the terminal) and any
    # checkpoint were loaded by prepare_run, and the output files claimed (dispatch.py),
    # before the app takes the screen over.
    if not 0 <= args.temperature <= 2:
        raise UsageError(f"--temperature {args.temperature} is outside the app's slider (0 to 2)")

    # Imported late: the --headless path and error messages never pay for Textual.
    from ..app import MicroGPTApp

    with contextlib.ExitStack() as cleanup:
        log = cleanup.enter_context(open_new_log(args.log_jsonl)) if args.log_jsonl else None
        # While the app runs, SIGTERM and SIGHUP are the app's to handle, as they were before start-up.
        cleanup.enter_context(signals_as_before())
        app = MicroGPTApp(spec, spec.dataset.description, temperature=args.temperature, final_samples=args.num_samples,
                          step_log=log, checkpoint_path=args.checkpoint or args.resume, pace=args.speed)
        # Whatever way the app ends, the training process must not outlive it (the
        # session's latest one: each earlier one was closed when its run was replaced).
        cleanup.callback(lambda: app.connection.close())
        app.run()
    return app.return_code or 0

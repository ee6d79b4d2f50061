"""`microgpt-tui`: the entry point. Read this first: it says which module handles what.

    dispatch.py        read the arguments, claim the output files, hand the run to the right place
    parser.py          the options and their help
    ../training/settings.py  RunSettings: the run's settings, built once and checked once
    ../training/outputs.py   the files a run writes, checked and locked before step 1
    runs.py            the data (and a checkpoint to resume), joined to the settings: a RunSpec
    headless.py        --headless: train in the terminal, print the reference's output
    launch.py          open the Textual app on the run
    sample_command.py  `microgpt-tui sample`: names from a saved model
    inspect_command.py `microgpt-tui inspect`: how a saved model predicts each character of a word
    signals.py         what Ctrl+C, SIGTERM and SIGHUP do
    errors.py          one escaped line on stderr, and the exit statuses

Only the standard library, signals.py and training/collector.py are imported up here. The rest of the program
takes about a tenth of a second to import, and is imported inside main(), so that a Ctrl+C
(or SIGTERM) in that time ends it with one line, not a traceback.
"""

import signal
import sys

from ..training.collector import collect_garbage_rarely
from . import PROG
from .signals import exit_status, stop_on_signals, what_happened


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    collect_garbage_rarely()
    with stop_on_signals():
        try:
            from .dispatch import run_command

            return run_command(argv)
        except KeyboardInterrupt as stop:  # Ctrl+C, or a Stopped for SIGTERM and SIGHUP
            signum = getattr(stop, "signum", signal.SIGINT)
            try:
                print(f"{PROG}: {what_happened(signum)}", file=sys.stderr, flush=True)
            except OSError:
                pass  # the terminal is gone (SIGHUP)
            return exit_status(signum)


if __name__ == "__main__":
    sys.exit(main())

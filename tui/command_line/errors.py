"""How the command line speaks on stderr: one line each, escaped, and the exit statuses."""

import sys

from ...datasets import printable
from . import PROG

EXIT_WRITE_FAILED = 1  # a checkpoint, the log or the output could not be written (a full disk, a lost folder)
EXIT_BAD_INPUT = 2
EXIT_DIVERGED = 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a Ctrl+C; SIGTERM gives 143, SIGHUP 129


class UsageError(Exception):
    """Bad input from the user; the message is one line saying what is wrong and what to do."""


def note(message: str) -> None:
    """One line on stderr. Every line goes through printable(): a file name or a name from
    the data may hold control characters that would retitle the terminal or split the line.

    A terminal that has gone away (SIGHUP) cannot take it; that must not end the run.
    """
    try:
        print(printable(message), file=sys.stderr, flush=True)
    except OSError:
        pass


def warn(message: str) -> None:
    note(f"{PROG}: warning: {message}")


def fail(message: str, status: int = EXIT_BAD_INPUT) -> int:
    note(f"{PROG}: error: {message}")
    return status

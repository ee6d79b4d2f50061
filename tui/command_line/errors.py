"""How the command line says something went wrong: one line on stderr and an exit status."""

import sys

PROG = "microgpt-tui"

EXIT_BAD_INPUT = 2
EXIT_DIVERGED = 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a Ctrl+C


class UsageError(Exception):
    """Bad input from the user; the message is one line saying what is wrong and what to do."""


def fail(message: str, status: int = EXIT_BAD_INPUT) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return status

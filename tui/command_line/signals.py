"""What Ctrl+C (SIGINT), SIGTERM and SIGHUP do to the command line.

- During start-up (reading options, loading data, a download) each ends the program at
  once: one line on stderr, exit status 128 + the signal's number (130, 143, 129).
- While headless training runs, each asks it to stop at the next step boundary and save
  (StopRequest), so no step is torn in half and no work is lost.
- While a checkpoint is being written, they wait until it is on disk (signals_held).

A signal the program was started with ignored (nohup, a background job) stays ignored.
Only the standard library is imported here: main.py loads this before anything else.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

# SIGHUP: the terminal closed, or a logout; Windows has none.
STOP_SIGNALS = tuple(sig for sig in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None)) if sig)


def exit_status(signum: int) -> int:
    """128 + the signal's number, as shells report a program a signal ended."""
    return 128 + signum


def what_happened(signum: int) -> str:
    """How a closing message names the signal: "interrupted", "stopped by SIGTERM"."""
    if signum == signal.SIGINT:
        return "interrupted"
    return f"stopped by {signal.Signals(signum).name}"


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP during start-up, raised where Ctrl+C raises KeyboardInterrupt.

    A KeyboardInterrupt, so that every clean-up that Ctrl+C runs runs for these too.
    """

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _raise_stopped(signum, frame):
    raise Stopped(signum)


def _install(handler) -> dict:
    """Point every stop signal that is not ignored at `handler`; return what was there before."""
    if threading.current_thread() is not threading.main_thread():
        return {}  # only the main thread may set handlers (some test runners call main() elsewhere)
    before = {}
    for sig in STOP_SIGNALS:
        current = signal.getsignal(sig)
        if current is signal.SIG_IGN:
            continue
        if handler is None and sig == signal.SIGINT:
            continue  # Python's own Ctrl+C handler already raises KeyboardInterrupt
        before[sig] = current
        signal.signal(sig, handler or _raise_stopped)
    return before


def _restore(before: dict) -> None:
    for sig, handler in before.items():
        signal.signal(sig, handler if handler is not None else signal.SIG_DFL)


# What the signals did before start-up, while stop_on_signals holds them.
_before_start_up: dict = {}


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Start-up: SIGTERM and SIGHUP raise Stopped, as Ctrl+C raises KeyboardInterrupt."""
    before = _install(None)
    _before_start_up.update(before)
    try:
        yield
    finally:
        _restore(before)
        _before_start_up.clear()


@contextmanager
def signals_as_before() -> Iterator[None]:
    """SIGTERM and SIGHUP as they were before start-up, for the app: it decides what they do."""
    set_aside = {sig: signal.getsignal(sig) for sig in _before_start_up}
    _restore(_before_start_up)
    try:
        yield
    finally:
        _restore(set_aside)


class StopRequest:
    """While training: a stop signal asks the loop to stop at the next step boundary.

    `signum` is the signal that asked (the first one), or None.
    """

    def __init__(self):
        self.signum: int | None = None

    @property
    def requested(self) -> bool:
        return self.signum is not None

    def _request(self, signum, frame):
        if self.signum is None:
            self.signum = signum

    def __enter__(self) -> StopRequest:
        self._before = _install(self._request)
        return self

    def __exit__(self, *exc) -> None:
        _restore(self._before)


@contextmanager
def signals_held() -> Iterator[None]:
    """Hold the stop signals until the block ends: a second Ctrl+C must not abandon a save.

    Blocked, not ignored: a signal that arrives meanwhile is delivered when the block ends.
    """
    if not hasattr(signal, "pthread_sigmask"):  # Windows
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)
